// `@gridhub/host`: what a plugin's components may use of the page they are shown in. This
// is the stable surface (docs/plugins.md); the page's own modules may change under it.
//   import { api, realtime, session, showError, registerErrorNames, text, useLocale, formatTime } from '@gridhub/host'
export { api, formatTime, realtime, session, text, useLocale } from '@/shared/host'
export { showError } from '@/shared/app'
// a plugin's error codes in words (zh, en), for showError: registerErrorNames({ code: [zh, en] })
export { registerErrorNames } from '@/shared/errorNames'
export { HubError } from '@/shared/api'
export { clock, formatDate, formatShort } from '@/shared/time'
// the command console's live picture, incident drawer and calls (console pages only)
export { consoleHost } from '@/shared/consoleHost'
export type { ConsoleApi, ConsoleLive } from '@/shared/consoleHost'
// other plugins' sections of a page (PageSection): <PluginSections page="alarms/alarms" />
export { default as PluginSections } from '@/shared/components/PluginSections.vue'
// alarms in words: type names and a rule's reading in the page's language
export { alarmText, codeName } from '@/shared/alarmText'
// escalation chains in words: a policy's and a subject's name, an SOS's note
export { policyName, sosNote, subjectName } from '@/shared/escalationText'
// a group call on a channel owned by an object: <GroupCall channel-ref="meeting:12" label="加入会议" />
export { default as GroupCall } from '@/shared/components/GroupCall.vue'
// a resident's own sign-in on the residents' page (/report), which has no page session:
// const resident = residentSession(); <ResidentSignIn :session="resident" testid="…" hint="…" :enter="load" />
export { residentSession } from '@/shared/resident'
export type { ResidentSession } from '@/shared/resident'
export { default as ResidentSignIn } from '@/shared/components/ResidentSignIn.vue'
