// The services plugin's bundle (plugins/services/static/services.js): the names its PluginUi
// (plugins/services/__init__.py) gives.
import './words'
export { default as ServicesPage } from './ServicesPage.vue'
export { default as ResidentServices } from './ResidentServices.vue'
export { default as CheckInsTab } from './CheckInsTab.vue'
