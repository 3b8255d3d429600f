// i18n: Chinese (zh-CN) by default, English switchable; the choice is remembered per browser.
// Pages pass their own messages; the shared ones below are merged in. Element Plus takes its
// locale from `elementLocale` (wrap the page in <el-config-provider :locale="elementLocale">).
import en from 'element-plus/es/locale/lang/en'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import { computed } from 'vue'
import { createI18n } from 'vue-i18n'
import { errorNames } from './errorNames'
import { escalationNames } from './escalationText'

export type LocaleCode = 'zh-CN' | 'en'
export type Messages = Record<string, unknown>

const KEY = 'gridhub.locale'

export const sharedMessages: Record<LocaleCode, Messages> = {
  'zh-CN': {
    common: {
      login: '登录',
      logout: '退出登录',
      username: '用户名',
      password: '密码',
      cancel: '取消',
      confirm: '确定',
      save: '保存',
      send: '发送',
      search: '搜索',
      refresh: '刷新',
      loading: '加载中…',
      empty: '暂无数据',
      language: 'English',
      connected: '已连接',
      connecting: '连接中…',
      disconnected: '连接已断开，正在重连…',
      signed_out: '登录已失效，请重新登录',
      login_failed: '登录失败',
      username_missing: '请输入用户名',
      password_missing: '请输入密码',
      tries_left: '还可尝试 {n} 次',
      no_tries_left: '再输错将被暂时锁定',
    },
    presence: {
      online: '在线',
      busy: '忙碌',
      away: '离开',
      on_call: '通话中',
      sos: 'SOS',
      offline: '离线',
      stale: '位置过期',
    },
    errors: errorNames['zh-CN'],
    escalation: escalationNames['zh-CN'],
    // system lines in channels (noticeText.ts): the incident's steps, members coming and going
    notices: {
      dispatch: {
        dispatch: '派遣', sign: '签收', return: '退回', escalate: '上报', handle: '处置完成',
        verify: '核查', close: '结案', reopen: '重新办理', supervise: '督办',
      },
      members_added: '新成员加入', member_left: '有成员退出',
    },
    // a voice message to someone offline (components/VoiceMessage.vue), and in chat
    voice: {
      record: '录制语音留言', recording: '录音中', stop: '停止录音', again: '重录', send: '发送留言',
      sent: '语音留言已发送，对方上线后可收听', no_microphone: '无法使用麦克风，请检查权限',
      message: '语音留言',
    },
  },
  en: {
    common: {
      login: 'Sign in',
      logout: 'Sign out',
      username: 'Username',
      password: 'Password',
      cancel: 'Cancel',
      confirm: 'OK',
      save: 'Save',
      send: 'Send',
      search: 'Search',
      refresh: 'Refresh',
      loading: 'Loading…',
      empty: 'Nothing here',
      language: '中文',
      connected: 'Connected',
      connecting: 'Connecting…',
      disconnected: 'Disconnected, reconnecting…',
      signed_out: 'Your session has ended, please sign in again',
      login_failed: 'Sign-in failed',
      username_missing: 'Enter your username',
      password_missing: 'Enter your password',
      tries_left: '{n} tries left',
      no_tries_left: 'one more wrong password locks this sign-in for a while',
    },
    presence: {
      online: 'Online',
      busy: 'Busy',
      away: 'Away',
      on_call: 'On a call',
      sos: 'SOS',
      offline: 'Offline',
      stale: 'Position stale',
    },
    errors: errorNames.en,
    escalation: escalationNames.en,
    notices: {
      dispatch: {
        dispatch: 'Dispatched', sign: 'Signed for', return: 'Returned', escalate: 'Escalated',
        handle: 'Handled', verify: 'Verified', close: 'Closed', reopen: 'Reopened', supervise: 'Supervised',
      },
      members_added: 'Members joined', member_left: 'A member left',
    },
    voice: {
      record: 'Record a voice message', recording: 'Recording', stop: 'Stop', again: 'Record again',
      send: 'Send', sent: 'Voice message sent: they can play it when they are back',
      no_microphone: 'The microphone cannot be used; check the permission', message: 'Voice message',
    },
  },
}

export function savedLocale(): LocaleCode {
  return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN'
}

function merge(a: Messages, b: Messages): Messages {
  const out: Messages = { ...a }
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key]
    out[key] =
      mine && typeof mine === 'object' && value && typeof value === 'object'
        ? merge(mine as Messages, value as Messages)
        : value
  }
  return out
}

/** The page's i18n instance: shared messages plus the page's own. */
export function setupI18n(pageMessages: Record<LocaleCode, Messages>) {
  const i18n = createI18n<[Messages], LocaleCode, false>({
    legacy: false,
    locale: savedLocale(),
    fallbackLocale: 'zh-CN',
    messages: {
      'zh-CN': merge(sharedMessages['zh-CN'], pageMessages['zh-CN']),
      en: merge(sharedMessages.en, pageMessages.en),
    },
  })
  const locale = i18n.global.locale
  const elementLocale = computed(() => (locale.value === 'en' ? en : zhCn))
  const setLocale = (code: LocaleCode): void => {
    locale.value = code
    localStorage.setItem(KEY, code)
    document.documentElement.lang = code
  }
  const toggleLocale = (): void => setLocale(locale.value === 'en' ? 'zh-CN' : 'en')
  document.documentElement.lang = locale.value
  return { i18n, elementLocale, setLocale, toggleLocale }
}
