// Escalation's console bundle (plugins/escalation/static/escalation.js): the names its
// PluginUi (plugins/escalation/plugin.py) gives.
export { default as SosPanel } from './SosPanel.vue'
