// What a page shares with plugin bundles (`@gridhub/host`, see src/host/gridhub.ts): the
// page's session (HTTP client, socket, who is signed in) and its locale. A page registers
// its session once (`provideHost`); mountPage registers the locale. Plugins get small,
// stable wrappers, never the page's classes, so those may change without breaking a plugin.
import { computed, ref, shallowRef, type ComputedRef, type Ref, type ShallowRef } from 'vue'
import { Api, HubError, type Query } from './api'
import type { Realtime } from './socket'
import { formatTime as formatEpoch, type TimeValue } from './time'
import type { Me } from './types'

export interface HostSession {
  api: Api
  realtime: Realtime
  me: ShallowRef<Me | null>
  hasRole(...roles: string[]): boolean
}

const current = shallowRef<HostSession | null>(null)
// the page's vue-i18n locale ref once mountPage ran (reactive: the language toggle)
const localeSource = shallowRef<{ locale: Ref<string> }>({ locale: ref('zh-CN') })
let anonymous: Api | null = null

/** The page's session, for plugins (a page without sign-in, the residents' page, has none). */
export function provideHost(session: HostSession): void {
  current.value = session
}

/** The page's locale ref (vue-i18n's), so text() follows the language toggle. */
export function provideLocale(source: Ref<string>): void {
  localeSource.value = { locale: source }
}

function localeRef(): Ref<string> {
  return localeSource.value.locale
}

export function hostSession(): HostSession | null {
  return current.value
}

function client(): { api: Api; auth: boolean } {
  const session = current.value
  if (session?.api.signedIn) return { api: session.api, auth: true }
  anonymous ??= new Api('plugin')
  return { api: anonymous, auth: false }
}

/** The hub's HTTP API for plugins: auth headers and token refresh as the page has them; a
 * refusal arrives as a HubError with `.code`. */
export const api = {
  get<T = unknown>(path: string, params?: Query): Promise<T> {
    const { api: http, auth } = client()
    return http.request<T>('GET', path, { query: params, auth })
  },
  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    const { api: http, auth } = client()
    return http.request<T>('POST', path, { body: body ?? {}, auth })
  },
  put<T = unknown>(path: string, body?: unknown): Promise<T> {
    const { api: http, auth } = client()
    return http.request<T>('PUT', path, { body: body ?? {}, auth })
  },
  patch<T = unknown>(path: string, body?: unknown): Promise<T> {
    const { api: http, auth } = client()
    return http.request<T>('PATCH', path, { body: body ?? {}, auth })
  },
  /** Resolves with the answer's JSON, or undefined for 204 No Content. */
  delete<T = unknown>(path: string): Promise<T> {
    const { api: http, auth } = client()
    return http.request<T>('DELETE', path, { auth })
  },
  /** A multipart POST (files: `form.append('file', blob, name)`), signed in as the page's own
   * uploads are; the answer is JSON as for post(). */
  upload<T = unknown>(path: string, form: FormData): Promise<T> {
    const { api: http, auth } = client()
    return http.request<T>('POST', path, { form, auth })
  },
  /** An authenticated GET of a file (a plain link would carry no sign-in), saved by the browser
   * under `filename`, else the name in the answer's Content-Disposition, else the path's last
   * part. Resolves with the name it was saved under; a refusal rejects with a HubError. */
  async download(path: string, params?: Query, filename?: string): Promise<string> {
    const { api: http, auth } = client()
    const { blob, name } = await http.fetchFile(path, params, auth)
    const saved = filename ?? name ?? (path.split('/').pop() || 'download')
    saveBlob(blob, saved)
    return saved
  },
  /** A blob: URL of a protected file for <img src> (a plain URL would carry no sign-in);
   * revoke it with URL.revokeObjectURL when it is no longer shown. */
  fileUrl(path: string): Promise<string> {
    return client().api.fileUrl(path)
  },
  /** An export (a POST with its filters as the body) saved as a file, like download(). */
  async exportFile(path: string, body: object, filename?: string): Promise<string> {
    const { api: http, auth } = client()
    const { blob, name } = await http.fetchFile(path, undefined, auth, body)
    const saved = filename ?? name ?? 'export'
    saveBlob(blob, saved)
    return saved
  },
}

function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.style.display = 'none'
  document.body.appendChild(link)
  link.click()
  link.remove()
  // the click has started the download; the URL is kept a moment for browsers that read it late
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

function liveSocket(): Realtime {
  const session = current.value
  if (!session) throw new HubError({ code: 'socket.closed', message: text('未连接', 'not connected') })
  return session.realtime
}

/** The page's socket: listen (returns the function that stops listening) and emit with an ack. */
export const realtime = {
  on<T = unknown>(event: string, handler: (payload: T) => void): () => void {
    return liveSocket().on<T>(event, handler)
  },
  emit<T = Record<string, unknown>>(event: string, data: object = {}): Promise<T> {
    return liveSocket().call<T>(event, data)
  },
}

/** Who is signed in (null when nobody) and whether they hold a role (admins hold every one). */
export const session = {
  me: computed<Me | null>(() => current.value?.me.value ?? null) as ComputedRef<Me | null>,
  hasRole(...roles: string[]): boolean {
    return current.value?.hasRole(...roles) ?? false
  },
}

/** The current language: 'zh-CN' or 'en' (reactive). */
export function useLocale(): ComputedRef<string> {
  return computed(() => localeRef().value)
}

/** Chinese or English by the current language (reactive inside a render). */
export function text(zh: string, en: string): string {
  return localeRef().value === 'en' ? en : zh
}

/** A time (epoch seconds or ISO 8601) as "2026-11-26 09:30" in the deployment's zone (the
 *  hub's pages use the same format). */
export function formatTime(at: TimeValue, withSeconds = false): string {
  return formatEpoch(at, withSeconds)
}
