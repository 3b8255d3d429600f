/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

// The part of the hub's host module this plugin uses (served by the hub at run time).
declare module '@gridhub/host' {
  import type { ComputedRef } from 'vue'
  export interface Grant {
    role: string
    grid_id: number | null
    grid_name: string | null
  }
  export interface Me {
    person_id: number
    username: string
    roles: Grant[]
  }
  export const api: {
    get<T = unknown>(path: string, params?: Record<string, string | number>): Promise<T>
    post<T = unknown>(path: string, body?: unknown): Promise<T>
  }
  export const realtime: {
    on<T = unknown>(event: string, handler: (payload: T) => void): () => void
    emit<T = Record<string, unknown>>(event: string, data?: object): Promise<T>
  }
  export const session: { me: ComputedRef<Me | null>; hasRole(...roles: string[]): boolean }
  export function text(zh: string, en: string): string
  export function formatTime(epochS: number | null | undefined): string
  export function showError(error: unknown): void
}
