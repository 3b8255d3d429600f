export interface Assignment {
  id: number
  kind: string
  target: string
  lead: boolean
  state: string
  person_id: number | null
  signed_at: string | null
}

export interface TimelineStep {
  id: number
  action: string
  from_state: string | null
  to_state: string
  actor: string
  at: string
  note: string
}

export interface Incident {
  id: number
  number: string
  title: string
  category: string
  priority: string
  state: string
  grid_id: number
  lon: number | null
  lat: number | null
  address: string
  source: string
  stage: string | null
  stage_deadline: number | null
  overdue: boolean
  channel_id: number | null
  version: number
  actions: string[]
  assignments?: Assignment[]
  created_at: string
  updated_at: string
  description?: string
  fields?: Record<string, unknown>
  attachments?: number[]
  timeline?: TimelineStep[]
  pending?: number
}

export interface CategoryField {
  name: string
  label: string
  type: 'text' | 'integer' | 'number' | 'date' | 'choice' | 'boolean'
  required: boolean
  choices: string[]
  max_length: number | null
  minimum: number | null
  maximum: number | null
}

export interface Category {
  code: string
  name_zh: string
  name_en: string
  description: string
  fields: CategoryField[]
  public?: boolean
  active?: boolean
}

export interface Message {
  id: number
  channel_id: number
  offset: number
  epoch: string
  sender_id: number | null
  client_msg_id: string | null
  kind: string
  body: Record<string, unknown>
  mentions?: number[]
  created_at: number
}

export interface Channel {
  id: number
  kind: string
  grid_id: number | null
  name: string
  last_offset: number
  read_offset: number
  unread: number
}

export interface Member {
  person_id: number
  username: string
  name: string
  role: string
}

export interface Point {
  lat: number
  lon: number
  accuracy?: number
}
