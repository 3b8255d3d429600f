// The field app's own SOS as the banner and the hot mic see it, from what the hub says of it
// (escalation.sos.raise, escalation.sos.mine; docs/escalation.md "SOS").

export interface SosState {
  id: number
  state: 'open' | 'acknowledged' | 'closed' | 'queued'
  received_by?: string
}

/** An SOS as the hub sends it. */
export interface HubSos {
  id: number
  state: string
  owner_name: string | null
}

export function sosState(sos: HubSos): SosState {
  return sos.state === 'acknowledged'
    ? { id: sos.id, state: 'acknowledged', received_by: sos.owner_name ?? '' }
    : { id: sos.id, state: 'open' }
}
