// Taking a lifecycle action from the field app: sent at once when online, otherwise queued with
// the task moved ahead locally (marked pending) so the next step can be taken offline too.
import { ApiError } from './api'
import { TARGET } from './jobs'
import type { ActJob } from './queue'
import type { Session } from './session'
import type { Incident } from './types'

export const FIELD_ACTIONS = ['sign', 'en_route', 'on_scene', 'handle', 'verify', 'return']

export function myActions(s: Session, task: Incident): string[] {
  const leader = s.roles.has('grid_leader') || s.roles.has('commander')
  const signed = !mustSign(s, task)
  return FIELD_ACTIONS.filter(
    (a) => task.actions.includes(a) && (a !== 'verify' || leader) && (a !== 'sign' || !signed),
  )
}

/** Is my part of the task still waiting for my signature? */
export function mustSign(s: Session, task: Incident): boolean {
  if (!task.assignments) return task.state === 'dispatched'
  const me = s.me
  const grids = new Set((me?.roles ?? []).map((r) => r.grid))
  const part = task.assignments.find(
    (a) => a.person_id === me?.person_id || (a.kind === 'grid' && grids.has(a.target)),
  )
  return part?.state === 'pending'
}

export type Outcome = 'sent' | 'queued' | { error: string }

export async function act(
  s: Session,
  task: Incident,
  extra: Omit<ActJob, 'kind' | 'incident_id' | 'number' | 'version'>,
): Promise<Outcome> {
  const job: ActJob = { kind: 'act', incident_id: task.id, number: task.number, version: task.version, ...extra }
  try {
    if (await s.queue.submit(job)) return 'sent'
  } catch (e) {
    return { error: e instanceof ApiError ? e.message : String(e) }
  }
  const next = extra.action === 'verify' && extra.passed === false ? 'signed' : TARGET[extra.action]?.[0]
  s.upsertTask({
    ...task, state: next ?? task.state, version: task.version + 1, pending: (task.pending ?? 0) + 1,
    actions: nextActions(next ?? task.state),
  })
  return 'queued'
}

function nextActions(state: string): string[] {
  const table: Record<string, string[]> = {
    dispatched: ['sign', 'return'],
    signed: ['en_route', 'on_scene', 'handle', 'return'],
    en_route: ['on_scene', 'handle', 'return'],
    on_scene: ['handle', 'return'],
    handled: ['verify'],
  }
  return table[state] ?? []
}
