// The party plugin's bundle (plugins/party/static/party.js): the names its PluginUi
// (plugins/party/__init__.py) gives.
export { default as DisclosurePage } from './DisclosurePage.vue'
export { default as PartyPage } from './PartyPage.vue'
export { default as ResidentDisclosure } from './ResidentDisclosure.vue'
export { default as PartyPanel } from './PartyPanel.vue'
export { default as MemberTab } from './MemberTab.vue'
export { default as PromotionPage } from './PromotionPage.vue'
export { default as StudyTab } from './StudyTab.vue'
export { default as ResidentPromotion } from './ResidentPromotion.vue'
export { default as LeaderTab } from './LeaderTab.vue'
