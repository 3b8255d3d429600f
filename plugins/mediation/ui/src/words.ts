// Words of the mediation plugin in zh-CN and en, and its error codes by name.
import { text } from '@gridhub/host'

type Pair = [string, string]

export const TYPES: Record<string, Pair> = {
  marriage_family: ['婚姻家庭', 'Marriage and family'],
  neighbours: ['邻里纠纷', 'Neighbours'],
  land_contract: ['土地承包', 'Land and contracts'],
  labour_wages: ['劳资纠纷', 'Labour and wages'],
  damages: ['损害赔偿', 'Damages'],
  property_mgmt: ['物业纠纷', 'Property management'],
  other: ['其他', 'Other'],
}

export const STATES: Record<string, Pair> = {
  pending: ['待受理', 'Waiting'],
  accepted: ['调解中', 'In mediation'],
  agreed: ['已达成协议', 'Agreed'],
  performed: ['已履行', 'Performed'],
  failed: ['调解失败', 'Failed'],
  referred: ['已移交', 'Referred'],
}

export const LEVELS: Record<string, Pair> = {
  village: ['村级', 'Village'],
  town: ['镇级', 'Town'],
  county: ['县级', 'County'],
}

export const RISKS: Record<string, Pair> = {
  low: ['低', 'Low'],
  medium: ['中', 'Medium'],
  high: ['高（可能激化）', 'High (may escalate)'],
}

export const SIDES: Record<string, Pair> = {
  applicant: ['申请人', 'Applicant'],
  respondent: ['被申请人', 'Respondent'],
  other: ['其他当事人', 'Other party'],
}

export const REFERRALS: Record<string, Pair> = {
  litigation: ['诉讼', 'Litigation'],
  arbitration: ['仲裁', 'Arbitration'],
  petition: ['信访', 'Petition'],
}

export const SOURCES: Record<string, Pair> = {
  office: ['调解室登记', 'Mediation office'],
  incident: ['事件转入', 'From an incident'],
  resident: ['群众申请', 'Resident'],
}

export const ACTIONS: Record<string, Pair> = {
  opened: ['登记', 'Opened'],
  accept: ['受理', 'Accepted'],
  assign: ['指派调解员', 'Mediators assigned'],
  escalate: ['提交上级调解', 'Escalated'],
  agree: ['达成调解协议', 'Agreement reached'],
  perform: ['履行情况', 'Performance'],
  fail: ['调解不成', 'Mediation failed'],
  refer: ['移交', 'Referred'],
  risk: ['风险等级', 'Risk level'],
  take_risk: ['综治中心接手', 'Taken by the centre'],
  confirm: ['司法确认', 'Judicial confirmation'],
  follow_up: ['回访', 'Follow-up visit'],
  follow_up_due: ['回访到期', 'Follow-up due'],
  risk_unanswered: ['风险未处置，已报县级', 'Risk unanswered: county alerted'],
  session_scheduled: ['安排调解会', 'Session scheduled'],
  session_recorded: ['记录调解会', 'Session recorded'],
  party_added: ['添加当事人', 'Party added'],
}

// Timeline steps by no person name the part of the hub that made them (hub.audit Actor names).
export const ACTORS: Record<string, Pair> = {
  system: ['系统', 'System'],
  demo: ['演示数据', 'Demo data'],
  resident: ['群众', 'Resident'],
  dispatch: ['事件调度', 'Dispatch'],
}

export const ERROR_NAMES: Record<string, Pair> = {
  'mediation.bad_state': ['案件当前状态不能进行此操作', 'Not possible in the case’s current state'],
  'mediation.version_conflict': ['案件已被他人更新，请刷新后重试', 'The case changed; reload and retry'],
  'mediation.not_handler': ['只有正在办理的调解委员会可以操作', 'Only the committee handling the case may do this'],
  'mediation.case_not_found': ['未找到该案件', 'No such case'],
  'mediation.party_not_found': ['未找到该当事人', 'No such party'],
  'mediation.session_not_found': ['未找到该调解会', 'No such session'],
  'mediation.action_unknown': ['未知操作', 'Unknown step'],
  'mediation.mediator_invalid': ['所选人员不是该网格的调解员', 'That person is no mediator over the case'],
  'mediation.top_level': ['县级已是最高调解层级', 'The county is the top level'],
  'mediation.risk_not_open': ['该案件没有待接手的风险预警', 'No open risk alert on this case'],
  'mediation.no_agreement': ['该案件尚未达成调解协议', 'The case has no agreement yet'],
  'mediation.no_committee': ['该网格上没有调解委员会', 'No committee above this grid'],
  'mediation.font_missing': ['服务器缺少中文字体', 'The server lacks the Chinese font'],
  'mediation.rate_limited': ['提交过于频繁，请稍后再试', 'Too many questions; try later'],
  'mediation.question_not_found': ['查询码不正确', 'No question with this code'],
  'mediation.not_ratable': ['答复后才能评价，且只能评价一次', 'Rate once, after the answer'],
  'mediation.already_answered': ['该咨询已答复', 'Already answered'],
  'mediation.not_adviser': ['只有本村法律顾问可以答复', 'Only the village’s legal adviser may answer'],
  'mediation.village_unknown': ['请选择所在村', 'Choose your village'],
}

export function named(table: Record<string, Pair>, code: string | null | undefined): string {
  if (!code) return ''
  const pair = table[code]
  return pair ? text(pair[0], pair[1]) : code
}
