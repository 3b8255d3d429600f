// Live state of the console: grids, people, devices, alarms, incidents and SOS in scope, kept
// current from the hub's socket events. Loaded after sign-in and again after every reconnect.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef } from 'vue'
import { alarmText, alarmTitle } from '@/shared/alarmText'
import { pageWords } from '@/shared/app'
import { allAfter } from '@/shared/pages'
import type { GridNode, LocationChanged, PresenceRow } from '@/shared/types'

interface PersonOut {
  id: number
  username: string
  display_name: string
  roles: { role: string; grid_id: number | null }[]
}
import { api, realtime, session } from './session'
import { notify, playSiren } from './siren'
import type {
  Alarm,
  Chain,
  Category,
  Device,
  EscalationAlert,
  Incident,
  IncidentPush,
  Sos,
} from './types'
import { OPEN_STATES } from './types'

/** Active alarms, open incidents and people online (not offline) in a grid's subtree. */
export interface GridCounts {
  alarms: number
  incidents: number
  people: number
}

const LOUD = new Set(['CRITICAL'])

export interface Flash {
  id: number
  kind: 'alarm' | 'sos' | 'alert'
  title: string
  body: string
  at: number
}

export const useLive = defineStore('live', () => {
  const grids = shallowRef<GridNode[]>([])
  const people = reactive(new Map<number, PresenceRow>())
  const devices = shallowRef<Device[]>([])
  const alarms = reactive(new Map<number, Alarm>())
  const incidents = reactive(new Map<number, Incident>())
  const sos = reactive(new Map<number, Sos>())
  const categories = shallowRef<Category[]>([])
  const alerts = ref<EscalationAlert[]>([])
  /** escalation chains running in scope (loaded, then kept from alerts and stops) */
  const chains = reactive(new Map<number, Chain>())
  const flashes = ref<Flash[]>([])
  /** alarm id -> the siren was started for it (shown on the alarm board, read by tests) */
  const sounded = reactive(new Map<number, number>())
  const loaded = ref(false)
  /** person id -> roles (from the people directory) */
  const roles = shallowRef(new Map<number, string[]>())
  const lastIncidentPush = ref(0)
  let subscribed = false

  const gridById = computed(() => new Map(grids.value.map((g) => [g.id, g])))
  const rootGrid = computed(() => grids.value.find((g) => g.in_scope) ?? grids.value[0] ?? null)
  const activeAlarms = computed(() =>
    [...alarms.values()].filter((a) => a.active).sort((a, b) => b.id - a.id),
  )
  const openIncidents = computed(() =>
    [...incidents.values()].filter((i) => OPEN_STATES.includes(i.state)),
  )
  const openSos = computed(() => [...sos.values()].filter((s) => s.state !== 'closed'))
  const onlinePeople = computed(() => [...people.values()].filter((p) => p.state !== 'offline'))
  const childrenOf = computed(() => {
    const out = new Map<number, number[]>()
    for (const g of grids.value) if (g.parent_id !== null) out.set(g.parent_id, [...(out.get(g.parent_id) ?? []), g.id])
    return out
  })

  /** A grid and every grid under it, at any depth. */
  function subtree(gridId: number): Set<number> {
    const ids = new Set<number>()
    const stack = [gridId]
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      ids.add(id)
      stack.push(...(childrenOf.value.get(id) ?? []))
    }
    return ids
  }

  /** The counts every view shows (docs/consoles.md, 'Counts'): for a grid's whole subtree, or
   * with null for everything in scope. One definition, so panel, tree, legend and screen agree. */
  function countsFor(gridId: number | null): GridCounts {
    if (gridId === null) {
      return { alarms: activeAlarms.value.length, incidents: openIncidents.value.length, people: onlinePeople.value.length }
    }
    const ids = subtree(gridId)
    const inside = (id: number | null): boolean => id !== null && ids.has(id)
    return {
      alarms: activeAlarms.value.filter((a) => inside(a.grid_id)).length,
      incidents: openIncidents.value.filter((i) => inside(i.grid_id)).length,
      people: onlinePeople.value.filter((p) => p.grids.some(inside)).length,
    }
  }

  function gridName(id: number | null | undefined): string {
    if (id === null || id === undefined) return '—'
    return gridById.value.get(id)?.name ?? `#${id}`
  }

  function categoryName(code: string, locale: string): string {
    const found = categories.value.find((c) => c.code === code)
    if (!found) return code
    return locale === 'en' ? found.name_en : found.name_zh
  }

  function personName(id: number | null | undefined): string {
    if (id === null || id === undefined) return '—'
    return people.get(id)?.name ?? `#${id}`
  }

  async function load(): Promise<void> {
    subscribe()
    const [gridList, who, deviceList, alarmList, incidentList, sosList, sosTaken, catalogue] =
      await Promise.all([
        api.get<GridNode[]>('/api/v1/grids', { geometry: true }),
        allAfter(realtime, 'presence.who', { include_offline: true }, (r) => r.people as PresenceRow[], (p) => p.person_id),
        api.get<Device[]>('/api/v1/devices').catch(() => [] as Device[]),
        realtime.call<{ alarms: Alarm[] }>('alarms.list', { active: true, limit: 500 }),
        realtime.call<{ items: Incident[] }>('dispatch.list', { limit: 500 }),
        api.get<{ sos: Sos[] }>('/api/v1/escalation/sos', { state: 'open' }),
        // taken but not closed is still under way (openSos): a reload must not drop it
        api.get<{ sos: Sos[] }>('/api/v1/escalation/sos', { state: 'acknowledged' }),
        api.get<{ items: Category[] }>('/api/v1/dispatch/categories'),
      ])
    grids.value = gridList
    people.clear()
    for (const row of who) people.set(row.person_id, row)
    devices.value = deviceList
    alarms.clear()
    for (const alarm of alarmList.alarms) alarms.set(alarm.id, alarm)
    incidents.clear()
    for (const incident of incidentList.items) incidents.set(incident.id, incident)
    sos.clear()
    for (const item of [...sosList.sos, ...sosTaken.sos]) sos.set(item.id, item)
    categories.value = catalogue.items
    void loadDirectory()
    void loadChains()
    loaded.value = true
  }

  /** Everyone holding a role in scope, also those never seen online (for pickers and lists). */
  async function loadDirectory(): Promise<void> {
    const listed = await api.get<PersonOut[]>('/api/v1/people').catch(() => [] as PersonOut[])
    for (const person of listed) {
      if (people.has(person.id)) continue
      const grids = person.roles.map((r) => r.grid_id).filter((g): g is number => g !== null)
      people.set(person.id, {
        person_id: person.id, username: person.username, name: person.display_name,
        state: 'offline', devices: 0, last_seen: null, grids, location: null,
      })
    }
    roles.value = new Map(listed.map((p) => [p.id, p.roles.map((r) => r.role)]))
  }

  async function loadChains(): Promise<void> {
    const reply = await api
      .get<{ chains: Chain[] }>('/api/v1/escalation/chains', { state: 'active', limit: 100 })
      .catch(() => ({ chains: [] as Chain[] }))
    chains.clear()
    for (const chain of reply.chains) chains.set(chain.id, chain)
  }

  function subscribe(): void {
    if (subscribed) return
    subscribed = true
    realtime.on<PresenceRow>('presence.changed', (row) => people.set(row.person_id, row))
    realtime.on<LocationChanged>('location.changed', onLocation)
    realtime.on<{ items: Alarm[] }>('alarms.changed', (data) => data.items.forEach(onAlarm))
    realtime.on<IncidentPush>('dispatch.incident', (push) => {
      incidents.set(push.incident.id, { ...incidents.get(push.incident.id), ...push.incident })
      lastIncidentPush.value = Date.now()
    })
    realtime.on<Sos>('escalation.sos.raised', onSos)
    realtime.on<Sos>('escalation.sos.acknowledged', (item) => sos.set(item.id, item))
    realtime.on<Sos>('escalation.sos.closed', (item) => sos.set(item.id, item))
    realtime.on<EscalationAlert>('escalation.alert', (alert) => {
      alerts.value = [alert, ...alerts.value].slice(0, 50)
      const known = chains.get(alert.chain_id)
      chains.set(alert.chain_id, {
        id: alert.chain_id, trigger: alert.trigger, subject: alert.subject, policy: alert.policy,
        grid_id: alert.grid_id, state: 'active', next_step: alert.step + 1,
        started_at: known?.started_at ?? alert.started_at, context: alert.context,
      })
    })
    realtime.on<{ chain_id: number }>('escalation.chain.stopped', (stop) => chains.delete(stop.chain_id))
  }

  function onLocation(change: LocationChanged): void {
    const row = people.get(change.person_id)
    if (!row) return
    const { person_id: _p, username: _u, name: _n, ...location } = change
    people.set(change.person_id, { ...row, location: { ...location, stale: false } })
  }

  function onAlarm(alarm: Alarm): void {
    const known = alarms.has(alarm.id)
    alarms.set(alarm.id, alarm)
    const fresh = !known && alarm.active && !alarm.acknowledged
    if (fresh && LOUD.has(alarm.severity)) {
      const { title, body } = alarmWords(alarm)
      raiseFlash({ id: alarm.id, kind: 'alarm', title, body, at: Date.now() })
      sounded.set(alarm.id, Date.now())
      notify(title, body, `alarm-${alarm.id}`)
      void playSiren()
    }
  }

  /** A loud alarm's banner and desktop notification in the page's language (紧急 · 燃气泄漏,
   * the device's name and the reading), not its codes. */
  function alarmWords(alarm: Alarm): { title: string; body: string } {
    const words = pageWords()
    const device = devices.value.find((d) => d.code === alarm.device_code)?.name ?? alarm.device_code
    if (!words) return { title: alarm.type, body: `${device} ${alarm.message}` }
    return { title: alarmTitle(words.t, words.te, alarm), body: `${device} ${alarmText(words.t, words.te, alarm)}` }
  }

  function onSos(item: Sos): void {
    sos.set(item.id, item)
    const body = item.note || item.person_name
    raiseFlash({ id: item.id, kind: 'sos', title: `SOS · ${item.person_name}`, body, at: Date.now() })
    notify(`SOS · ${item.person_name}`, body, `sos-${item.id}`)
    void playSiren()
  }

  function raiseFlash(flash: Flash): void {
    flashes.value = [flash, ...flashes.value].slice(0, 20)
  }

  function dismissFlash(flash: Flash): void {
    flashes.value = flashes.value.filter((f) => f !== flash)
  }

  function putIncident(incident: Incident): void {
    incidents.set(incident.id, { ...incidents.get(incident.id), ...incident })
  }

  function putAlarm(alarm: Alarm): void {
    alarms.set(alarm.id, alarm)
  }

  function putSos(item: Sos): void {
    sos.set(item.id, item)
  }

  return {
    grids, people, roles, devices, alarms, incidents, sos, categories, alerts, chains, flashes, sounded, loaded,
    lastIncidentPush, gridById, rootGrid, activeAlarms, openIncidents, openSos, onlinePeople, countsFor,
    gridName, categoryName, personName, load, dismissFlash, putIncident, putAlarm, putSos,
    me: session.me,
  }
})
