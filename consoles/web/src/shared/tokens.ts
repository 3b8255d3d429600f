// Token storage per page ("console", "field"): kept in localStorage so a reload stays signed in;
// each page has its own key, so a commander and a worker can use one browser side by side.
import type { TokenPair } from './types'

export interface StoredTokens {
  access: string
  refresh: string
  /** epoch ms when the access token expires */
  expiresAt: number
}

export class TokenStore {
  private readonly key: string

  constructor(page: string) {
    this.key = `gridhub.${page}.tokens`
  }

  get(): StoredTokens | null {
    const raw = localStorage.getItem(this.key)
    if (!raw) return null
    try {
      const parsed = JSON.parse(raw) as StoredTokens
      return typeof parsed.access === 'string' && typeof parsed.refresh === 'string' ? parsed : null
    } catch {
      return null
    }
  }

  set(pair: TokenPair): StoredTokens {
    const stored = {
      access: pair.access_token,
      refresh: pair.refresh_token,
      expiresAt: Date.now() + pair.expires_in * 1000,
    }
    localStorage.setItem(this.key, JSON.stringify(stored))
    return stored
  }

  clear(): void {
    localStorage.removeItem(this.key)
  }
}
