// A resident's own sign-in on the residents' page (/report), which has no page session: a
// section signs its resident in with their account (the core `resident` role) and keeps the
// access token in memory only, in that section (gone with the page). No refresh cookie is asked
// for, so nothing outlives the page. `<ResidentSignIn>` (components/ResidentSignIn.vue) is the
// form; both are in `@gridhub/host` (docs/plugins.md).
import { ref, type Ref } from 'vue'
import { HubError } from './api'

export interface ResidentSession {
  /** the resident's access token once signed in, else null */
  readonly token: Ref<string | null>
  /** a JSON request with the resident's token (none before sign-in); a refusal rejects with a
   * HubError carrying the hub's code */
  call<T>(method: string, path: string, body?: unknown): Promise<T>
}

export function residentSession(): ResidentSession {
  const token = ref<string | null>(null)

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (token.value) headers.Authorization = `Bearer ${token.value}`
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const data = response.status === 204 ? null : await response.json()
    if (!response.ok) throw new HubError(data.error, response.status)
    return data as T
  }

  return { token, call }
}
