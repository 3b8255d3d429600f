// HTTP client of the field app: bearer token, one refresh on an expired token, the hub's
// structured errors as ApiError, and network failures as OfflineError (so callers can queue).

export interface HubErrorBody {
  code: string
  message: string
  details?: Record<string, unknown>
}

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

export class OfflineError extends Error {
  constructor() {
    super('offline')
  }
}

export interface Tokens {
  access_token: string
  refresh_token: string
  expires_in: number
}

export interface TokenStore {
  get(): Tokens | null
  set(tokens: Tokens | null): void
}

export const API = '/api/v1'

async function send(url: string, init: RequestInit): Promise<Response> {
  if (!navigator.onLine) throw new OfflineError()
  try {
    return await fetch(url, init)
  } catch {
    throw new OfflineError()
  }
}

async function parse<T>(resp: Response): Promise<T> {
  const text = await resp.text()
  const data: unknown = text ? JSON.parse(text) : {}
  if (!resp.ok) {
    const err = (data as { error?: HubErrorBody }).error
    throw new ApiError(resp.status, err?.code ?? 'http.' + resp.status, err?.message ?? resp.statusText,
      err?.details ?? {})
  }
  return data as T
}

export class Api {
  private refreshing: Promise<void> | null = null

  constructor(private readonly store: TokenStore, private readonly onSignedOut: () => void) {}

  async login(username: string, password: string): Promise<Tokens> {
    const tokens = await this.request<Tokens>('POST', '/auth/login', { username, password }, false)
    this.store.set(tokens)
    return tokens
  }

  async logout(): Promise<void> {
    try {
      await this.request('POST', '/auth/logout', undefined)
    } finally {
      this.store.set(null)
    }
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined)
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {})
  }

  upload<T>(path: string, form: FormData): Promise<T> {
    return this.request<T>('POST', path, form)
  }

  async request<T>(method: string, path: string, body: unknown, auth = true): Promise<T> {
    const resp = await send(API + path, this.init(method, body, auth))
    if (resp.status === 401 && auth && this.store.get()) {
      await this.refresh()
      return parse<T>(await send(API + path, this.init(method, body, auth)))
    }
    return parse<T>(resp)
  }

  /** Rotate the tokens once, however many requests ask at the same time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  private async doRefresh(): Promise<void> {
    const current = this.store.get()
    if (!current) throw new ApiError(401, 'auth.required', 'sign in first')
    const resp = await send(API + '/auth/refresh', this.init('POST', { refresh_token: current.refresh_token }, false))
    try {
      this.store.set(await parse<Tokens>(resp))
    } catch (e) {
      if (e instanceof ApiError) {
        this.store.set(null)
        this.onSignedOut()
      }
      throw e
    }
  }

  private init(method: string, body: unknown, auth: boolean): RequestInit {
    const headers: Record<string, string> = {}
    const token = this.store.get()?.access_token
    if (auth && token) headers.Authorization = `Bearer ${token}`
    let payload: BodyInit | undefined
    if (body instanceof FormData) payload = body
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    return { method, headers, body: payload }
  }
}
