// Formatting helpers for epoch-second timestamps coming from the hub.

export function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/** "2026-11-26 09:30" */
export function formatTime(epochS: number | null | undefined, withSeconds = false): string {
  if (!epochS) return '—'
  const d = new Date(epochS * 1000)
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`
  return `${date} ${time}`
}

/** "09:30:12" */
export function clock(epochS: number): string {
  const d = new Date(epochS * 1000)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
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
