import { inject, type InjectionKey } from 'vue'
import type { Calls } from './calls'
import type { Chat } from './chat'
import type { Duty } from './duty'
import type { Session } from './session'

export interface Field {
  session: Session
  duty: Duty
  calls: Calls
  chat: Chat
}

export const FIELD: InjectionKey<Field> = Symbol('field')

export function useField(): Field {
  const f = inject(FIELD)
  if (!f) throw new Error('field context missing')
  return f
}
