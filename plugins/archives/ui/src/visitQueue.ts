// Visits recorded in the field tab (走访), sent now or, without a connection, kept in this
// phone's localStorage (per person) and sent in order when the connection is back. The host's
// own offline queue (the field app's lib/queue.ts) is not part of @gridhub/host, so the tab
// keeps its own, the same way: a structured refusal (HubError) drops the job and is reported, a
// network failure keeps it for the next run. A visit carries its own client id, so a resend
// after a lost answer is stored once by the hub.
import { reactive } from 'vue'
import { api, HubError } from '@gridhub/host'

const BASE = '/api/v1/archives'

export interface HazardDraft {
  title: string
  description?: string
  priority?: 'low' | 'normal' | 'high' | 'urgent'
}

export interface VisitJob {
  client_id: string
  subject_type: 'person' | 'place'
  subject_id: number
  name: string
  note: string
  visited_at: string
  lat?: number
  lon?: number
  hazard?: HazardDraft
  photos: string[]
}

export interface VisitFailure {
  job: VisitJob
  code: string
  message: string
}

interface StoredVisit {
  id: number
}

export function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 12)
}

/** Send one visit and its photos; rejects with a HubError (refused) or anything else (offline). */
export async function sendVisit(job: VisitJob): Promise<StoredVisit> {
  const { photos, name: _name, ...body } = job
  const stored = await api.post<StoredVisit>(`${BASE}/visits`, body)
  if (photos.length > 0) await api.upload(`${BASE}/visits/${stored.id}/photos`, photoForm(photos))
  return stored
}

/** The photos as multipart parts named `photo`. A queued job keeps them as data URLs (what
 * localStorage can hold); they become files only when sent. */
export function photoForm(photos: string[]): FormData {
  const form = new FormData()
  photos.forEach((url, n) => {
    const comma = url.indexOf(',')
    const type = /^data:([^;,]+)/.exec(url)?.[1] ?? 'application/octet-stream'
    const bytes = Uint8Array.from(atob(url.slice(comma + 1)), (c) => c.charCodeAt(0))
    form.append('photo', new Blob([bytes], { type }), `photo-${n + 1}.${type.split('/')[1] ?? 'bin'}`)
  })
  return form
}

export class VisitQueue {
  readonly state = reactive({ jobs: [] as VisitJob[], failures: [] as VisitFailure[], sending: false })
  private key = ''

  open(personId: number): void {
    this.key = `gridhub.archives.visits.${personId}`
    try {
      this.state.jobs = JSON.parse(localStorage.getItem(this.key) ?? '[]') as VisitJob[]
    } catch {
      this.state.jobs = []
    }
  }

  /** Send now, or queue when the hub cannot be reached. Returns true when sent. */
  async submit(job: VisitJob): Promise<boolean> {
    if (this.state.jobs.length === 0) {
      try {
        await sendVisit(job)
        return true
      } catch (error) {
        if (error instanceof HubError) throw error
      }
    }
    this.state.jobs.push(job)
    this.save()
    void this.flush()
    return false
  }

  /** Send what is queued, oldest first, until done or the connection fails again. */
  async flush(): Promise<number> {
    if (this.state.sending || !this.key) return 0
    this.state.sending = true
    let sent = 0
    try {
      while (this.state.jobs.length > 0) {
        const job = this.state.jobs[0]
        try {
          await sendVisit(job)
          sent += 1
        } catch (error) {
          if (!(error instanceof HubError)) break // still offline: keep it
          this.state.failures.push({ job, code: error.code, message: error.message })
        }
        this.state.jobs.shift()
        this.save()
      }
    } finally {
      this.state.sending = false
    }
    return sent
  }

  private save(): void {
    if (this.key) localStorage.setItem(this.key, JSON.stringify(this.state.jobs))
  }
}
