export interface Summary {
  id: number
  grid_id: number
  grid_name: string
  category: string
  period: string
  title: string
  state: string
  version: number
  published_version: number | null
  updated_at: number
  may_review: boolean
  may_edit: boolean
}

export interface FileRow {
  id: number
  name: string
  content_type: string
  size: number
  table: string[][] | null
}

export interface Version {
  version: number
  state: string
  title: string
  body: string
  correction_reason: string
  files: FileRow[]
  published_at: number | null
  review_note?: string
}

export interface QuestionRow {
  id: number
  text: string
  answer: string | null
  asked_at: number
  answered_at: number | null
}

export interface Detail {
  id: number
  grid_id: number
  grid_name: string
  category: string
  period: string
  published_version: number | null
  versions: Version[]
  questions: QuestionRow[]
}

export interface CalendarRow {
  grid_id: number
  grid_name: string
  category: string
  period: string
  due: string
  status: string
}

export interface Org {
  id: number
  name: string
  kind: string
  parent_id: number | null
  grid_id: number
  grid_name: string | null
  members: number
}

export interface PromoMedia {
  id: number
  name: string
  content_type: string
  size: number
}

export interface PromoItem {
  id: number
  kind: string
  title: string
  state: string
  published_at: number | null
  targets: string[]
  media: PromoMedia[]
  readers?: number
  read?: boolean
}

export interface PromoDetail extends PromoItem {
  body: string
  version?: number
  history?: { version: number; title: string; body: string; reason: string; replaced_at: number }[]
}
