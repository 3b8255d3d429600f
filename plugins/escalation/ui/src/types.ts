// SOS, chains and escalation notices as the hub sends them (escalation's events and routes).

export interface Sos {
  id: number
  person_id: number
  person_name: string
  grid_id: number | null
  state: 'open' | 'acknowledged' | 'closed'
  location: { lat: number; lon: number } | null
  note: string
  raised_at: number
  owner_id: number | null
  owner_name: string | null
  /** recording:<id> once the worker's hot mic is being recorded */
  audio_stream_id?: string | null
}

export interface Chain {
  id: number
  subject: string
  policy: string
  grid_id: number | null
  next_step: number
  started_at: number
}

export interface EscalationAlert {
  chain_id: number
  step: number
  subject: string
  policy: string
  level: string
  level_grid_name?: string | null
  started_at: number
}

export interface Checkin {
  id: number
  person_id: number
  grid_id: number
  task: string
  interval_s: number
  due_at: number
  state: 'active' | 'stopped' | 'missed'
  started_at: number
  sos_id: number | null
}
