// The mediation plugin's console bundle (plugins/mediation/static/mediation.js): the names its
// PluginUi (plugins/mediation/__init__.py) gives.
import { registerErrorNames } from '@gridhub/host'
import { ERROR_NAMES } from './words'

registerErrorNames(ERROR_NAMES)

export { default as MediationPage } from './MediationPage.vue'
export { default as ResidentLegal } from './ResidentLegal.vue'
export { default as ResidentMediation } from './ResidentMediation.vue'
export { default as FieldCases } from './FieldCases.vue'
export { default as MediationPanel } from './MediationPanel.vue'
export { default as FieldArticles } from './FieldArticles.vue'
export { default as ResidentArticles } from './ResidentArticles.vue'
