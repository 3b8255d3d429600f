// The console's plugin contributions (hub/ui.py): nav pages, map layers and big-screen panels
// the signed-in person may see, read once per sign-in. Plugin pages live under
// /console/p/<plugin>/<path>: one route (main.ts) that exists before the manifest is read, so
// a deep link survives a reload; the page is looked up once the manifest is in.
import { computed, shallowRef, watch } from 'vue'
import { contributions, loadManifest, type Manifest } from '@/shared/extensions'
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

/** Where a plugin page lives in the console's router (under /console). */
export function pagePath(page: { plugin: string; path: string }): string {
  return `/p/${page.plugin}/${page.path}`
}

/** A stable key of a contribution (test ids, layer names). */
export function contributionKey(item: { plugin: string; id: string }): string {
  return `${item.plugin}-${item.id}`
}
