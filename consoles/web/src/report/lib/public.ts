// The dispatch plugin's public API for residents: no account, no token.
import { HubError } from '@/shared/api'
import type { HubErrorBody } from '@/shared/types'

const BASE = '/api/v1/dispatch/public'

export interface PublicField {
  name: string
  label: string
  type: 'text' | 'integer' | 'number' | 'date' | 'choice' | 'boolean'
  required: boolean
  choices: string[]
  max_length: number | null
  minimum: number | null
  maximum: number | null
}

export interface PublicCategory {
  code: string
  name_zh: string
  name_en: string
  description: string
  fields: PublicField[]
}

export interface Filed {
  number: string
  tracking_code: string
  state: string
  category: string
  created_at: string
  photos: number
  /** The resident agreed to publish the report (Open311: category, status, rough place). */
  public: boolean
  /** Its id in the public Open311 list; null unless public. */
  service_request_id: string | null
}

export interface Step {
  action: string
  state: string
  label: string
  at: string
  note: string
}

export interface Tracked {
  number: string
  title: string
  category: string
  state: string
  label: string
  status: 'open' | 'closed'
  created_at: string
  updated_at: string
  closed_at: string | null
  address: string
  photos: number[]
  rating: number | null
  can_rate: boolean
  timeline: Step[]
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const resp = await fetch(BASE + path, init)
  const data = (await resp.json().catch(() => ({}))) as { error?: HubErrorBody }
  if (!resp.ok) throw new HubError(data.error ?? { code: `http.${resp.status}`, message: resp.statusText }, resp.status)
  return data as T
}

export function categories(): Promise<{ items: PublicCategory[] }> {
  return call('/categories')
}

export function fileAppeal(form: FormData): Promise<Filed> {
  return call('/appeals', { method: 'POST', body: form })
}

export function track(code: string): Promise<Tracked> {
  return call(`/appeals/${encodeURIComponent(code.trim().toUpperCase())}`)
}

export function rate(code: string, rating: number, comment: string): Promise<unknown> {
  return call(`/appeals/${encodeURIComponent(code)}/rating`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rating, comment }),
  })
}

export function photoUrl(code: string, id: number): string {
  return `${BASE}/appeals/${encodeURIComponent(code)}/photos/${id}`
}

const MINE = 'gridhub.report.codes'

/** Tracking codes filed from this browser, newest first (so a resident need not write them down). */
export function myCodes(): { code: string; number: string; title: string; at: string }[] {
  try {
    return JSON.parse(localStorage.getItem(MINE) ?? '[]') as ReturnType<typeof myCodes>
  } catch {
    return []
  }
}

export function remember(entry: { code: string; number: string; title: string; at: string }): void {
  const list = [entry, ...myCodes().filter((e) => e.code !== entry.code)].slice(0, 20)
  localStorage.setItem(MINE, JSON.stringify(list))
}
