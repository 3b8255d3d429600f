// The console's plugin contributions (hub/ui.py): nav pages, map layers and big-screen panels
// the signed-in person may see, read once per sign-in. Plugin pages live under
// /console/p/<plugin>/<path>: one route (main.ts) that exists before the manifest is read, so
// a deep link survives a reload; the page is looked up once the manifest is in.
import { computed, shallowReactive, shallowRef, watch } from 'vue'
import { contributions, loadComponent, loadManifest, type Contribution, type Manifest } from '@/shared/extensions'
import { session } from './session'

const manifest = shallowRef<Manifest | null>(null)

watch(
  session.me,
  async (who) => {
    manifest.value = null
    if (!who) return
    const found = await loadManifest()
    if (session.me.value === who) manifest.value = found // nobody else signed in meanwhile
  },
  { immediate: true },
)

/** The manifest has been read for whoever is signed in. */
export const pluginsLoaded = computed(() => manifest.value !== null)
export const pluginPages = computed(() => (manifest.value ? contributions(manifest.value, 'pages') : []))
export const pluginLayers = computed(() => (manifest.value ? contributions(manifest.value, 'map_layers') : []))
export const pluginPanels = computed(() => (manifest.value ? contributions(manifest.value, 'screen_panels') : []))
export const screenLayouts = computed(() => manifest.value?.screen ?? { layouts: [], default: null })

/** Where a plugin page lives in the console's router (under /console). */
export function pagePath(page: { plugin: string; path: string }): string {
  return `/p/${page.plugin}/${page.path}`
}

/** A stable key of a contribution (test ids, layer names). */
export function contributionKey(item: { plugin: string; id: string }): string {
  return `${item.plugin}-${item.id}`
}

/** The console's own plugins' pages keep the short addresses they had when they were built
 * in (bookmarks, deep links, the SOS chip): /console/incidents is dispatch's page
 * "incidents". The route (main.ts) has the short name; the tab links there. */
export const SHORT_ROUTES: Record<string, { plugin: string; path: string }> = {
  incidents: { plugin: 'dispatch', path: 'incidents' },
  alarms: { plugin: 'alarms', path: 'alarms' },
}

/** The short route name of a plugin page, if it has one. */
export function shortRoute(page: { plugin: string; path: string }): string | null {
  const found = Object.entries(SHORT_ROUTES).find(([, p]) => p.plugin === page.plugin && p.path === page.path)
  return found ? found[0] : null
}

type Badge = () => number
const badges = shallowReactive(new Map<string, Badge>())

/** The number on a plugin page's tab: its module's `badge` export, called reactively once
 * the module is loaded (0 until then, or when it has none or fails). */
export function badgeOf(page: Contribution<'pages'>): number {
  if (!page.badge) return 0
  const key = `${page.module}#${page.badge}`
  const badge = badges.get(key)
  if (!badge) {
    void loadBadge(key, page.module, page.badge)
    return 0
  }
  try {
    const value = badge()
    return Number.isFinite(value) ? value : 0
  } catch (error) {
    console.error('plugin badge', key, error)
    return 0
  }
}

const asked = new Set<string>()

async function loadBadge(key: string, url: string, name: string): Promise<void> {
  if (asked.has(key)) return
  asked.add(key)
  try {
    const found = (await loadComponent(url, name)) as unknown
    if (typeof found === 'function') badges.set(key, found as Badge)
  } catch (error) {
    console.warn('plugin badge', key, error) // the page itself shows why its module failed
  }
}
