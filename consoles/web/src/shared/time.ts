// Every time a person sees is shown in the deployment's time zone (settings `time_zone`,
// default Asia/Shanghai, sent by GET /api/v1/ui/config), never the browser's: a commander's
// laptop set to UTC must read the same clock as the grid worker's phone. Format times only
// with the helpers below; they take epoch seconds or an ISO 8601 string from the hub.
import { ref } from 'vue'

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

/** The deployment's zone; reactive, so times drawn before the config arrives are redrawn. */
export const timeZone = ref(DEFAULT_TIME_ZONE)

/** Take the deployment's zone (an unknown name keeps the current one). */
export function setTimeZone(zone: string | null | undefined): void {
  if (zone && zoneKnown(zone)) timeZone.value = zone
}

/** Ask the hub for its zone once, as a page starts (no sign-in needed). */
export async function loadTimeZone(): Promise<void> {
  try {
    const response = await fetch('/api/v1/ui/config', { headers: { Accept: 'application/json' } })
    if (response.ok) setTimeZone(((await response.json()) as { time_zone?: string }).time_zone)
  } catch {
    // offline at start: the default zone stands until the next load
  }
}

function zoneKnown(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

export type TimeValue = number | string | Date | null | undefined

interface Parts { year: string; month: string; day: string; hour: string; minute: string; second: string }

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone)
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    })
    formatters.set(zone, found)
  }
  return found
}

function toDate(at: TimeValue): Date | null {
  if (at === null || at === undefined || at === '' || at === 0) return null
  const d = at instanceof Date ? at : new Date(typeof at === 'number' ? at * 1000 : at)
  return Number.isNaN(d.getTime()) ? null : d
}

/** The wall-clock fields of `at` in the deployment's zone. */
export function zonedParts(at: TimeValue): Parts | null {
  const d = toDate(at)
  if (!d) return null
  const out: Record<string, string> = {}
  for (const p of formatter(timeZone.value).formatToParts(d)) out[p.type] = p.value
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second }
}

export function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/** "2026-11-26 09:30" (or "09:30:12" with seconds); "—" for no time */
export function formatTime(at: TimeValue, withSeconds = false): string {
  const p = zonedParts(at)
  if (!p) return '—'
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${withSeconds ? `:${p.second}` : ''}`
}

/** "11-26 09:30" (or with seconds): this year's times in tables and on phones */
export function formatShort(at: TimeValue, withSeconds = false): string {
  const p = zonedParts(at)
  if (!p) return '—'
  return `${p.month}-${p.day} ${p.hour}:${p.minute}${withSeconds ? `:${p.second}` : ''}`
}

/** "2026-11-26" */
export function formatDate(at: TimeValue): string {
  const p = zonedParts(at)
  return p ? `${p.year}-${p.month}-${p.day}` : '—'
}

/** "09:30:12" (or "09:30" without seconds) */
export function clock(at: TimeValue, withSeconds = true): string {
  const p = zonedParts(at)
  if (!p) return '—'
  return withSeconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`
}

/** The instant a wall-clock time typed or picked on a page ("2026-11-26T09:30:00") names in
 *  the deployment's zone (a date picker's value has no zone; the browser would take its own). */
export function zonedInstant(wall: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(wall.trim())
  if (!m) return null
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0))
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second)
  // the zone's offset at the guess, then again at the corrected instant (a DST change between)
  let at = asUtc
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(new Date(at))
    if (!p) return null
    const shown = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second))
    at += asUtc - shown
  }
  return new Date(at)
}

/** The instant the deployment's day `offset` days before today began (for day-by-day counts). */
export function zonedDayStart(offset: number, now: Date = new Date()): Date {
  const p = zonedParts(now)
  if (!p) return now
  // midnight as UTC wall-clock fields, less the zone's offset at that moment
  const midnightUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day) - offset)
  const shown = zonedParts(new Date(midnightUtc))
  if (!shown) return now
  const shownUtc = Date.UTC(Number(shown.year), Number(shown.month) - 1, Number(shown.day), Number(shown.hour), Number(shown.minute))
  return new Date(midnightUtc - (shownUtc - midnightUtc))
}

/** Short duration: "45s", "12m", "3h 5m" */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
}

/** A random id for client_msg_id / client_call_id (works outside secure contexts too). */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
