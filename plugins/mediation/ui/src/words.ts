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

// an expert's specialties (专家库): the case types and the trades mediation calls on
export const SPECIALTIES: Record<string, Pair> = {
  ...TYPES,
  other: ['其他纠纷', 'Other disputes'],
  law: ['法律', 'Law'],
  psychology: ['心理疏导', 'Counselling'],
  survey: ['土地测绘', 'Land survey'],
  medical: ['医疗', 'Medicine'],
  finance: ['财会', 'Accounting'],
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
  session_held: ['记录现场调解', 'Session held and recorded'],
  document_added: ['上传签字文书', 'Signed document attached'],
  expert_assigned: ['邀请专家参与调解', 'Expert called in'],
  party_added: ['添加当事人', 'Party added'],
  session_online: ['上线调解', 'Session held online'],
  session_call_started: ['线上调解开始录音', 'Online session recording'],
  session_call_recorded: ['线上调解录音', 'Online session recorded'],
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
  'mediation.expert_level': ['专家库由镇（街道）或县级维护', 'Experts are kept by a town or the county'],
  'mediation.expert_not_found': ['未找到该专家', 'No such expert'],
  'mediation.expert_in_use': ['该专家已参与案件，请改为停用', 'The expert worked on cases: deactivate instead'],
  'mediation.expert_invalid': ['该专家不可用或不属于本案上级专家库', 'Not an active expert over this case'],
  'mediation.expert_assigned': ['该专家已在本案中', 'The expert is already on the case'],
  'mediation.article_not_found': ['未找到该文章', 'No such article'],
  'mediation.article_published': ['已发布的文章请先撤回再修改', 'Withdraw the article to edit it'],
  'mediation.article_state': ['文章当前状态不能进行此操作', 'Not possible in the article’s state'],
  'mediation.file_form': ['请选择一个文件上传', 'Send one file'],
  'mediation.file_empty': ['文件是空的', 'The file is empty'],
  'mediation.file_too_large': ['文件过大（最大 10 MB）', 'The file is too large (10 MB at most)'],
  'mediation.file_type': ['只能上传 JPEG、PNG、WebP 照片或 PDF', 'Attach a JPEG, PNG or WebP photo or a PDF'],
  'mediation.too_many_files': ['该案件的文书已达上限', 'This case has all the files it may have'],
  'mediation.document_not_found': ['未找到该文书', 'No such document'],
  'mediation.person_unknown': ['档案中没有您辖区内的此人', 'No such person in the archive of your grids'],
  'mediation.archives_absent': ['本系统未启用辖区档案，不能关联人员', 'No archive of people runs here'],
  'mediation.archives_unavailable': ['辖区档案暂时无响应，请稍后再试', 'The archive did not answer; try again'],
}

export function named(table: Record<string, Pair>, code: string | null | undefined): string {
  if (!code) return ''
  const pair = table[code]
  return pair ? text(pair[0], pair[1]) : code
}
