// Lifecycle actions on incidents, over the socket (dispatch.act), with the house errors.
import { HubError } from '@/shared/api'
import { realtime } from './session'
import { useLive } from './store'
import type { Incident, IncidentDetail, Suggestion } from './types'

export interface ActionFields {
  note?: string
  passed?: boolean
  rating?: number
  review_at?: string
  assignees?: { kind: 'person' | 'grid' | 'department'; target: string; lead: boolean }[]
  attachments?: number[]
}

/** Actions that need a note (the hub refuses them without one). */
export const NOTE_REQUIRED = new Set(['reject', 'return', 'escalate', 'park', 'reopen', 'supervise', 'comment', 'handle'])
/** Actions of the field side that the console does not offer (the assignee acts in the field app). */
export const FIELD_ONLY = new Set(['sign', 'en_route', 'on_scene', 'handle'])

export async function act(incident: Incident, action: string, fields: ActionFields = {}): Promise<Incident> {
  const live = useLive()
  try {
    const reply = await realtime.call<{ incident: Incident }>('dispatch.act', {
      incident_id: incident.id,
      action,
      version: incident.version,
      ...fields,
    })
    live.putIncident(reply.incident)
    return reply.incident
  } catch (error) {
    if (error instanceof HubError && error.code === 'incident.conflict') {
      await detail(incident.id)
    }
    throw error
  }
}

export async function detail(id: number): Promise<IncidentDetail> {
  const reply = await realtime.call<{ incident: IncidentDetail }>('dispatch.get', { incident_id: id })
  useLive().putIncident(reply.incident)
  return reply.incident
}

export async function suggestions(id: number): Promise<Suggestion[]> {
  const reply = await realtime.call<{ suggestions: Suggestion[] }>('dispatch.suggest', { incident_id: id })
  return reply.suggestions
}

export async function channelOf(id: number): Promise<number> {
  const reply = await realtime.call<{ channel_id: number }>('dispatch.channel', { incident_id: id })
  return reply.channel_id
}
