export interface Venue {
  id: number
  grid_id: number
  grid_name: string
  name: string
  address: string
  capacity: number
  opens: string
  closes: string
  slot_minutes: number
  active: boolean
}

export interface Slot {
  start: string
  end: string
  state: string
  booking_id?: number
  purpose?: string
}

export interface Booking {
  id: number
  venue_id: number
  venue_name: string
  day: string
  start: string
  end: string
  purpose: string
  attendees: number
  name: string
  phone?: string
  state: string
  note: string
  tracking_code?: string
}

export interface Item {
  id: number
  code: string
  name_zh: string
  name_en: string
  department: string
  documents: string[]
  active?: boolean
}

export interface ProxyRequest {
  id: number
  item: Item
  mode: string
  name: string
  phone: string
  state: string
  incident_number: string
  rating: number | null
  created_at: string
}

export interface Tracked {
  tracking_code: string
  item: Item
  mode: string
  state: string
  incident_number: string
  rating: number | null
  can_rate: boolean
}

export interface Helper { helper_id: number; name: string; requests: number; rated: number; average: number | null }
export interface CheckIn { id: number; name: string; interval_days: number; due_at: number; missed: number; last_visit_at: string | null; overdue: boolean }
export interface CareBooking { id: number; offer_id: number; name: string; phone: string; day: string; state: string }
export interface Village { id: number; code: string; name: string }
export interface CareOffer { id: number; grid_id: number; provider_name: string; kind: string; title: string; description: string }
