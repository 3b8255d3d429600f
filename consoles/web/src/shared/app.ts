// Creating a page: Vue + Element Plus + Pinia + i18n in one call.
//   mountPage(App, { messages, dark: true })
// The page's root component reads the Element Plus locale with `useElementLocale()` and the
// language toggle with `useLocaleSwitch()`.
import 'element-plus/dist/index.css'
import 'element-plus/theme-chalk/dark/css-vars.css'
import ElementPlus, { ElMessage } from 'element-plus'
import { createPinia } from 'pinia'
import { createApp, inject, type Component, type ComputedRef, type InjectionKey, type Plugin } from 'vue'
import { errorText } from './errorNames'
import { provideLocale } from './host'
import { setupI18n, type LocaleCode, type Messages } from './i18n'
import { loadTimeZone } from './time'

interface LocaleSwitch {
  elementLocale: ComputedRef<unknown>
  setLocale: (code: LocaleCode) => void
  toggleLocale: () => void
}

const LOCALE: InjectionKey<LocaleSwitch> = Symbol('gridhub.locale')

export interface PageOptions {
  messages: Record<LocaleCode, Messages>
  /** Element Plus dark theme (the commander console and the big screen) */
  dark?: boolean
  selector?: string
  /** more plugins to install before mounting (a vue-router instance, say) */
  plugins?: Plugin[]
}

export function mountPage(root: Component, options: PageOptions) {
  if (options.dark) document.documentElement.classList.add('dark')
  void loadTimeZone() // times are redrawn in the deployment's zone when it arrives
  const { i18n, elementLocale, setLocale, toggleLocale } = setupI18n(options.messages)
  pageI18n = i18n.global
  provideLocale(i18n.global.locale) // plugins' text() and useLocale() follow the page's language
  const app = createApp(root)
  app.use(ElementPlus).use(createPinia()).use(i18n)
  for (const plugin of options.plugins ?? []) app.use(plugin)
  app.provide(LOCALE, { elementLocale, setLocale, toggleLocale })
  app.mount(options.selector ?? '#app')
  return app
}

export function useLocaleSwitch(): LocaleSwitch {
  const found = inject(LOCALE)
  if (!found) throw new Error('useLocaleSwitch outside a page made by mountPage')
  return found
}

// The page's translations, for toasts shown from outside components (one page per document).
let pageI18n: PageWords | null = null

export interface PageWords {
  t: (key: string, values?: Record<string, unknown>) => string
  te: (key: string) => boolean
}

/** The page's t/te for words made outside components (a desktop notification, say); null
 * before mountPage. */
export function pageWords(): PageWords | null {
  return pageI18n
}

/** Show an error from the hub (or anything thrown) as a message toast, in the page's language. */
export function showError(error: unknown): void {
  const text = pageI18n ? errorText(pageI18n.t, pageI18n.te, error) : String(error)
  ElMessage({ type: 'error', message: text, showClose: true })
}
