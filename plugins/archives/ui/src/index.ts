// The archives plugin's bundle (plugins/archives/static/archives.js): the names its PluginUi
// (plugins/archives/__init__.py) gives.
export { default as VisitsTab } from './VisitsTab.vue'
export { default as ArchivesPage } from './ArchivesPage.vue'
export { default as WorkPage } from './WorkPage.vue'
export { default as CampaignsTab } from './CampaignsTab.vue'
export { default as ArchivesPanel } from './ArchivesPanel.vue'
export { default as IncidentCard } from './IncidentCard.vue'
