// The hub's error codes in words (zh-CN, en): every HubError a person sees is shown by its code
// in the page's language; the hub's English `message` is only the fallback for a code missing
// here (errorText in app.ts). Codes are docs/protocol.md's; grouped by their first part.
import { HubError } from './api'
import { text } from './host'
import type { LocaleCode, Messages } from './i18n'

const NAMES: Record<string, [zh: string, en: string]> = {
  'auth.invalid_credentials': ['用户名或密码错误', 'Wrong username or password'],
  'auth.locked': ['登录失败次数过多，请稍后再试', 'Too many failed sign-ins; try again later'],
  'auth.required': ['请先登录', 'Please sign in first'],
  'auth.token_expired': ['登录已过期，请重新登录', 'Your sign-in has expired; please sign in again'],
  'auth.token_invalid': ['登录凭据无效，请重新登录', 'Your sign-in is not valid; please sign in again'],
  'auth.token_revoked': ['登录已被注销，请重新登录', 'Your sign-in was revoked; please sign in again'],
  'auth.refresh_invalid': ['登录已失效，请重新登录', 'Your session has ended; please sign in again'],
  'auth.refresh_reused': ['登录已失效，请重新登录', 'Your session has ended; please sign in again'],
  'auth.refresh_superseded': ['登录已在别处更新，请重新登录', 'Your session was renewed elsewhere; please sign in again'],
  'auth.person_inactive': ['该账号已停用', 'This account is disabled'],
  'auth.role_required': ['没有此操作的权限', 'You are not allowed to do this'],
  'auth.admin_required': ['仅管理员可执行此操作', 'Only an administrator can do this'],
  'auth.csrf': ['页面已过期，请刷新后重试', 'The page is out of date; reload and try again'],
  'auth.grants_changed': ['您的权限已变更，请重新登录', 'Your permissions changed; please sign in again'],
  'rate.exceeded': ['操作过于频繁，请稍后再试', 'Too many requests; try again shortly'],
  'request.invalid': ['请求内容有误', 'The request is not valid'],
  'request.json_invalid': ['请求内容有误', 'The request is not valid'],
  'request.malformed': ['请求内容有误', 'The request is not valid'],
  'person.not_found': ['未找到该人员', 'No such person'],
  'person.username_taken': ['用户名已被占用', 'That username is taken'],
  'grid.not_found': ['未找到该网格', 'No such grid'],
  'incident.not_found': ['未找到该事件', 'No such incident'],
  'incident.forbidden': ['无权查看或处理该事件', 'You may not see or handle this incident'],
  'incident.bad_state': ['事件当前状态不允许此操作', 'The incident is not in a state that allows this'],
  'incident.invalid_state': ['事件当前状态不允许此操作', 'The incident is not in a state that allows this'],
  'incident.conflict': ['事件已被他人更新，请刷新后重试', 'Someone else changed the incident; reload and try again'],
  'incident.note_required': ['请填写处理说明', 'Please write a note'],
  'incident.outside_grids': ['该位置不在您管辖的网格内', 'That place is outside your grids'],
  'appeal.not_found': ['未找到该诉求，请核对查询码', 'No such report; check the tracking code'],
  'appeal.rate_limited': ['提交过于频繁，请稍后再试', 'Too many reports; try again later'],
  'appeal.photo_too_large': ['照片过大', 'The photo is too large'],
  'appeal.photo_type': ['不支持的照片格式', 'That photo format is not supported'],
  'appeal.too_many_photos': ['照片数量过多', 'Too many photos'],
  'appeal.form_invalid': ['表单内容有误', 'The form is not valid'],
  'file.not_found': ['文件不存在', 'No such file'],
  'file.too_large': ['文件过大', 'The file is too large'],
  'file.type_refused': ['不支持的文件类型', 'That file type is not accepted'],
  'channel.not_found': ['未找到该群组', 'No such channel'],
  'channel.not_member': ['您不是该群组成员', 'You are not a member of this channel'],
  'channel.forbidden': ['无权进入该群组', 'You may not open this channel'],
  'call.callee_offline': ['对方不在线', 'They are offline'],
  'call.callee_not_found': ['未找到被呼叫人', 'No such person to call'],
  'call.caller_busy': ['您正在通话中', 'You are already on a call'],
  'call.out_of_scope': ['对方不在您的管辖范围内', 'That person is outside your scope'],
  'call.self': ['不能呼叫自己', 'You cannot call yourself'],
  'call.not_found': ['通话已结束', 'The call has ended'],
  'session.ended': ['登录已失效，请重新登录', 'Your session has ended; please sign in again'],
}

function nested(index: 0 | 1): Messages {
  const out: Messages = {}
  for (const [code, names] of Object.entries(NAMES)) {
    // every part of the code is a level, as vue-i18n reads `errors.<code>`
    const parts = code.split('.')
    let level = out
    for (const part of parts.slice(0, -1)) level = (level[part] ??= {}) as Messages
    level[parts[parts.length - 1]] = names[index]
  }
  return out
}

/** `errors.<group>.<name>` for each locale, merged into the shared messages. */
export const errorNames: Record<LocaleCode, Messages> = { 'zh-CN': nested(0), en: nested(1) }

// Names plugin bundles give their own codes at run time (registerErrorNames, `@gridhub/host`).
// They are looked up after the page's messages and shown in the page's language (host text()),
// so a bundle loaded after the page mounted names its codes at once.
const pluginNames = new Map<string, [zh: string, en: string]>()
const CODE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/

function isPair(names: unknown): names is [string, string] {
  return Array.isArray(names) && names.length === 2 && names.every((n) => typeof n === 'string' && n.trim() !== '')
}

/** Name a plugin's error codes in both languages, for errorText and showError:
 *   registerErrorNames({ 'mediation.case_closed': ['调解已结束', 'The mediation is closed'] })
 * A code the core already names, or one named before, keeps its first name (a plugin cannot
 * rename another's codes); a malformed entry is skipped with a console warning. */
export function registerErrorNames(names: Record<string, [zh: string, en: string]>): void {
  for (const [code, pair] of Object.entries(names)) {
    if (!CODE.test(code) || !isPair(pair)) {
      console.warn('registerErrorNames: skipped', code)
      continue
    }
    if (code in NAMES || pluginNames.has(code)) continue
    pluginNames.set(code, [pair[0], pair[1]])
  }
}

type Translate = (key: string) => string
type Exists = (key: string) => boolean

/** What went wrong, in the page's language: the code's name, else the hub's message. */
export function errorText(t: Translate, te: Exists, error: unknown): string {
  if (!(error instanceof HubError)) return String(error)
  const key = `errors.${error.code}`
  if (te(key)) return t(key)
  const named = pluginNames.get(error.code)
  return named ? text(named[0], named[1]) : `${error.message} (${error.code})`
}
