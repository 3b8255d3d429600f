// An alarm as a person reads it, in the page's language: the type's name instead of its code
// (gas_leak -> 燃气泄漏) and a rule's reading as "燃气泄漏：浓度 1774.81 ≥ 1000" instead of the
// hub's English message "gas leak: ppm 1774.81 ge 1000". A rule's alarm carries the facts it
// compared (metric, op, threshold, with its value: plugins/alarms/state.py), worded here; a
// message a device sent itself is shown as it came; an offline alarm's message (the hub's
// English, a UTC time) is left out, its type says it.
import { text } from './host'

type Translate = (key: string, values?: Record<string, unknown>) => string
type Exists = (key: string) => boolean

const OPS: Record<string, string> = { gt: '>', ge: '≥', lt: '<', le: '≤', eq: '=', ne: '≠' }
const HUB_WORDED = new Set(['offline']) // alarms the hub raises itself, with an English message

interface AlarmLike {
  type: string
  message?: string | null
  value?: number | null
  metric?: string | null
  op?: string | null
  threshold?: number | null
}

/** A number as the hub's rule message writes it (at most 6 significant digits, like %g). */
function figure(n: number): string {
  return String(Number(n.toPrecision(6)))
}

interface Headed {
  severity: string
  type: string
}

/** The name of a code under `group` (alarm.types, alarm.actions, ...), or the code itself. */
export function codeName(t: Translate, te: Exists, group: string, code: string): string {
  return te(`${group}.${code}`) ? t(`${group}.${code}`) : code
}

/** The alarm's description: a rule's comparison from its facts, else the device's message. */
export function alarmText(t: Translate, te: Exists, alarm: AlarmLike): string {
  const type = codeName(t, te, 'alarm.types', alarm.type)
  const { metric, op, threshold, value } = alarm
  if (metric && op && threshold != null) {
    const what = codeName(t, te, 'alarm.metrics', metric)
    const reading = value == null ? '' : `${figure(value)} `
    return `${type}${text('：', ': ')}${what} ${reading}${OPS[op] ?? op} ${figure(threshold)}`
  }
  if (!alarm.message || HUB_WORDED.has(alarm.type)) return type
  return `${type}${text('：', ': ')}${alarm.message}`
}

/** The alarm's headline: its severity and type by name (紧急 · 燃气泄漏). */
export function alarmTitle(t: Translate, te: Exists, alarm: Headed): string {
  return `${codeName(t, te, 'alarm.severities', alarm.severity)} · ${codeName(t, te, 'alarm.types', alarm.type)}`
}
