// What the mediation plugin's routes answer (plugins/mediation/views.py).
export interface CaseSummary {
  id: number
  number: string
  grid_id: number
  grid_name: string | null
  level: string
  level_grid_id: number
  level_grid_name: string | null
  type: string
  summary: string
  place: string
  amount_yuan: number | null
  risk: string
  risk_taken: boolean
  repeat: boolean
  state: string
  source: string
  incident_id: number | null
  incident_number: string | null
  mediator_ids: number[]
  agreement: string | null
  performance: string | null
  judicial_confirmation: boolean
  referral: string | null
  outcome_note: string
  created_at: number
  updated_at: number
  closed_at: number | null
  version: number
}

export interface Party {
  id: number
  name: string
  side: string
  phone: string
  address: string
  person_ref: string
}

export interface Meeting {
  id: number
  scheduled_at: number
  place: string
  attendees: string[]
  record: string
  held: boolean
}

export interface TimelineStep {
  id: number
  action: string
  actor_name: string
  details: Record<string, unknown>
  version: number
  at: number
}

export interface CaseDetail extends CaseSummary {
  parties: Party[]
  sessions: Meeting[]
  timeline: TimelineStep[]
  links: { case_id: number; number: string | null; reason: string }[]
}

export interface GridChoice {
  id: number
  name: string
  level: string
  depth: number
}

export interface Kpis {
  total: number
  open: number
  concluded: number
  success_rate: number | null
  performance_rate: number | null
  village_share: number | null
  average_days: number | null
}
