// Lone-worker check-ins (man-down, docs/escalation.md): before a dangerous task the worker
// starts a timed check-in and answers it every interval; a missed one raises an SOS by itself
// on the hub (which tells this phone: escalation.checkin.missed), so it works even when the
// phone is lost or broken. The interval choices lie within the deployment's bounds.
import { reactive, watch } from 'vue'
import type { Session } from './session'
import { may } from './access'

export interface CheckinRow {
  id: number
  task: string
  interval_s: number
  due_at: number
  state: 'active' | 'stopped' | 'missed'
  started_at: number
  sos_id: number | null
}

interface Mine {
  checkin: CheckinRow | null
  min_s: number
  max_s: number
}

const PRESETS_S = [300, 600, 900, 1800, 3600, 7200]

export class Checkin {
  readonly state = reactive({ active: null as CheckinRow | null, minS: 60, maxS: 28800, busy: false })

  constructor(private readonly s: Session) {
    s.onStart((live) => {
      live.on<{ checkin: CheckinRow; sos: { id: number } }>('escalation.checkin.missed', (e) => {
        this.state.active = null
        s.state.sos = { id: e.sos.id, state: 'open' }
        s.notify('error', 'checkin.missed', { task: e.checkin.task })
      })
    })
    // the running check-in and the bounds, each time the socket (re)connects; only the field
    // roles have check-ins (escalation refuses anyone else's request)
    const mine = (on: boolean): boolean => on && may(s.me, 'checkin')
    watch(() => s.connected, (on) => mine(on) && void this.load().catch(() => undefined), { immediate: true })
  }

  /** Interval choices (seconds): the usual ones within the bounds, and the shortest allowed. */
  get choices(): number[] {
    const within = PRESETS_S.filter((v) => v >= this.state.minS && v <= this.state.maxS)
    return within.length && within[0] === this.state.minS ? within : [this.state.minS, ...within]
  }

  async load(): Promise<void> {
    const mine = await this.s.live.call<Mine>('escalation.checkin.mine', {})
    Object.assign(this.state, { active: mine.checkin, minS: mine.min_s, maxS: mine.max_s })
  }

  async start(task: string, intervalS: number): Promise<void> {
    await this.run('escalation.checkin.start', { task, interval_s: intervalS })
  }

  async ok(): Promise<void> {
    if (this.state.active) await this.run('escalation.checkin.ok', { checkin_id: this.state.active.id })
  }

  async stop(): Promise<void> {
    if (this.state.active) await this.run('escalation.checkin.stop', { checkin_id: this.state.active.id })
  }

  private async run(event: string, body: object): Promise<void> {
    this.state.busy = true
    try {
      const reply = await this.s.live.call<{ checkin: CheckinRow }>(event, body)
      this.state.active = reply.checkin.state === 'active' ? reply.checkin : null
    } finally {
      this.state.busy = false
    }
  }
}
