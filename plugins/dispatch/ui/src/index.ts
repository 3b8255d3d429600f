// Dispatch's console bundle (plugins/dispatch/static/dispatch.js): the names its PluginUi
// (plugins/dispatch/__init__.py) gives.
import { consoleHost } from '@gridhub/host'

export { default as IncidentsPage } from './IncidentsPage.vue'

/** The number on the 事件调度 tab: incidents still open in the commander's scope. */
export function openIncidents(): number {
  return consoleHost.live().openIncidents.length
}
