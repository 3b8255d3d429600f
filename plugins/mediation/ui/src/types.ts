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
  expert_ids: number[]
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
  person: { id: number; grid_id: number | null; name_masked: string | null } | null
}

// A person of the archives plugin's search (GET /api/v1/archives/residents), masked
export interface ArchivedPerson {
  id: number
  name: string
  grid_name: string
  id_number: string
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
  documents: CaseDocument[]
  experts: Expert[]
}

export interface Expert {
  id: number
  grid_id: number
  grid_name: string | null
  name: string
  title: string
  specialties: string[]
  phone: string
  active: boolean
  version: number
}

export interface CaseDocument {
  id: number
  name: string
  content_type: string
  size: number
  by: string
  at: number
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
  by_level: Record<string, number>
  open_by_level_risk: Record<string, Record<string, number>>
}

export interface Article {
  id: number
  grid_id?: number
  grid_name: string | null
  title: string
  body: string
  published_at: number | null
  // staff only
  state?: string
  author_name?: string
  updated_at?: number
  version?: number
}
