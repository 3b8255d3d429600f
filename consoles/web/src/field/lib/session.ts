// The field app's session on top of the shared one (src/shared/session.ts): who I am, my
// tasks, the offline queue, SOS state, and the socket's live events. One instance, made in
// main.ts; the views reach it through useField().
import { reactive, watch } from 'vue'
import { provideHost } from '@/shared/host'
import { createSession, type Session as SharedSession } from '@/shared/session'
import { FieldApi, Live, OfflineError } from './api'
import { OutQueue, type Job } from './queue'
import type { Me } from '@/shared/types'
import type { Category, Incident } from './types'
import { runJob } from './jobs'
import { may } from './access'
import { sosState, type HubSos, type SosState } from './sos'

const OPEN_STATES = 'dispatched,signed,en_route,on_scene,handled'


export interface Notice {
  kind: 'success' | 'warning' | 'error' | 'info'
  key: string
  params?: Record<string, string | number>
}

type Wire = (live: Live) => void

export class Session {
  readonly state = reactive({
    online: navigator.onLine,
    tasks: [] as Incident[],
    categories: [] as Category[],
    sos: null as SosState | null,
    notices: [] as Notice[],
  })

  readonly shared: SharedSession
  readonly api: FieldApi
  readonly live: Live
  readonly queue: OutQueue
  private readonly wires: Wire[] = []

  constructor() {
    this.shared = createSession('field')
    provideHost(this.shared) // plugin tabs' `@gridhub/host` speaks through this session
    this.live = new Live(this.shared.realtime)
    this.api = new FieldApi(this.shared.api, () => this.live.connected)
    this.queue = new OutQueue((job: Job) => runJob(this, job))
    window.addEventListener('online', () => void this.wentOnline())
    window.addEventListener('offline', () => {
      this.state.online = false
    })
    watch(this.shared.realtime.connects, () => void this.reconnected())
    watch(this.shared.me, (me) => {
      if (!me) this.state.tasks = []
    })
    this.onStart((live) => this.wireSocket(live))
    // my SOS still raised, each time the socket (re)connects: after a reload the banner comes
    // back and the hot mic reopens for it (HotMic follows state.sos)
    watch(() => this.connected, (on) => {
      if (on && may(this.me, 'sos')) void this.loadSos().catch(() => undefined)
    }, { immediate: true })
  }

  get me(): Me | null {
    return this.shared.me.value
  }

  get connected(): boolean {
    return this.live.connected
  }

  get roles(): Set<string> {
    return new Set((this.me?.roles ?? []).map((r) => r.role))
  }

  /** Socket listeners to add each time a session starts (a new socket each sign-in). */
  onStart(wire: Wire): void {
    this.wires.push(wire)
  }

  notify(kind: Notice['kind'], key: string, params?: Notice['params']): void {
    this.state.notices.push({ kind, key, params })
  }

  async login(username: string, password: string): Promise<void> {
    await this.shared.login(username, password)
    await this.started()
  }

  /** A stored session after a page load. */
  async restore(): Promise<boolean> {
    if (!(await this.shared.restore())) return false
    await this.started()
    return true
  }

  async logout(): Promise<void> {
    await this.shared.logout()
  }

  async loadTasks(): Promise<void> {
    if (!may(this.me, 'tasks')) return // not a grid role's: dispatch would answer 403
    const mine = await this.api.get<{ items: Incident[] }>(
      `/dispatch/incidents?mine=true&state=${OPEN_STATES}&limit=100`,
    )
    let items = mine.items
    if (this.roles.has('grid_leader')) {
      const check = await this.api.get<{ items: Incident[] }>('/dispatch/incidents?state=handled&limit=100')
      const seen = new Set(items.map((i) => i.id))
      items = [...items, ...check.items.filter((i) => !seen.has(i.id))]
    }
    const pending = new Map(this.state.tasks.filter((t) => t.pending).map((t) => [t.id, t]))
    this.state.tasks = items.map((i) => pending.get(i.id) ?? i)
  }

  /** The SOS I raised that the hub has not closed (or none: closed meanwhile). */
  async loadSos(): Promise<void> {
    const mine = await this.live.call<{ sos: HubSos | null }>('escalation.sos.mine', {})
    if (mine.sos) this.state.sos = sosState(mine.sos)
    else if (this.state.sos?.state !== 'queued') this.state.sos = null // a queued one is still to send
  }

  async loadCategories(): Promise<void> {
    const cats = await this.api.get<{ items: Category[] }>('/dispatch/categories')
    this.state.categories = cats.items.filter((c) => c.active !== false)
  }

  upsertTask(incident: Incident): void {
    const at = this.state.tasks.findIndex((t) => t.id === incident.id)
    if (at >= 0) this.state.tasks[at] = { ...this.state.tasks[at], ...incident }
    else this.state.tasks.unshift(incident)
  }

  private async started(): Promise<void> {
    const me = this.me
    if (!me) return
    this.queue.open(me.person_id)
    for (const wire of this.wires) wire(this.live)
    await Promise.allSettled([this.loadTasks(), this.loadCategories()])
  }

  private async reconnected(): Promise<void> {
    if (!this.me) return
    await this.queue.flush()
    await this.loadTasks().catch(() => undefined)
  }

  private wireSocket(live: Live): void {
    live.on<{ action: string; incident: Incident }>('dispatch.incident', (e) => this.onIncident(e))
    live.on<{ received_by: string; sos_id: number }>('escalation.sos.received', (e) => {
      this.state.sos = { id: e.sos_id, state: 'acknowledged', received_by: e.received_by }
    })
    live.on<{ sos_id: number }>('escalation.sos.closed', () => {
      this.state.sos = null
      this.notify('info', 'sos.closed')
    })
  }

  private onIncident(e: { action: string; incident: Incident }): void {
    const known = this.state.tasks.some((t) => t.id === e.incident.id)
    if (known) this.upsertTask(e.incident)
    else if (e.action === 'dispatch') {
      this.notify('warning', 'tasks.newTask', { title: e.incident.title })
      void this.loadTasks().catch(() => undefined)
    }
  }

  private async wentOnline(): Promise<void> {
    this.state.online = true
    try {
      await this.queue.flush()
      await this.loadTasks()
    } catch (e) {
      if (!(e instanceof OfflineError)) throw e
    }
  }
}
