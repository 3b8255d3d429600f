// What the command console offers plugin pages beyond the other pages (`consoleHost` of
// `@gridhub/host`): its live picture of the grids in scope (kept current from the socket),
// the incident drawer and calls. The console registers it at start (console/hostConsole.ts);
// on the field app and the residents' page there is none and `consoleHost.live()` throws.
// Only the names below are the contract: the console's store behind them may change.
import { shallowRef } from 'vue'
import { HubError } from './api'
import type { GridNode } from './types'

type Row = Record<string, any> & { id: number }

/** The console's live picture (reactive: read it in a computed or a template). Objects are
 * as the hub's socket events and lists give them (docs/protocol.md). Plugins read it; they
 * hand back an object the hub just answered (putIncident, putAlarm, putSos) so the console
 * shows it before the push arrives. */
export interface ConsoleLive {
  readonly grids: GridNode[]
  readonly incidents: ReadonlyMap<number, Row>
  readonly alarms: ReadonlyMap<number, Row>
  readonly sos: ReadonlyMap<number, Row>
  /** escalation chains running in scope and the newest escalation notices */
  readonly chains: ReadonlyMap<number, Row>
  readonly alerts: Record<string, any>[]
  readonly categories: { code: string; active: boolean; [key: string]: unknown }[]
  readonly openIncidents: Row[]
  readonly activeAlarms: Row[]
  readonly openSos: Row[]
  /** alarm id -> when the siren was started for it */
  readonly sounded: ReadonlyMap<number, number>
  gridName(id: number | null | undefined): string
  personName(id: number | null | undefined): string
  categoryName(code: string, locale: string): string
  putIncident(incident: Row): void
  putAlarm(alarm: Row): void
  putSos(sos: Row): void
}

export interface ConsoleApi {
  live(): ConsoleLive
  /** open the console's incident drawer on an incident */
  openIncident(id: number): void
  /** ring a person (a 1:1 call through the console's call widget) */
  call(personId: number, kind?: 'audio' | 'video'): Promise<void>
}

const current = shallowRef<ConsoleApi | null>(null)

/** The console registers what it offers (once, at start). */
export function provideConsole(console: ConsoleApi): void {
  current.value = console
}

function registered(): ConsoleApi {
  if (!current.value) throw new HubError({ code: 'host.no_console', message: 'not in the command console' })
  return current.value
}

/** For plugin pages of the command console. */
export const consoleHost: ConsoleApi = {
  live: () => registered().live(),
  openIncident: (id) => registered().openIncident(id),
  call: (personId, kind = 'audio') => registered().call(personId, kind),
}
