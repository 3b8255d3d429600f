// Location sharing while on duty: the device's fixes go to the hub as location.report, at
// most one every REPORT_S seconds unless the worker moved more than MOVE_M metres. Fixes taken
// offline are queued with their time, so the track fills in when the connection is back.
import { reactive } from 'vue'
import { watchFix, type Fix } from './media'
import type { Session } from './session'

const REPORT_S = 30
const MOVE_M = 50
const DUTY_KEY = 'gridhub.field.duty'
// The hub takes location.report from staff only (a resident's position is nobody's business):
// admins and holders of a staff role, core or a plugin's (the hub says so in /auth/me).

function metres(a: Fix, b: Fix): number {
  const r = 6371000
  const dLat = ((b.lat - a.lat) * Math.PI) / 180
  const dLon = ((b.lon - a.lon) * Math.PI) / 180
  const x = Math.sin(dLat / 2) ** 2 +
    Math.cos((a.lat * Math.PI) / 180) * Math.cos((b.lat * Math.PI) / 180) * Math.sin(dLon / 2) ** 2
  return 2 * r * Math.asin(Math.sqrt(x))
}

export class Duty {
  readonly state = reactive({ on: false, last: null as Fix | null, sent: 0 })
  private stop: (() => void) | null = null
  private lastSent: Fix | null = null

  constructor(private readonly session: Session) {}

  resume(): void {
    if (localStorage.getItem(DUTY_KEY) === '1') this.set(true)
  }

  /** Whether this person's positions are taken by the hub at all. */
  get allowed(): boolean {
    return this.session.me?.is_staff ?? false
  }

  set(wanted: boolean): void {
    const on = wanted && this.allowed
    this.state.on = on
    localStorage.setItem(DUTY_KEY, on ? '1' : '0')
    this.stop?.()
    this.stop = on ? watchFix((f) => void this.onFix(f)) : null
    if (!on) this.lastSent = null
  }

  private async onFix(fix: Fix): Promise<void> {
    this.state.last = fix
    const prev = this.lastSent
    if (prev && fix.at - prev.at < REPORT_S && metres(prev, fix) < MOVE_M) return
    this.lastSent = fix
    await this.session.queue
      .submit({ kind: 'location', lat: fix.lat, lon: fix.lon, accuracy: fix.accuracy, at: fix.at })
      .catch(() => undefined)
    this.state.sent += 1
  }
}
