// Typed HTTP client for the hub: bearer auth, automatic refresh, structured errors.
// The access token lives in memory (tokens.ts); the refresh token is an HttpOnly cookie the
// page never sees: a refresh sends only the CSRF token read from the `gridhub_csrf` cookie.
import { forgetStoredTokens, TokenStore } from './tokens'
import type { HubErrorBody, Me, TokenPair, UiConfig, UploadedFile } from './types'

/** A structured error from the hub (HTTP body `{error}` or a socket ack `{ok:false, error}`). */
export class HubError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(body: HubErrorBody, status = 0) {
    super(body.message)
    this.name = 'HubError'
    this.code = body.code
    this.status = status
    this.details = body.details
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  form?: FormData
  /** false: send no Authorization header (login, public pages) */
  auth?: boolean
  headers?: Record<string, string>
  /** aborts the request (a map layer's read superseded by a newer viewport) */
  signal?: AbortSignal
}

const REFRESH_MARGIN_MS = 30_000
const CSRF_COOKIE = 'gridhub_csrf'
const CSRF_HEADER = 'X-CSRF-Token'
/** Another tab of this browser rotated the cookie at the same moment: the jar holds the new one. */
const SUPERSEDED = 'auth.refresh_superseded'

export class Api {
  readonly tokens: TokenStore
  /** Called once the session is over (refresh refused); the page shows its login again. */
  onSignedOut: () => void = () => {}
  private refreshing: Promise<string> | null = null

  /** `page` names the page for logs; every page of a browser shares the one refresh cookie. */
  constructor(readonly page: string, readonly base = '') {
    this.tokens = new TokenStore()
    forgetStoredTokens()
  }

  get signedIn(): boolean {
    return this.tokens.get() !== null
  }

  /** Whether this browser holds a session to resume (the hub set the CSRF cookie at sign-in
   * and clears it at sign-out): asking without one would only be refused. */
  get resumable(): boolean {
    return csrfToken() !== ''
  }

  async login(username: string, password: string): Promise<Me> {
    const pair = await this.request<TokenPair>('POST', '/api/v1/auth/login', {
      body: { username, password, cookie: true },
      auth: false,
    })
    this.tokens.set(pair)
    return this.me()
  }

  /** End the session on the hub, which clears the cookies (with the bearer token, or with the
   * cookie and its CSRF token when this page holds no access token). */
  async logout(): Promise<void> {
    try {
      if (this.signedIn || this.resumable) {
        await this.request('POST', '/api/v1/auth/logout', {
          auth: this.signedIn,
          headers: { [CSRF_HEADER]: csrfToken() },
        })
      }
    } finally {
      this.tokens.clear()
    }
  }

  me(): Promise<Me> {
    return this.get<Me>('/api/v1/auth/me')
  }

  uiConfig(): Promise<UiConfig> {
    return this.request<UiConfig>('GET', '/api/v1/ui/config', { auth: false })
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const stored = this.tokens.get()
    if (!stored) throw new HubError({ code: 'auth.required', message: 'sign in first' }, 401)
    if (stored.expiresAt - Date.now() > REFRESH_MARGIN_MS) return stored.access
    return this.refresh()
  }

  /** A new access token from the refresh cookie (one refresh at a time; the hub rotates the
   * cookie). Also how a page load resumes a session (check `resumable` first). */
  refresh(): Promise<string> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  private async doRefresh(): Promise<string> {
    const before = this.tokens.get()?.subject
    try {
      const pair = await this.refreshOnce().catch((error: unknown) => {
        if (error instanceof HubError && error.code === SUPERSEDED) return this.refreshOnce()
        throw error
      })
      const now = this.tokens.set(pair)
      if (before !== undefined && now.subject !== before) throw otherPerson()
      return now.access
    } catch (error) {
      if (error instanceof HubError && error.status >= 400 && error.status < 500) {
        this.tokens.clear()
        this.onSignedOut()
      }
      throw error
    }
  }

  private refreshOnce(): Promise<TokenPair> {
    return this.request<TokenPair>('POST', '/api/v1/auth/refresh', {
      body: {},
      auth: false,
      headers: { [CSRF_HEADER]: csrfToken() },
    })
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query })
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body })
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body })
  }

  upload(channelId: number, file: Blob, name = 'upload'): Promise<UploadedFile> {
    const form = new FormData()
    form.append('file', file, name)
    return this.request<UploadedFile>('POST', `/api/v1/channels/${channelId}/files`, { form })
  }

  /** A blob: URL of a protected file (images in chat, attachments), for <img src>. */
  async fileUrl(path: string): Promise<string> {
    const response = await this.send('GET', path, {}, true)
    if (!response.ok) throw await errorOf(response)
    return URL.createObjectURL(await response.blob())
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.answer(method, path, options)
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  /** A file by GET with the same sign-in as request(): its bytes and the name the hub gave it
   * (Content-Disposition), if any. */
  async fetchFile(
    path: string, query?: Query, auth = true, body?: unknown,
  ): Promise<{ blob: Blob; name: string | null }> {
    // With a body: a POST (an export is an audited act, not a plain read).
    const response = await this.answer(body === undefined ? 'GET' : 'POST', path, { query, auth, body })
    return { blob: await response.blob(), name: dispositionName(response.headers.get('Content-Disposition')) }
  }

  /** A successful response (one refresh and retry on 401), or the hub's error thrown. */
  private async answer(method: string, path: string, options: RequestOptions): Promise<Response> {
    let response = await this.send(method, path, options, options.auth !== false)
    if (response.status === 401 && options.auth !== false && this.signedIn) {
      await this.refresh()
      response = await this.send(method, path, options, true)
    }
    if (!response.ok) throw await errorOf(response)
    return response
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    auth: boolean,
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers }
    if (auth) headers.Authorization = `Bearer ${await this.accessToken()}`
    let body: BodyInit | undefined
    if (options.form) body = options.form
    else if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    return fetch(this.base + path + queryString(options.query), { method, headers, body, signal: options.signal })
  }
}

function csrfToken(): string {
  const prefix = `${CSRF_COOKIE}=`
  const found = document.cookie.split('; ').find((pair) => pair.startsWith(prefix))
  return found ? decodeURIComponent(found.slice(prefix.length)) : ''
}

/** The cookie now belongs to someone else (another tab signed in as another person): this
 * page's session is over, it must not go on as them. */
function otherPerson(): HubError {
  return new HubError({ code: 'auth.other_person', message: 'another person signed in in this browser' }, 401)
}

function queryString(query?: Query): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** The file name of a Content-Disposition header: RFC 5987's `filename*=UTF-8''…` (Chinese
 * names) before the plain `filename=`. */
export function dispositionName(header: string | null): string | null {
  if (!header) return null
  const encoded = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header)
  if (encoded) {
    try {
      return decodeURIComponent(encoded[2].trim())
    } catch {
      // malformed escapes: fall back to the plain name
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header)
  if (!plain) return null
  return (plain[2] ?? plain[1]).trim() || null
}

async function errorOf(response: Response): Promise<HubError> {
  try {
    const data = (await response.json()) as { error?: HubErrorBody }
    if (data.error?.code) return new HubError(data.error, response.status)
  } catch {
    // not JSON: fall through
  }
  return new HubError({ code: `http.${response.status}`, message: response.statusText }, response.status)
}
