// Words of the party plugin in zh-CN and en, and its error codes by name (until the host offers
// registerErrorNames, the plugin names its own codes here).
import { ElMessage } from 'element-plus'
import { HubError, showError, text } from '@gridhub/host'

type Pair = [string, string]

const CATEGORIES: Record<string, Pair> = {
  party: ['党务公开', 'Party affairs'],
  village: ['村务公开', 'Village affairs'],
  finance: ['财务公开', 'Finances'],
}

const STATES: Record<string, Pair> = {
  draft: ['草稿', 'Draft'],
  submitted: ['待审核', 'In review'],
  returned: ['已退回', 'Returned'],
  published: ['已公开', 'Published'],
  superseded: ['已更正（历史版本）', 'Corrected (earlier version)'],
  overdue: ['逾期未公开', 'Overdue'],
  withdrawn: ['已撤回', 'Withdrawn'],
  due: ['待公开', 'Due'],
}

const KINDS: Record<string, Pair> = {
  committee: ['党委', 'Party committee'],
  general_branch: ['党总支', 'General branch'],
  branch: ['党支部', 'Branch'],
  assembly: ['党员大会', 'Members’ assembly'],
  group: ['党小组会', 'Group meeting'],
  lecture: ['党课', 'Party lecture'],
  theme_day: ['主题党日', 'Theme day'],
  formal: ['正式党员', 'Full member'],
  probationary: ['预备党员', 'Probationary'],
  inactive: ['停止活动', 'Inactive'],
  article: ['文章', 'Article'],
  course: ['课程', 'Course'],
}

export const ERROR_NAMES: Record<string, Pair> = {
  'party.not_reviewer': ['只有上级乡镇可以审核', 'Only the town above may review'],
  'party.own_item': ['不能审核自己提交的事项', 'You may not review your own item'],
  'party.version_locked': ['已公开的版本不能修改，请发布更正', 'Published versions are frozen: publish a correction'],
  'party.not_submitted': ['该事项不在待审核状态', 'The item is not waiting for review'],
  'party.not_published': ['只能更正已公开的版本', 'Only a published version can be corrected'],
  'party.note_required': ['退回时请说明原因', 'Say why the item goes back'],
  'party.period_mismatch': ['财务按月公开，党务村务按季度公开', 'Finances are monthly, the others quarterly'],
  'party.not_village': ['请选择村（社区）', 'Choose a village'],
  'party.file_type': ['只接受 PDF、图片或 XLSX 文件', 'Attach PDF, images or XLSX'],
  'party.file_too_large': ['文件过大', 'The file is too large'],
  'party.rate_limited': ['提问过于频繁，请稍后再试', 'Too many questions; try later'],
  'party.already_answered': ['该问题已答复', 'Already answered'],
  'party.disclosure_not_found': ['未找到该公开事项', 'No such disclosure'],
  'party.village_not_found': ['未找到该村', 'No such village'],
  'party.wrong_code': ['签到码错误', 'Wrong sign-in code'],
  'party.too_far': ['不在会议地点', 'You are not at the meeting'],
  'party.not_member': ['您不是登记在册的党员', 'You are not a registered party member'],
  'party.already_signed_in': ['已签到', 'Already signed in'],
  'party.sign_in_closed': ['不在签到时间内', 'Sign-in is not open now'],
  'party.org_parent': ['上级组织层级不符', 'That organisation cannot hold this one'],
  'party.file_empty': ['文件为空', 'The file is empty'],
  'party.too_many_files': ['附件数量已达上限', 'Too many files'],
  'party.not_home': ['请先到所在社区报到', 'Report to your home community first'],
  'party.task_not_open': ['请先认领任务', 'Take the task first'],
  'party.question_not_found': ['未找到该提问', 'No such question'],
  'party.org_not_empty': ['该组织下仍有下级组织、党员或会议，不能删除', 'The organisation still holds organisations, members or meetings'],
  'party.member_exists': ['该账号已关联其他党员', 'That account is already linked to a member'],
  'party.member_not_found': ['未找到该党员', 'No such member'],
  'party.media_type': ['只接受图片（JPEG、PNG、WebP、GIF）或 MP4、WebM 视频', 'Images (JPEG, PNG, WebP, GIF) or MP4/WebM videos only'],
  'party.promo_not_found': ['未找到该内容', 'No such article or course'],
  'party.promo_state': ['该内容当前不能进行此操作', 'Not possible in the item’s state'],
  'party.media_not_found': ['未找到该图片或视频', 'No such image or video'],
  'party.range': ['请求的范围超出文件', 'The range is past the file’s end'],
  'party.case_not_found': ['未找到该事件（或尚未同步到党建模块）', 'No such incident is known here'],
  'party.case_closed': ['该事件已结案', 'The incident is closed'],
  'party.not_leader': ['该人员不是您辖区内的包靠领导', 'Not a leader of a grid in your scope'],
  'party.case_leader_exists': ['该领导已包案此事件', 'This leader is already on the incident'],
  'party.case_leader_not_found': ['该领导未包案此事件', 'This leader is not on the incident'],
  'party.promo_stale': ['内容已被他人修改，请刷新后重新编辑', 'The item was changed meanwhile: reload and edit again'],
  'party.reason_required': ['已发布内容须填写修改原因', 'Say why a published item changes'],
  'scope.forbidden': ['超出您的管辖范围', 'Outside your grids'],
  'request.invalid': ['填写内容不符合要求', 'Some fields are not valid'],
}

function named(table: Record<string, Pair>, code: string): string {
  const pair = table[code]
  return pair ? text(pair[0], pair[1]) : code
}

export const categoryName = (code: string): string => named(CATEGORIES, code)
export const stateName = (code: string): string => named(STATES, code)
export const kindName = (code: string): string => named(KINDS, code)
export const categories = Object.keys(CATEGORIES)

/** Show a refusal by its name in the page's language (the hub's message for unnamed codes). */
export function fail(error: unknown): void {
  if (error instanceof HubError && ERROR_NAMES[error.code]) {
    ElMessage.error(named(ERROR_NAMES, error.code))
    return
  }
  showError(error)
}
