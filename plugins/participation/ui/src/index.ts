// The participation plugin's bundle (plugins/participation/static/participation.js): the names
// its PluginUi (plugins/participation/__init__.py) gives.
import './words'
export { default as ParticipationPage } from './ParticipationPage.vue'
export { default as ResidentParticipation } from './ResidentParticipation.vue'
export { default as FieldMeetings } from './FieldMeetings.vue'
