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

/** Run a request, with unreachable as OfflineError. `up` says whether to try at all: not
 * while the device says it is offline and the socket is down (a browser told to be offline
 * also logs every failed request); the socket being up overrides navigator.onLine, which is
 * false on a network with no route out (an intranet or a loopback-only test). */
async function reach<T>(work: () => Promise<T>, up = true): Promise<T> {
  if (!up) throw new OfflineError()
  try {
    return await work()
  } catch (e) {
    if (e instanceof HubError && !UNREACHED.has(e.code)) throw e
    throw new OfflineError()
  }
}

export class FieldApi {
  constructor(readonly shared: SharedApi, private readonly socketUp: () => boolean) {}

  private get up(): boolean {
    return navigator.onLine || this.socketUp()
  }

  get<T>(path: string): Promise<T> {
    return reach(() => this.shared.get<T>(PREFIX + path), this.up)
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return reach(() => this.shared.post<T>(PREFIX + path, body), this.up)
  }

  upload<T>(path: string, form: FormData): Promise<T> {
    return reach(() => this.shared.request<T>('POST', PREFIX + path, { form }), this.up)
  }

  fileUrl(path: string): Promise<string> {
    return reach(() => this.shared.fileUrl(PREFIX + path), this.up)
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
