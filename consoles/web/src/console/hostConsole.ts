// The console's part of `@gridhub/host` (shared/consoleHost.ts): its live store, the incident
// drawer and calls, for plugin pages (dispatch's incident board, the alarm centre, ...).
import { provideConsole, type ConsoleLive } from '@/shared/consoleHost'
import { useCalls } from './calls'
import { useIncidentDrawer } from './drawer'
import { useLive } from './store'

provideConsole({
  live: () => useLive() as unknown as ConsoleLive,
  openIncident: (id) => useIncidentDrawer().open(id),
  call: (personId, kind = 'audio') => useCalls().invite(personId, kind),
})
