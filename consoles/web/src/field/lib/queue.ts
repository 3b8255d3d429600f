// The offline queue: actions taken without a connection are kept in localStorage (per person)
// and sent, in order, when the connection is back. A job that the hub refuses for good (a
// structured error) leaves the queue and is reported; a network failure stops the run and
// leaves the job for the next one.
import { reactive } from 'vue'
import { ApiError, OfflineError } from './api'

export interface ActJob {
  kind: 'act'
  incident_id: number
  number: string
  action: string
  version: number
  note?: string
  location?: { lat: number; lon: number }
  passed?: boolean
  photos?: string[]
}

export interface ReportJob {
  kind: 'report'
  body: Record<string, unknown>
}

export interface SosJob {
  kind: 'sos'
  lat?: number
  lon?: number
  note: string
}

export interface LocationJob {
  kind: 'location'
  lat: number
  lon: number
  accuracy?: number
  at: number
}

export interface ChatJob {
  kind: 'chat'
  channel_id: number
  client_msg_id: string
  text: string
}

export type JobBody = ActJob | ReportJob | SosJob | LocationJob | ChatJob

export type Job = JobBody & { id: string; queued_at: number; attempts: number }

export interface Failure {
  job: Job
  code: string
  message: string
}

export type Runner = (job: Job) => Promise<void>

const MAX_LOCATIONS = 100

export function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 10)
}

export class OutQueue {
  readonly state = reactive({ jobs: [] as Job[], failures: [] as Failure[], sending: false })
  private key = ''

  constructor(private readonly run: Runner) {}

  /** Load the queue of one person (the key keeps two accounts on a phone apart). */
  open(personId: number): void {
    this.key = `gridhub.field.queue.${personId}`
    const raw = localStorage.getItem(this.key)
    this.state.jobs = raw ? (JSON.parse(raw) as Job[]) : []
    this.state.failures = []
  }

  get size(): number {
    return this.state.jobs.length
  }

  add(body: JobBody): Job {
    const job = { ...body, id: newId(), queued_at: Date.now(), attempts: 0 } as Job
    this.state.jobs.push(job)
    this.trimLocations()
    this.save()
    return job
  }

  /** Try a job now; queue it when there is no connection. Returns true when sent. */
  async submit(body: JobBody): Promise<boolean> {
    const job = { ...body, id: newId(), queued_at: Date.now(), attempts: 0 } as Job
    if (this.state.jobs.length === 0) {
      try {
        await this.run(job)
        return true
      } catch (e) {
        if (!(e instanceof OfflineError)) throw e
      }
    }
    this.state.jobs.push(job)
    this.trimLocations()
    this.save()
    void this.flush() // stops at the first job that cannot reach the hub
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
        job.attempts += 1
        try {
          await this.run(job)
          sent += 1
        } catch (e) {
          if (e instanceof OfflineError) break
          const err = e instanceof ApiError ? e : new ApiError({ code: 'internal', message: String(e) })
          this.state.failures.push({ job, code: err.code, message: err.message })
        }
        this.state.jobs.shift()
        this.save()
      }
    } finally {
      this.state.sending = false
      this.save()
    }
    return sent
  }

  dismiss(index: number): void {
    this.state.failures.splice(index, 1)
  }

  private trimLocations(): void {
    const locations = this.state.jobs.filter((j) => j.kind === 'location')
    if (locations.length > MAX_LOCATIONS) {
      const drop = new Set(locations.slice(0, locations.length - MAX_LOCATIONS).map((j) => j.id))
      this.state.jobs = this.state.jobs.filter((j) => !drop.has(j.id))
    }
  }

  private save(): void {
    if (this.key) localStorage.setItem(this.key, JSON.stringify(this.state.jobs))
  }
}
