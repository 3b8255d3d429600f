// How each queued job is sent. Every job is safe to send twice: chat messages carry their
// client_msg_id, a report carries its job id as client_ref, an SOS returns the open one, locations are points in a track, and a lifecycle
// action carries the version it was taken on, so a repeat meets incident.conflict; when the
// incident is then already where the action leads, the first send went through.
import { ApiError } from './api'
import { dataUrlToBlob } from './media'
import type { ActJob, ChatJob, Job, ReportJob, SosJob } from './queue'
import type { Session } from './session'
import { sosState, type HubSos } from './sos'
import type { Incident } from './types'

export const TARGET: Record<string, string[]> = {
  sign: ['signed', 'en_route', 'on_scene', 'handled', 'verified', 'closed'],
  en_route: ['en_route', 'on_scene', 'handled', 'verified', 'closed'],
  on_scene: ['on_scene', 'handled', 'verified', 'closed'],
  handle: ['handled', 'verified', 'closed'],
  return: ['registered'],
  verify: ['verified', 'signed', 'closed'],
}

export function runJob(s: Session, job: Job): Promise<void> {
  switch (job.kind) {
    case 'act':
      return runAct(s, job, job.id)
    case 'report':
      return runReport(s, job, job.id)
    case 'sos':
      return runSos(s, job)
    case 'location':
      return s.live
        .call('location.report', { lat: job.lat, lon: job.lon, accuracy: job.accuracy, at: job.at })
        .then(() => undefined)
    case 'chat':
      return runChat(s, job)
  }
}

/** Photos belong to the incident (its photos, the console's 附件) and are shown in its talk
 * channel as image messages. Returns the incident's ids of the photos. */
export async function sendPhotos(s: Session, incidentId: number, photos: string[], tag: string): Promise<number[]> {
  if (photos.length === 0) return []
  const { channel_id } = await s.api.post<{ channel_id: number }>(`/dispatch/incidents/${incidentId}/channel`)
  const ids: number[] = []
  for (const [i, url] of photos.entries()) {
    const name = `photo-${i + 1}.jpg`
    const own = new FormData()
    own.append('photo', dataUrlToBlob(url), name)
    ids.push(...(await s.api.upload<{ items: number[] }>(`/dispatch/incidents/${incidentId}/photos`, own)).items)
    const form = new FormData()
    form.append('file', dataUrlToBlob(url), name)
    const file = await s.api.upload<{ file_id: string }>(`/channels/${channel_id}/files`, form)
    await s.live.call('channel.send', {
      channel_id, client_msg_id: `${tag}-${i}`, kind: 'image', body: { file_id: file.file_id },
    })
  }
  return ids
}

async function runAct(s: Session, job: ActJob, tag: string): Promise<void> {
  const attachments = await sendPhotos(s, job.incident_id, job.photos ?? [], tag)
  const body: Record<string, unknown> = { version: job.version, note: job.note ?? '', attachments }
  if (job.location) body.location = { lat: job.location.lat, lon: job.location.lon }
  if (job.passed !== undefined) body.passed = job.passed
  try {
    const done = await s.api.post<Incident>(`/dispatch/incidents/${job.incident_id}/actions/${job.action}`, body)
    s.upsertTask({ ...done, pending: 0 })
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'incident.conflict') throw e
    const now = await s.api.get<Incident>(`/dispatch/incidents/${job.incident_id}`)
    s.upsertTask({ ...now, pending: 0 })
    if (!(TARGET[job.action] ?? []).includes(now.state)) throw e
  }
}

async function runReport(s: Session, job: ReportJob, tag: string): Promise<void> {
  const { photos, ...body } = job.body as { photos?: string[] } & Record<string, unknown>
  const made = await s.api.post<Incident>('/dispatch/incidents', { ...body, source: 'field', client_ref: tag })
  s.notify('success', 'report.done', { number: made.number })
  await sendPhotos(s, made.id, photos ?? [], tag)
}

async function runSos(s: Session, job: SosJob): Promise<void> {
  const reply = await s.live.call<{ sos: HubSos }>(
    'escalation.sos.raise',
    { lat: job.lat, lon: job.lon, note: job.note },
  )
  s.state.sos = sosState(reply.sos)
}

async function runChat(s: Session, job: ChatJob): Promise<void> {
  await s.live.call('channel.send', {
    channel_id: job.channel_id, client_msg_id: job.client_msg_id, kind: 'text', body: { text: job.text },
  })
}
