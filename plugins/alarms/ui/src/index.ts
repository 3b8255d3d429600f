// The alarms plugin's console bundle (plugins/alarms/static/alarms.js): the names its PluginUi
// (plugins/alarms/plugin.py) gives.
import { consoleHost } from '@gridhub/host'

export { default as AlarmsPage } from './AlarmsPage.vue'

/** The number on the 物联告警 tab: what still needs a commander there — active alarms, and
 * open SOS (escalation's panel on this page; none when escalation is not enabled). */
export function needingAttention(): number {
  const live = consoleHost.live()
  return live.activeAlarms.length + live.openSos.length
}
