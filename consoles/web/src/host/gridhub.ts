// `@gridhub/host`: what a plugin's components may use of the page they are shown in. This
// is the stable surface (docs/plugins.md); the page's own modules may change under it.
//   import { api, realtime, session, showError, text, useLocale, formatTime } from '@gridhub/host'
export { api, formatTime, realtime, session, text, useLocale } from '@/shared/host'
export { showError } from '@/shared/app'
export { HubError } from '@/shared/api'
