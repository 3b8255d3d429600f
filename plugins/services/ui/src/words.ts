// Words of the services plugin in zh-CN and en, and its error codes by name (registered with
// the host's registerErrorNames so showError names them like the hub's own).
import { registerErrorNames, text } from '@gridhub/host'

type Pair = [string, string]

export const ERROR_NAMES: Record<string, Pair> = {
  'services.slot_taken': ['该时段已被预约，请另选时段', 'That time is already booked: choose another'],
  'services.slot_invalid': ['所选时间不在开放时段内', 'That time is not a slot within the opening hours'],
  'services.day_invalid': ['只能预约今天起 90 天内的日期', 'Book from today up to 90 days ahead'],
  'services.over_capacity': ['人数超过场地容量', 'More people than the venue holds'],
  'services.venue_closed': ['该场地暂停预约', 'The venue takes no bookings'],
  'services.venue_not_found': ['未找到该场地', 'No such venue'],
  'services.booking_not_found': ['未找到该预约', 'No such booking'],
  'services.booking_state': ['预约状态已变化，请刷新', 'The booking changed: refresh'],
  'services.rate_limited': ['操作过于频繁，请稍后再试', 'Too many requests: try again later'],
  'services.grid_not_found': ['未找到该村', 'No such village'],
  'services.item_not_found': ['未找到该服务事项', 'No such service'],
  'services.request_not_found': ['未找到该申请，请核对查询码', 'No request with that code'],
  'services.not_rateable': ['办结后才能评价', 'You can rate once it is done'],
  'services.already_rated': ['已评价', 'Already rated'],
  'services.no_handoff': ['未配置外部政务系统', 'No external system is configured'],
  'services.offer_not_found': ['未找到该服务项目', 'No such offer'],
  'services.care_booking_not_found': ['未找到该服务预约', 'No such care booking'],
  'services.care_booking_state': ['服务预约状态已变化', 'The care booking changed'],
  'services.day_closed': ['该日场地闭馆，不接受预约', 'The venue is closed that day'],
  'services.closure_booked': ['该时段已有预约，请先取消再闭馆', 'Bookings hold that period: cancel them first'],
  'services.closure_invalid': ['闭馆日期无效（自今日起，最长一年）', 'Bad closure dates (from today, at most a year)'],
  'services.closure_not_found': ['未找到该闭馆安排', 'No such closure'],
  'services.care_booking_exists': ['您当天已预约过该服务', 'You already booked it for that day'],
  'services.checkin_not_found': ['未找到该探访对象', 'No such check-in'],
  'services.due_invalid': ['首次探访时间须在 90 天内', 'The first visit must be within 90 days'],
  'services.time_zone_required': ['请填写带时区的时间', 'Give the time with its zone'],
  'services.resident_required': ['请从人口档案中选择此人', 'Choose the person from the archives'],
  'services.name_required': ['请填写老人姓名', "Give the person's name"],
  'services.elder_not_found': ['档案中没有这位老人', 'No such elderly person in the archives'],
  'services.checkin_exists': ['此人已在探访名单中', 'The person is already on the check-in list'],
  'services.device_taken': ['该设备已是他人的呼救设备', "The device is another person's SOS device"],
}
registerErrorNames(ERROR_NAMES)

const STATES: Record<string, Pair> = {
  free: ['空闲', 'Free'],
  shut: ['闭馆', 'Closed'],
  pending: ['待审批', 'Pending'],
  approved: ['已批准', 'Approved'],
  rejected: ['已驳回', 'Rejected'],
  cancelled: ['已取消', 'Cancelled'],
  submitted: ['已提交', 'Submitted'],
  reported: ['已提交', 'Submitted'],
  registered: ['已受理', 'Accepted'],
  not_accepted: ['不予受理', 'Not accepted'],
  dispatched: ['已派遣', 'Dispatched'],
  signed: ['办理中', 'In progress'],
  en_route: ['办理中', 'In progress'],
  on_scene: ['办理中', 'In progress'],
  handled: ['已办结', 'Done'],
  verified: ['已核查', 'Verified'],
  closed: ['已办结', 'Closed'],
  parked: ['挂账跟踪', 'On hold'],
  requested: ['待确认', 'Requested'],
  confirmed: ['已确认', 'Confirmed'],
  delivered: ['已完成', 'Delivered'],
}

const MODES: Record<string, Pair> = {
  full: ['全程代办', 'Full proxy'],
  partial: ['部分代办', 'Partial proxy'],
  guidance: ['指导办理', 'Guidance'],
}

const KINDS: Record<string, Pair> = {
  meal: ['助餐', 'Meals'],
  health: ['健康', 'Health'],
  cleaning: ['保洁', 'Cleaning'],
  visit: ['探访', 'Visits'],
  other: ['其他', 'Other'],
}

function named(table: Record<string, Pair>, code: string): string {
  const pair = table[code]
  return pair ? text(pair[0], pair[1]) : code
}

// an elderly person's SOS device's alarm, as the alarms plugin names them
const SEVERITIES: Record<string, Pair> = {
  CRITICAL: ['紧急', 'Critical'],
  MAJOR: ['重要', 'Major'],
  MINOR: ['次要', 'Minor'],
  WARNING: ['警告', 'Warning'],
  INDETERMINATE: ['未定', 'Indeterminate'],
  sos: ['SOS 求助', 'SOS'],
}

export const stateName = (code: string): string => named(STATES, code)
export const alarmName = (code: string): string => named(SEVERITIES, code)
export const modeName = (code: string): string => named(MODES, code)
export const kindName = (code: string): string => named(KINDS, code)
export const modes = Object.keys(MODES)
