
import type { Calls } from './calls'
import type { Chat } from './chat'
import type { Checkin } from './checkin'
import type { Duty } from './duty'
import type { HotMic } from './hotmic'
import type { Ptt } from './ptt'
import type { Session } from './session'

export interface Field {
  session: Session
  duty: Duty
  calls: Calls
  chat: Chat
  ptt: Ptt
  hotMic: HotMic
  checkin: Checkin
}

let field: Field | null = null

/** Set once by main.ts before the page mounts. */
export function setField(made: Field): void {
  field = made
}

export function useField(): Field {
  if (!field) throw new Error('field context missing')
  return field
}
