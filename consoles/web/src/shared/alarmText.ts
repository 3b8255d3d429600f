// An alarm as a person reads it, in the page's language: the type's name instead of its code
// (gas_leak -> 燃气泄漏) and a rule's reading as "燃气泄漏：浓度 1774.81 ≥ 1000" instead of the
// hub's "gas leak: ppm 1774.81 ge 1000". The hub keeps the rule's reading only in the
// message text (`{rule}: {metric} {value} {op} {threshold}`), so that shape is read back here;
// a message a device sent itself is shown as it came.
type Translate = (key: string, values?: Record<string, unknown>) => string
type Exists = (key: string) => boolean

const OPS: Record<string, string> = { gt: '>', ge: '≥', lt: '<', le: '≤', eq: '=', ne: '≠' }
const NUMBER = String.raw`-?\d+(?:\.\d+)?(?:e[+-]?\d+)?`
const RULE_READING = new RegExp(String.raw`^.*: (\w+) (${NUMBER}) (gt|ge|lt|le|eq|ne) (${NUMBER})$`)

interface AlarmLike {
  type: string
  message?: string | null
}

interface Headed {
  severity: string
  type: string
}

/** The name of a code under `group` (alarm.types, alarm.actions, ...), or the code itself. */
export function codeName(t: Translate, te: Exists, group: string, code: string): string {
  return te(`${group}.${code}`) ? t(`${group}.${code}`) : code
}

/** The alarm's description: a rule's reading rebuilt from its parts, else the message. */
export function alarmText(t: Translate, te: Exists, alarm: AlarmLike): string {
  const type = codeName(t, te, 'alarm.types', alarm.type)
  const reading = RULE_READING.exec(alarm.message ?? '')
  if (!reading) return alarm.message ? `${type}：${alarm.message}` : type
  const [, metric, value, op, threshold] = reading
  const what = codeName(t, te, 'alarm.metrics', metric)
  return `${type}：${what} ${value} ${OPS[op]} ${threshold}`
}

/** The alarm's headline: its severity and type by name (紧急 · 燃气泄漏). */
export function alarmTitle(t: Translate, te: Exists, alarm: Headed): string {
  return `${codeName(t, te, 'alarm.severities', alarm.severity)} · ${codeName(t, te, 'alarm.types', alarm.type)}`
}
