// Alarms as the hub sends them (the alarms plugin's socket events and routes).

export type Severity = 'CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING' | 'INDETERMINATE'

export const SEVERITIES: Severity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING', 'INDETERMINATE']

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
  action: string
  actor_id: number | null
  actor?: string | null
  comment: string | null
  at: string
}
