// The incident as the hub sends it (dispatch's socket events and lists), as far as the board
// reads it.

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

export interface Incident {
  id: number
  number: string
  title: string
  category: string
  priority: Priority
  state: IncidentState
  grid_id: number | null
  stage_deadline: number | null
  overdue: boolean
  created_at: string
  active: boolean
}

export interface Category {
  code: string
  active: boolean
}

export const COLUMNS: IncidentState[] = [
  'reported',
  'registered',
  'dispatched',
  'signed',
  'en_route',
  'on_scene',
  'handled',
  'verified',
  'parked',
  'closed',
]
export const ALL_STATES: IncidentState[] = [...COLUMNS, 'not_accepted']
