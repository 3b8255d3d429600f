// The field app's session: tokens, who I am, the socket, the offline queue and the state the
// views show. One instance, made in main.ts and provided to the views.
import { reactive } from 'vue'
import { Api, ApiError, OfflineError, type Tokens } from './api'
import { OutQueue, type Job } from './queue'
import { Live } from './socket'
import type { Category, Incident, Me } from './types'
import { runJob } from './jobs'

const TOKENS_KEY = 'gridhub.field.tokens'
const ME_KEY = 'gridhub.field.me'
const OPEN_STATES = 'dispatched,signed,en_route,on_scene,handled'

export interface SosState {
  id: number
  state: 'open' | 'acknowledged' | 'closed' | 'queued'
  received_by?: string
}

export interface Notice {
  kind: 'success' | 'warning' | 'error' | 'info'
  text: string
}

function readJson<T>(key: string): T | null {
  const raw = localStorage.getItem(key)
  return raw ? (JSON.parse(raw) as T) : null
}

export class Session {
  readonly state = reactive({
    me: readJson<Me>(ME_KEY),
    online: navigator.onLine,
    connected: false,
    tasks: [] as Incident[],
    categories: [] as Category[],
    sos: null as SosState | null,
    notices: [] as Notice[],
  })

  readonly api: Api
  readonly live: Live
  readonly queue: OutQueue
  private refreshTimer: number | undefined

  constructor() {
    this.api = new Api(
      { get: () => readJson<Tokens>(TOKENS_KEY), set: (t) => this.storeTokens(t) },
      () => this.signedOut(),
    )
    this.live = new Live(() => readJson<Tokens>(TOKENS_KEY)?.access_token)
    this.queue = new OutQueue((job: Job) => runJob(this, job))
    window.addEventListener('online', () => this.wentOnline())
    window.addEventListener('offline', () => {
      this.state.online = false
    })
    this.wireSocket()
  }

  get signedIn(): boolean {
    return this.state.me !== null && readJson<Tokens>(TOKENS_KEY) !== null
  }

  get roles(): Set<string> {
    return new Set((this.state.me?.roles ?? []).map((r) => r.role))
  }

  notify(kind: Notice['kind'], text: string): void {
    this.state.notices.push({ kind, text })
  }

  async login(username: string, password: string): Promise<void> {
    await this.api.login(username, password)
    const me = await this.api.get<Me>('/auth/me')
    localStorage.setItem(ME_KEY, JSON.stringify(me))
    this.state.me = me
    await this.start()
  }

  /** After login or a page load with a stored session: queue, socket, data. */
  async start(): Promise<void> {
    const me = this.state.me
    if (!me) return
    this.queue.open(me.person_id)
    this.live.connect()
    this.scheduleRefresh()
    await Promise.allSettled([this.loadTasks(), this.loadCategories()])
  }

  async logout(): Promise<void> {
    this.live.close()
    try {
      await this.api.logout()
    } catch {
      // signed out locally all the same
    }
    this.signedOut()
  }

  async loadTasks(): Promise<void> {
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

  async loadCategories(): Promise<void> {
    const cats = await this.api.get<{ items: Category[] }>('/dispatch/categories')
    this.state.categories = cats.items
  }

  upsertTask(incident: Incident): void {
    const at = this.state.tasks.findIndex((t) => t.id === incident.id)
    if (at >= 0) this.state.tasks[at] = { ...this.state.tasks[at], ...incident }
    else this.state.tasks.unshift(incident)
  }

  private wireSocket(): void {
    const live = this.live
    live.socket.on('connect', () => {
      this.state.connected = true
      void this.queue.flush().then(() => this.loadTasks().catch(() => undefined))
    })
    live.socket.on('disconnect', () => {
      this.state.connected = false
    })
    live.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.data?.code === 'auth.token_expired') void this.renewAndReconnect()
      else if (err.data?.code?.startsWith('auth.')) this.signedOut()
    })
    live.on<{ code: string }>('session.ended', (e) => {
      if (e.code === 'auth.token_expired') void this.renewAndReconnect()
      else this.signedOut()
    })
    live.on<{ action: string; incident: Incident }>('dispatch.incident', (e) => this.onIncident(e))
    live.on<{ received_by: string; sos_id: number }>('escalation.sos.received', (e) => {
      this.state.sos = { id: e.sos_id, state: 'acknowledged', received_by: e.received_by }
    })
    live.on<{ sos_id: number }>('escalation.sos.closed', () => {
      this.state.sos = null
    })
  }

  private onIncident(e: { action: string; incident: Incident }): void {
    const me = this.state.me
    const known = this.state.tasks.some((t) => t.id === e.incident.id)
    const mine = (e.incident.assignments ?? []).some(
      (a) => a.person_id === me?.person_id || a.kind === 'grid',
    )
    if (known || (e.action === 'dispatch' && mine)) this.upsertTask(e.incident)
    if (!known && e.action === 'dispatch') void this.loadTasks().catch(() => undefined)
  }

  private async wentOnline(): Promise<void> {
    this.state.online = true
    if (!this.live.connected) this.live.connect()
    await this.queue.flush()
    await this.loadTasks().catch(() => undefined)
  }

  private async renewAndReconnect(): Promise<void> {
    try {
      await this.api.refresh()
      this.live.close()
      this.live.connect()
    } catch (e) {
      if (!(e instanceof OfflineError)) this.signedOut()
    }
  }

  private scheduleRefresh(): void {
    window.clearTimeout(this.refreshTimer)
    const tokens = readJson<Tokens>(TOKENS_KEY)
    if (!tokens) return
    const ms = Math.max(30, tokens.expires_in - 60) * 1000
    this.refreshTimer = window.setTimeout(() => void this.refreshNow(), ms)
  }

  private async refreshNow(): Promise<void> {
    try {
      await this.api.refresh()
      const token = readJson<Tokens>(TOKENS_KEY)?.access_token
      if (token && this.live.connected) await this.live.call('auth.refresh', { token })
    } catch (e) {
      if (e instanceof ApiError && e.code.startsWith('auth.')) return
    }
    this.scheduleRefresh()
  }

  private storeTokens(tokens: Tokens | null): void {
    if (tokens) localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens))
    else localStorage.removeItem(TOKENS_KEY)
  }

  private signedOut(): void {
    window.clearTimeout(this.refreshTimer)
    this.live.close()
    this.storeTokens(null)
    localStorage.removeItem(ME_KEY)
    this.state.me = null
    this.state.tasks = []
  }
}
