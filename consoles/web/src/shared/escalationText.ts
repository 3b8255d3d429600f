// Escalation chains in words (zh-CN, en): a chain's subject "sos:1" reads SOS 报警 #1, its policy
// "alarm-severe" 严重告警升级, instead of the hub's codes. A policy a deployment configured
// under a name of its own has no entry here and is shown by that name (a deployment's own word).
import type { LocaleCode, Messages } from './i18n'

type Translate = (key: string, values?: Record<string, unknown>) => string
type Exists = (key: string) => boolean

const POLICIES: Record<string, [zh: string, en: string]> = {
  'alarm-severe': ['严重告警升级', 'Severe alarm escalation'],
  'incident-overdue': ['事件超时升级', 'Overdue incident escalation'],
  sos: ['SOS 报警升级', 'SOS escalation'],
  'missed-checkin': ['未按时报到升级', 'Missed check-in escalation'],
}
// what a chain is about, by the kind before the colon; {n} is the id after it
const SUBJECTS: Record<string, [zh: string, en: string]> = {
  alarm: ['告警 #{n}', 'Alarm #{n}'],
  incident: ['事件 #{n}', 'Incident #{n}'],
  sos: ['SOS 报警 #{n}', 'SOS #{n}'],
  checkin: ['报到 #{n}', 'Check-in #{n}'],
  // chains other plugins ask for (EscalationRequested), by their subject kind
  mediation_case: ['调解案件 #{n}', 'Mediation case #{n}'],
}
// the note of an SOS the hub raised for a missed check-in ("missed check-in: <task>")
const MISSED_CHECKIN = /^missed check-in: (.*)$/s

function names(index: 0 | 1): Messages {
  const pick = (table: Record<string, [string, string]>) =>
    Object.fromEntries(Object.entries(table).map(([code, pair]) => [code, pair[index]]))
  const missed = ['未按时报到：{task}', 'Missed check-in: {task}'][index]
  return { policies: pick(POLICIES), subjects: pick(SUBJECTS), missed_checkin: missed }
}

/** The shared messages' `escalation.*` (merged in by i18n.ts). */
export const escalationNames: Record<LocaleCode, Messages> = { 'zh-CN': names(0), en: names(1) }

/** A policy's name, or the deployment's own policy name as configured. */
export function policyName(t: Translate, te: Exists, policy: string): string {
  const key = `escalation.policies.${policy}`
  return te(key) ? t(key) : policy
}

/** What a chain is about ("sos:1" -> SOS 报警 #1); an unknown kind is shown as it came. */
export function subjectName(t: Translate, te: Exists, subject: string): string {
  const [kind, id] = subject.split(':', 2)
  const key = `escalation.subjects.${kind}`
  return id !== undefined && te(key) ? t(key, { n: id }) : subject
}

/** An SOS's note in words: the hub's note for a missed check-in is rebuilt, others as written. */
export function sosNote(t: Translate, note: string): string {
  const missed = MISSED_CHECKIN.exec(note)
  return missed ? t('escalation.missed_checkin', { task: missed[1] }) : note
}
