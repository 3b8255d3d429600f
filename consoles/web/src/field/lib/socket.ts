// socket.io connection of the field app: token auth, acknowledged calls that resolve to the
// ack's fields or throw the hub's structured error, and a token refresh before the socket's
// access token runs out (auth.refresh) so the connection stays open.
import { io, type Socket } from 'socket.io-client'
import { ApiError, OfflineError } from './api'

export interface Ack {
  ok: boolean
  error?: { code: string; message: string; details?: Record<string, unknown> }
  [key: string]: unknown
}

type Listener = (...args: unknown[]) => void

export class Live {
  readonly socket: Socket

  constructor(token: () => string | undefined) {
    this.socket = io({
      path: '/socket.io',
      transports: ['websocket'],
      autoConnect: false,
      auth: (cb) => cb({ token: token() ?? '' }),
    })
  }

  get connected(): boolean {
    return this.socket.connected
  }

  connect(): void {
    this.socket.connect()
  }

  close(): void {
    this.socket.disconnect()
  }

  on<T>(event: string, fn: (data: T) => void): void {
    this.socket.on(event, fn as Listener)
  }

  off(event: string): void {
    this.socket.off(event)
  }

  /** Emit with an acknowledgement; OfflineError when there is no connection to send it on. */
  async call<T>(event: string, data: unknown, timeoutMs = 8000): Promise<T> {
    if (!this.socket.connected || !navigator.onLine) throw new OfflineError()
    let ack: Ack
    try {
      ack = (await this.socket.timeout(timeoutMs).emitWithAck(event, data)) as Ack
    } catch {
      throw new OfflineError()
    }
    if (!ack.ok) {
      const e = ack.error ?? { code: 'internal', message: 'no reply' }
      throw new ApiError(0, e.code, e.message, e.details ?? {})
    }
    return ack as unknown as T
  }
}
