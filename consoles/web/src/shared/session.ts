// One signed-in session of a page: the HTTP client, the socket, and who is signed in.
// Usage (see docs/consoles.md):
//   const session = createSession('console')
//   await session.restore()            // true when this browser's session cookie is still valid
//   await session.login(user, pass)    // then session.me.value is set, the socket connects
import { ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import { Api, HubError } from './api'
import { Realtime } from './socket'
import type { Me } from './types'

export interface Session {
  api: Api
  realtime: Realtime
  me: ShallowRef<Me | null>
  /** true while restore() runs on page load */
  restoring: Ref<boolean>
  login(username: string, password: string): Promise<Me>
  logout(): Promise<void>
  restore(): Promise<boolean>
  hasRole(...roles: string[]): boolean
}

export function createSession(page: string): Session {
  const api = new Api(page)
  const realtime = new Realtime(api)
  const me = shallowRef<Me | null>(null)
  const restoring = ref(false)

  api.onSignedOut = () => {
    realtime.stop()
    me.value = null
  }
  // Markers for the browser tests (and anyone debugging): who is signed in, socket state.
  watch(me, (who) => setMarker('ghUser', who?.username), { immediate: true })
  watch(realtime.state, (state) => setMarker('ghSocket', state), { immediate: true })

  const started = (who: Me): Me => {
    me.value = who
    realtime.start()
    return who
  }

  return {
    api,
    realtime,
    me,
    restoring,
    async login(username, password) {
      return started(await api.login(username, password))
    },
    async logout() {
      realtime.stop()
      await api.logout().catch(() => undefined)
      me.value = null
    },
    async restore() {
      if (!api.resumable) return false
      restoring.value = true
      try {
        await api.refresh()
        started(await api.me())
        return true
      } catch (error) {
        if (error instanceof HubError && error.status === 401) api.tokens.clear()
        return false
      } finally {
        restoring.value = false
      }
    },
    hasRole(...roles) {
      const who = me.value
      if (!who) return false
      return who.is_admin || who.roles.some((grant) => roles.includes(grant.role))
    },
  }
}

function setMarker(name: string, value: string | undefined): void {
  if (value) document.body.dataset[name] = value
  else delete document.body.dataset[name]
}
