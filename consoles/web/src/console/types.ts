// Payloads of the plugins the console shows (dispatch, alarms, escalation), as the hub sends them.

export type IncidentState =
  | 'reported'
  | 'registered'
  | 'not_accepted'
  | 'dispatched'
  | 'signed'
  | 'en_route'
  | 'on_scene'
  | 'handled'
  | 'verified'
  | 'closed'
  | 'parked'

export type Priority = 'low' | 'normal' | 'high' | 'urgent'

export interface Assignment {
  id: number
  kind: 'person' | 'grid' | 'department'
  target: string
  lead: boolean
  state: string
  person_id: number | null
  signed_at: string | null
}

export interface TimelineEvent {
  id: number
  action: string
  from_state: string | null
  to_state: string | null
  actor_id: number | null
  actor: string | null
  at: string
  note: string
  data: Record<string, unknown>
}

export interface Incident {
  id: number
  number: string
  title: string
  category: string
  priority: Priority
  state: IncidentState
  grid_id: number | null
  level_grid_id: number | null
  lon: number | null
  lat: number | null
  address: string
  source: string
  stage: string | null
  stage_started_at: number | null
  stage_deadline: number | null
  overdue: boolean
  supervised_by_grid: number | null
  channel_id: number | null
  rating: number | null
  returns: number
  created_at: string
  updated_at: string
  version: number
  actions: string[]
  assignments?: Assignment[]
}

export interface IncidentDetail extends Incident {
  description: string
  fields: Record<string, unknown>
  attachments: number[]
  reporter_id: number | null
  reporter_name: string
  reporter_contact_masked: string
  source_ref: string | null
  handler_id: number | null
  review_at: number | null
  rating_comment: string | null
  closed_at: string | null
  timeline: TimelineEvent[]
  involved: number[]
}

export interface IncidentPush {
  action: string
  previous_state: string | null
  actor: { id: number | null; name: string } | null
  note: string
  incident: Incident
}

export interface Suggestion {
  person_id: number
  username: string
  display_name: string
  responsible: boolean
  own_grid: boolean
  presence: string
  distance_m: number | null
  open_tasks: number
  grids: string[]
}

export interface Category {
  code: string
  name_zh: string
  name_en: string
  department: string | null
  public: boolean
  active: boolean
}

export type Severity = 'CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING' | 'INDETERMINATE'

export interface Alarm {
  id: number
  device_id: number
  device_code: string
  grid_id: number | null
  type: string
  severity: Severity
  active: boolean
  acknowledged: boolean
  count: number
  value: number | null
  message: string
  /** a rule's alarm: what it compared (`metric op threshold`); null for a device's own alarm */
  metric: string | null
  op: string | null
  threshold: number | null
  first_at: string
  last_at: string
  acknowledged_at: string | null
  cleared_at: string | null
  assignee_id: number | null
  incident_id: number | null
  status: string
  action?: string
}

/** Someone the hub accepts as an alarm's assignee (`alarms.assignees`). */
export interface Assignee {
  person_id: number
  username: string
  display_name: string
  grid: string
  grid_name: string
}

export interface AlarmHistory {
  id?: number
  action: string
  actor_id: number | null
  actor?: string | null
  comment: string | null
  at: string
  details?: Record<string, unknown>
}

export interface Sos {
  id: number
  person_id: number
  person_name: string
  grid_id: number | null
  state: 'open' | 'acknowledged' | 'closed'
  source: string
  location: { lat: number; lon: number } | null
  note: string
  raised_at: number
  owner_id: number | null
  owner_name: string | null
  acknowledged_at: number | null
  closed_at: number | null
  close_note: string | null
}

export interface Device {
  id: number
  code: string
  name: string
  device_type: string
  grid_id: number | null
  lat: number | null
  lon: number | null
  active: boolean
  firmware: string | null
  last_seen_at: string | null
}

export interface EscalationAlert {
  chain_id: number
  step: number
  level: string
  trigger: string
  subject: string
  policy: string
  grid_id: number | null
  level_grid_name: string | null
  started_at: number
  context: Record<string, unknown>
}

export interface Tally {
  total: number
  open: number
  by_state: Record<string, number>
  on_time_rate: Record<string, number | null>
  overdue: number
  mean_handling_s: number | null
  mean_closing_s: number | null
  returned_rate: number | null
  rating: { mean: number | null; count: number }
}

export interface Kpis {
  grid: { id: number; code: string; name: string }
  overall: Tally
  by_category: (Tally & { category: string })[]
  by_grid: (Tally & { grid_id: number; code: string; name: string })[]
  by_person: (Tally & { person_id: number })[]
}

export const OPEN_STATES: IncidentState[] = [
  'reported',
  'registered',
  'dispatched',
  'signed',
  'en_route',
  'on_scene',
  'handled',
  'verified',
  'parked',
]

export const SEVERITIES: Severity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING', 'INDETERMINATE']

export interface Chain {
  id: number
  trigger: string
  subject: string
  policy: string
  grid_id: number | null
  state: string
  next_step: number
  started_at: number
  context: Record<string, unknown>
}
