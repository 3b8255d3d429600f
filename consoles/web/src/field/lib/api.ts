// The field app's view of the shared HTTP client and socket (src/shared): the same calls, but
// a request that cannot reach the hub (no network, socket down, no answer) fails with
// OfflineError, so the caller can queue it; the hub's own refusals stay HubError.
import { HubError, type Api as SharedApi } from '@/shared/api'
import type { Realtime } from '@/shared/socket'

export { HubError as ApiError }

export class OfflineError extends Error {
  constructor() {
    super('offline')
    this.name = 'OfflineError'
  }
}

const PREFIX = '/api/v1'
const UNREACHED = new Set(['socket.closed', 'socket.timeout'])

async function reach<T>(work: () => Promise<T>): Promise<T> {
  if (!navigator.onLine) throw new OfflineError()
  try {
    return await work()
  } catch (e) {
    if (e instanceof HubError && !UNREACHED.has(e.code)) throw e
    throw new OfflineError()
  }
}

export class FieldApi {
  constructor(readonly shared: SharedApi) {}

  get<T>(path: string): Promise<T> {
    return reach(() => this.shared.get<T>(PREFIX + path))
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return reach(() => this.shared.post<T>(PREFIX + path, body))
  }

  upload<T>(path: string, form: FormData): Promise<T> {
    return reach(() => this.shared.request<T>('POST', PREFIX + path, { form }))
  }

  fileUrl(path: string): Promise<string> {
    return reach(() => this.shared.fileUrl(PREFIX + path))
  }
}

export class Live {
  constructor(readonly realtime: Realtime) {}

  get connected(): boolean {
    return this.realtime.state.value === 'connected'
  }

  on<T>(event: string, fn: (data: T) => void): void {
    this.realtime.on<T>(event, fn)
  }

  call<T>(event: string, data: object, timeoutMs = 8000): Promise<T> {
    if (!this.connected) return Promise.reject(new OfflineError())
    return reach(() => this.realtime.call<T>(event, data, timeoutMs))
  }
}
