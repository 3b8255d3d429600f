// Plugins' tabs of the field app (FieldTab in hub/ui.py): the manifest is read at each
// sign-in, while the hub is reachable, and its tabs stay in the tab bar when the phone goes
// offline afterwards (a tab whose bundle was never fetched then says it needs the network).
import { shallowRef, watch, type ShallowRef } from 'vue'
import { contributions, loadManifest, type Contribution } from '@/shared/extensions'
import type { Session } from './session'

export type PluginTab = Contribution<'field_tabs'>

/** The tab bar's key of a plugin tab (never one of the built-in tab names). */
export function tabKey(tab: PluginTab): string {
  return `plugin-${tab.plugin}-${tab.id}`
}

/** The signed-in person's plugin tabs, by `order` (the hub filtered them by role). */
export function usePluginTabs(session: Session): ShallowRef<PluginTab[]> {
  const tabs = shallowRef<PluginTab[]>([])
  const read = async (): Promise<void> => {
    const who = session.me
    const found = who ? contributions(await loadManifest(), 'field_tabs') : []
    if (session.me === who) tabs.value = found // not someone signed in meanwhile
  }
  watch(session.shared.me, () => void read(), { immediate: true })
  return tabs
}
