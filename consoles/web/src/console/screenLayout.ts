// The big screen as a layout of panels (settings [ui.screen_layouts], served in the manifest
// by hub/screen_layouts.py): the console's own panels by id, plugins' ScreenPanels as
// "<plugin>/<panel id>". /console/screen?layout=<name> picks a layout; without one the
// manifest's default for the person (by role, else the deployment's, else "all").
import type { Contribution, ScreenLayout } from '@/shared/extensions'

/** The console's own panels (hub/screen_layouts.py BUILT_IN_PANELS), with their title keys. */
export const BUILT_IN_TITLES: Record<string, string> = {
  kpis: 'screen.kpis',
  per_day: 'screen.per_day',
  by_type: 'screen.by_type',
  ranking: 'screen.ranking',
  on_time: 'screen.on_time_trend',
  by_state: 'screen.by_state',
  live_feed: 'screen.live_feed',
  sos: 'screen.sos',
}
const MAX_COLUMNS = 4

export interface Slot {
  /** the layout's panel id: "per_day", "party/party" */
  id: string
  /** the plugin's contribution, for a plugin panel */
  plugin: Contribution<'screen_panels'> | null
}

/** A row of the screen: the KPI strip alone, or panels side by side. */
export interface Row {
  strip: boolean
  slots: Slot[]
}

/** The layout named in the URL, else the person's default, else the first one. A manifest
 * that could not be read has no layouts: the console's own panels, all of them. */
export function pickLayout(
  layouts: ScreenLayout[],
  wanted: string | null,
  fallback: string | null,
): ScreenLayout {
  const found = layouts.find((l) => l.name === wanted) ?? layouts.find((l) => l.name === fallback) ?? layouts[0]
  return found ?? { name: 'all', title_zh: '全部面板', title_en: 'All panels', panels: Object.keys(BUILT_IN_TITLES) }
}

/** The layout's panels that this console can draw, in the layout's order. */
export function slotsOf(layout: ScreenLayout, panels: Contribution<'screen_panels'>[]): Slot[] {
  const byId = new Map(panels.map((p) => [`${p.plugin}/${p.id}`, p]))
  return layout.panels.flatMap((id): Slot[] => {
    if (id in BUILT_IN_TITLES) return [{ id, plugin: null }]
    const plugin = byId.get(id)
    return plugin ? [{ id, plugin }] : []
  })
}

/** Rows in reading order: the KPI strip takes a row of its own wherever the layout puts it;
 * the other panels fill rows as evenly as up to four a row allows (7: 4 + 3, 9: 3 + 3 + 3),
 * so no panel is left alone across the whole wall. */
export function rowsOf(slots: Slot[]): Row[] {
  const panels = slots.filter((s) => s.id !== 'kpis').length
  const columns = Math.ceil(panels / Math.ceil(panels / MAX_COLUMNS)) || 1
  const rows: Row[] = []
  for (const slot of slots) {
    const last = rows[rows.length - 1]
    if (slot.id === 'kpis') rows.push({ strip: true, slots: [slot] })
    else if (last && !last.strip && last.slots.length < columns) last.slots.push(slot)
    else rows.push({ strip: false, slots: [slot] })
  }
  return rows
}
