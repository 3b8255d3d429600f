// Plugins' console extension points (hub/ui.py, GET /api/v1/ui/manifest): which pages, map
// layers, big-screen panels, field-app tabs, incident-drawer cards and residents' page
// sections the signed-in person may see, and loading their components at run time.
// A plugin that fails (manifest, bundle, export, render) shows its own error; the page goes on.
//   const manifest = await loadManifest()
//   for (const page of contributions(manifest, 'pages')) ...
//   const component = await loadComponent(page.module, page.export)
// <PluginSlot :url="page.module" :export-name="page.export" /> does the loading, skeleton and
// error display (shared/components/PluginSlot.vue).
// A signed-in page registers its session first: provideHost(session) (shared/host.ts).
import type { Component } from 'vue'
import { HubError } from './api'
import { api, hostSession, text } from './host'
import type { Me } from './types'

/** Every contribution: an id unique within its plugin, titles, who may see it, its place. */
export interface ManifestItem {
  id: string
  title_zh: string
  title_en: string
  /** role names; empty: any staff (anyone, for residents' page sections) */
  roles: string[]
  order: number
}

/** A contribution drawn by a component of the plugin's bundle. */
export interface ModuleItem extends ManifestItem {
  /** absolute URL of the ES module: /plugins/<name>/static/<file>?v=<content hash> */
  module: string
  /** the module's named export: a Vue component */
  export: string
}

export interface PageItem extends ModuleItem {
  /** the route under /console/p/<plugin>/ */
  path: string
  /** a named export of the module: a function answering the number on the nav tab */
  badge: string | null
}

export interface PageSectionItem extends ModuleItem {
  /** "<plugin>/<page id>": the page it is shown in (PluginSections) */
  page: string
}

export interface LayerStyle {
  color?: string
  weight?: number
  fillColor?: string
  fillOpacity?: number
  /** circle markers of Point features, in pixels */
  radius?: number
  icon?: string
}

export interface MapLayerItem extends ManifestItem {
  /** a hub path answering a GeoJSON FeatureCollection */
  source: string
  style: LayerStyle
  default_on: boolean
  /** read again with `bbox` (west,south,east,north) and `zoom` whenever the map stops moving */
  viewport: boolean
}

export interface PluginManifest {
  name: string
  version: string
  pages: PageItem[]
  map_layers: MapLayerItem[]
  screen_panels: ModuleItem[]
  field_tabs: ModuleItem[]
  /** drawer cards get the prop `incident` */
  drawer_cards: ModuleItem[]
  resident_sections: ModuleItem[]
  /** sections of another plugin's console page */
  page_sections: PageSectionItem[]
  /** stylesheets of the bundle (absolute URLs), linked once the manifest loads */
  styles: string[]
}

/** A layout of the big screen (settings [ui.screen_layouts], hub/screen_layouts.py). */
export interface ScreenLayout {
  name: string
  title_zh: string
  title_en: string
  /** the console's own panel ids and "<plugin>/<panel id>", in order */
  panels: string[]
}

export interface Manifest {
  plugins: PluginManifest[]
  /** the big screen's layouts (staff only) and the caller's own when the URL names none */
  screen?: { layouts: ScreenLayout[]; default: string | null }
}

export type ContributionKind =
  | 'pages'
  | 'map_layers'
  | 'screen_panels'
  | 'field_tabs'
  | 'drawer_cards'
  | 'resident_sections'
  | 'page_sections'

type ItemOf<K extends ContributionKind> = PluginManifest[K][number]

/** A contribution with the name of the plugin that made it. */
export type Contribution<K extends ContributionKind> = ItemOf<K> & { plugin: string }

const EMPTY: Manifest = { plugins: [] }
const NOBODY = {} as Me
let cached: { who: Me; manifest: Promise<Manifest> } | null = null

/** The manifest for whoever is signed in (asked once per sign-in; the residents' page asks
 * without one). Never rejects: a manifest that cannot be read counts as empty, so the page
 * works without its plugins, and is asked for again by the next call. */
export function loadManifest(): Promise<Manifest> {
  const who = hostSession()?.me.value ?? NOBODY
  if (cached?.who !== who) {
    const entry = { who, manifest: fetchManifest(() => forgetIf(entry)) }
    cached = entry
  }
  return cached.manifest
}

function forgetIf(entry: typeof cached): void {
  if (cached === entry) cached = null
}

/** Forget the cached manifest (the next loadManifest asks the hub again). */
export function forgetManifest(): void {
  cached = null
}

async function fetchManifest(failed: () => void): Promise<Manifest> {
  try {
    const manifest = await api.get<Manifest>('/api/v1/ui/manifest')
    for (const plugin of manifest.plugins) plugin.styles?.forEach(linkStyle)
    return manifest
  } catch (error) {
    console.warn('plugin manifest', error) // offline, say: the page goes on without plugins
    failed()
    return EMPTY
  }
}

function linkStyle(url: string): void {
  if (document.head.querySelector(`link[data-plugin-style="${CSS.escape(url)}"]`)) return
  const link = document.createElement('link')
  link.rel = 'stylesheet'
  link.href = url
  link.dataset.pluginStyle = url
  document.head.appendChild(link)
}

/** Every plugin's items of one kind, each with its plugin's name, by `order` then plugin. */
export function contributions<K extends ContributionKind>(
  manifest: Manifest,
  kind: K,
): Contribution<K>[] {
  const all = manifest.plugins.flatMap((plugin) =>
    ((plugin[kind] ?? []) as ItemOf<K>[]).map((item) => ({ ...item, plugin: plugin.name }) as Contribution<K>),
  )
  return all.sort((a, b) => a.order - b.order || a.plugin.localeCompare(b.plugin) || a.id.localeCompare(b.id))
}

/** The title of an item in the current language. */
export function titleOf(item: ManifestItem): string {
  return text(item.title_zh, item.title_en)
}

const loaded = new Map<string, Promise<Component>>()

/** The component `exportName` of the plugin module at `url` (imported once per URL and
 * export). Rejects with a HubError whose message is in the current language. */
export function loadComponent(url: string, exportName: string): Promise<Component> {
  const key = `${url}#${exportName}`
  let found = loaded.get(key)
  if (!found) {
    found = importComponent(url, exportName)
    found.catch(() => loaded.delete(key)) // a later try may work (network back, say)
    loaded.set(key, found)
  }
  return found
}

async function importComponent(url: string, exportName: string): Promise<Component> {
  if (!url.startsWith('/plugins/')) throw pluginError('plugin.module_refused', url)
  let module: Record<string, unknown>
  try {
    module = (await import(/* @vite-ignore */ url)) as Record<string, unknown>
  } catch (error) {
    console.error('plugin module', url, error)
    throw pluginError('plugin.module_failed', url)
  }
  const component = module[exportName]
  if (!isComponent(component)) throw pluginError('plugin.export_missing', `${url} ${exportName}`)
  return component
}

function isComponent(value: unknown): value is Component {
  return (typeof value === 'object' && value !== null) || typeof value === 'function'
}

const MESSAGES: Record<string, [string, string]> = {
  'plugin.module_refused': ['插件模块地址无效', 'the plugin module address is not allowed'],
  'plugin.module_failed': ['插件模块加载失败', 'the plugin module could not be loaded'],
  'plugin.export_missing': ['插件模块缺少组件', 'the plugin module lacks the component'],
}

function pluginError(code: string, where: string): HubError {
  const [zh, en] = MESSAGES[code]
  return new HubError({ code, message: `${text(zh, en)}: ${where}` })
}
