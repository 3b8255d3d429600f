// The page's access token, in memory only. The long-lived refresh token never reaches page
// scripts: the hub keeps it in an HttpOnly, SameSite=Strict cookie scoped to /api/v1/auth
// (docs/security.md), so a script injected into a page could not take it, and nothing is
// written to localStorage or sessionStorage. After a reload the page asks the cookie for a new
// access token (Api.resume).
import type { TokenPair } from './types'

export interface AccessToken {
  access: string
  /** epoch ms when the access token expires */
  expiresAt: number
  /** who the token is for (its `sub` claim): a refresh that answers for someone else means
   * another tab of this browser signed in as another person */
  subject: string
}

/** Where earlier builds kept the token pair (`gridhub.<page>.tokens`). */
const LEGACY_KEY = /^gridhub\.[a-z]+\.tokens$/

export class TokenStore {
  private current: AccessToken | null = null

  get(): AccessToken | null {
    return this.current
  }

  set(pair: TokenPair): AccessToken {
    this.current = {
      access: pair.access_token,
      expiresAt: Date.now() + pair.expires_in * 1000,
      subject: subjectOf(pair.access_token),
    }
    return this.current
  }

  clear(): void {
    this.current = null
  }
}

/** Drop the tokens an earlier build left in web storage (run on every page load). */
export function forgetStoredTokens(): void {
  for (const storage of [localStorage, sessionStorage]) {
    const keys = Array.from({ length: storage.length }, (_, i) => storage.key(i) ?? '')
    for (const key of keys.filter((k) => LEGACY_KEY.test(k))) storage.removeItem(key)
  }
}

/** The `sub` claim of a JWT (read, not verified: the hub verifies; this only tells people apart). */
function subjectOf(token: string): string {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const claims = JSON.parse(atob(payload)) as { sub?: unknown }
    return String(claims.sub ?? '')
  } catch {
    return ''
  }
}
