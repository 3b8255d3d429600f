import { provideHost } from '@/shared/host'
import { createSession } from '@/shared/session'

/** The console's one session (HTTP client, socket, who is signed in). */
export const session = createSession('console')
export const api = session.api
export const realtime = session.realtime
provideHost(session) // plugins' `@gridhub/host` speaks through this session
