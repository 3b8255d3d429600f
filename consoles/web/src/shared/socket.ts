// The hub's socket.io connection: auth token on every (re)connect, acks in the house
// {ok, error} shape turned into promises, a refreshed token pushed before the old one expires.
import { io, type Socket } from 'socket.io-client'
import { ref, type Ref } from 'vue'
import { HubError, type Api } from './api'
import type { Ack, HubErrorBody } from './types'

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'signed_out'

type Handler = (payload: unknown) => void

const ACK_TIMEOUT_MS = 10_000
const REFRESH_CHECK_MS = 20_000

export class Realtime {
  readonly state: Ref<ConnectionState> = ref('connecting')
  /** Incremented on every successful (re)connect: watch it to reload what may have been missed. */
  readonly connects = ref(0)
  private socket: Socket | null = null
  private timer: number | undefined
  private lastToken = ''

  constructor(private readonly api: Api) {}

  /** Open the socket (idempotent). Reconnects are automatic, each with a fresh token. */
  start(): void {
    if (this.socket) return
    this.socket = io(this.api.base || undefined, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: (callback) => {
        this.api.accessToken().then(
          (token) => {
            this.lastToken = token
            callback({ token })
          },
          () => callback({}),
        )
      },
    })
    this.socket.on('connect', () => {
      this.state.value = 'connected'
      this.connects.value += 1
    })
    this.socket.on('disconnect', () => {
      if (this.state.value !== 'signed_out') this.state.value = 'disconnected'
    })
    this.socket.on('connect_error', (error: Error & { data?: HubErrorBody }) => {
      this.onRefused(error.data)
    })
    this.socket.on('session.ended', (data: HubErrorBody) => this.onEnded(data))
    this.timer = window.setInterval(() => void this.pushToken(), REFRESH_CHECK_MS)
  }

  stop(): void {
    window.clearInterval(this.timer)
    this.socket?.disconnect()
    this.socket = null
  }

  get id(): string | undefined {
    return this.socket?.id
  }

  /** Emit with an ack; resolves with the ack's fields or rejects with a HubError. */
  call<T = Record<string, unknown>>(event: string, data: object = {}, timeoutMs = ACK_TIMEOUT_MS): Promise<T> {
    const socket = this.socket
    if (!socket) return Promise.reject(new HubError({ code: 'socket.closed', message: 'not connected' }))
    return new Promise<T>((resolve, reject) => {
      socket.timeout(timeoutMs).emit(event, data, (error: Error | null, ack: Ack<T>) => {
        if (error) reject(new HubError({ code: 'socket.timeout', message: `${event}: no answer` }))
        else if (ack.ok) resolve(ack as T)
        else reject(new HubError(ack.error))
      })
    })
  }

  /** Listen to a server event; returns the function that stops listening. */
  on<T>(event: string, handler: (payload: T) => void): () => void {
    if (!this.socket) this.start()
    const socket = this.socket as Socket
    socket.on(event, handler as unknown as Handler)
    return () => socket.off(event, handler as unknown as Handler)
  }

  private onRefused(data?: HubErrorBody): void {
    const code = data?.code ?? ''
    if (code === 'auth.token_expired') {
      void this.api.refresh().then(() => this.socket?.connect(), () => this.signedOut())
    } else if (code.startsWith('auth.')) {
      this.signedOut()
    } else {
      this.state.value = 'disconnected'
    }
  }

  private onEnded(data: HubErrorBody): void {
    if (data.code === 'auth.token_expired') {
      void this.api.refresh().then(() => this.socket?.connect(), () => this.signedOut())
    } else {
      this.signedOut()
    }
  }

  private signedOut(): void {
    this.state.value = 'signed_out'
    this.socket?.disconnect()
    this.api.tokens.clear()
    this.api.onSignedOut()
  }

  /** Before the access token runs out, refresh it and hand the new one to the open socket. */
  private async pushToken(): Promise<void> {
    if (this.state.value !== 'connected') return
    try {
      const token = await this.api.accessToken()
      if (token !== this.lastToken) {
        await this.call('auth.refresh', { token })
        this.lastToken = token
      }
    } catch {
      // the next check retries; session.ended handles a session that is really over
    }
  }
}
