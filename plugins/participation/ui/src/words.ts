// Words of the participation plugin in zh-CN and en, and its error codes by name (registered
// with the host's registerErrorNames so showError names them like the hub's own).
import { registerErrorNames, text } from '@gridhub/host'

type Pair = [string, string]

export const ERROR_NAMES: Record<string, Pair> = {
  'participation.village_not_found': ['未找到该村', 'No such village'],
  'participation.rule_not_found': ['未找到该积分规则', 'No such points rule'],
  'participation.rule_exists': ['该村已有同名同类规则', 'The village has that rule already'],
  'participation.rule_inactive': ['该积分规则已停用', 'That rule is not in use'],
  'participation.rule_unfit': ['须选用本村的志愿服务时长规则', 'Choose a volunteer-hour rule of the village'],
  'participation.resident_not_found': ['该人员不是本村居民', 'Not a resident of the village'],
  'participation.item_not_found': ['未找到该商品', 'No such item'],
  'participation.out_of_stock': ['商品已兑完', 'Out of stock'],
  'participation.points_insufficient': ['积分不足', 'Not enough points'],
  'participation.key_reused': ['请求标识已被使用', 'That request key was used'],
  'participation.exchange_not_found': ['未找到该兑换', 'No such exchange'],
  'participation.already_handed_over': ['已发放', 'Already handed over'],
  'participation.activity_not_found': ['未找到该活动', 'No such activity'],
  'participation.activity_full': ['活动名额已满', 'The activity is full'],
  'participation.activity_over': ['活动已结束', 'The activity is over'],
  'participation.already_signed_up': ['已报名', 'Already signed up'],
  'participation.cannot_withdraw': ['未报名或已签到，不能取消', 'Not signed up, or checked in'],
  'participation.check_in_closed': ['不在签到时间内', 'Check-in is not open'],
  'participation.too_far': ['距离活动地点太远', 'Too far from the place'],
  'participation.check_code_wrong': ['签到码不正确', 'Wrong check-in code'],
  'participation.not_signed_up': ['请先报名', 'Sign up first'],
  'participation.already_checked_in': ['已签到', 'Already checked in'],
  'participation.topic_not_found': ['未找到该议题', 'No such topic'],
  'participation.topic_concluded': ['议题已形成结论', 'The topic is concluded'],
  'participation.already_registered': ['已报名参与', 'Already registered'],
  'participation.vote_not_found': ['未找到该表决', 'No such vote'],
  'participation.vote_closed': ['表决已结束', 'The vote is closed'],
  'participation.not_eligible': ['您不在本次表决范围内', 'You may not vote on this'],
  'participation.choice_unknown': ['没有该选项', 'No such option'],
  'participation.already_voted': ['已投票', 'Already voted'],
  'participation.dispatch_unavailable': ['未启用事件处置，无法转为任务', 'Dispatch is not enabled'],
  'participation.post_not_found': ['未找到该帖子', 'No such post'],
  'participation.photo_not_found': ['未找到该图片', 'No such photo'],
  'participation.comment_not_found': ['未找到该评论', 'No such comment'],
  'participation.photo_form': ['图片格式有误', 'A photo is malformed'],
  'participation.photo_too_large': ['图片不能超过 700 KB', 'A photo may be at most 700 KB'],
  'participation.photo_type': ['仅支持 JPEG、PNG、WebP 图片', 'Photos are JPEG, PNG or WebP'],
  'participation.already_reported': ['已举报', 'Already reported'],
  'participation.post_not_reported': ['仅被举报的帖子可转为事件', 'Only a reported post'],
  'participation.need_not_found': ['未找到该需求', 'No such need'],
  'participation.own_need': ['不能认领自己发布的需求', 'Someone else takes up your need'],
  'participation.need_taken': ['该需求已被认领', 'Someone has taken this need up'],
  'participation.need_not_taken': ['该需求尚未被认领', 'The need is not taken up'],
  'participation.not_volunteer': ['请先登记为本村志愿者并通过审核', 'Approved volunteers of the village only'],
  'participation.volunteer_exists': ['您已在本村登记为志愿者', 'You are registered already'],
  'participation.volunteer_not_found': ['未找到该志愿者', 'No such volunteer'],
  'participation.volunteer_decided': ['该登记已审核', 'The registration is decided'],
  'participation.volunteer_unfit': ['须选择本村已审核通过的志愿者', 'Choose an approved volunteer of the village'],
  'participation.team_not_found': ['未找到该队伍', 'No such team'],
  'participation.team_exists': ['本村已有同名队伍', 'The village has a team of that name'],
  'participation.team_moved': ['队伍不能换村', 'A team stays in its village'],
  'participation.team_leader': ['请先更换队长', 'Choose another leader first'],
  'participation.team_unfit': ['须选择本村的志愿者队伍', 'Choose a team of the village'],
  'participation.activity_cancelled': ['活动已取消', 'The activity was cancelled'],
  'participation.activity_moved': ['活动不能换村', 'An activity stays in its village'],
  'participation.capacity_below_signups': ['名额不能少于已报名人数', 'Fewer places than sign-ups'],
  'participation.feed_rate_limited': ['发帖或评论太频繁，请稍后再试', 'Too many posts or comments; try later'],
}
registerErrorNames(ERROR_NAMES)

const STATES: Record<string, Pair> = {
  open: ['进行中', 'Open'],
  completed: ['已结束', 'Completed'],
  concluded: ['已形成结论', 'Concluded'],
  closed: ['已结束', 'Closed'],
  placed: ['待发放', 'To hand over'],
  handed_over: ['已发放', 'Handed over'],
  visible: ['显示中', 'Shown'],
  hidden: ['已隐藏', 'Hidden'],
  pending: ['待审核', 'Pending'],
  approved: ['已通过', 'Approved'],
  rejected: ['未通过', 'Rejected'],
  taken: ['已认领', 'Taken up'],
  done: ['已完成', 'Done'],
  cancelled: ['已取消', 'Cancelled'],
}

export function stateName(state: string): string {
  const pair = STATES[state]
  return pair ? text(pair[0], pair[1]) : state
}

const KINDS: Record<string, Pair> = {
  volunteer_hour: ['志愿服务时长', 'Volunteer hours'],
  deliberation: ['参加议事', 'Deliberation'],
  conduct: ['好人好事', 'Good conduct'],
  need: ['群众点单', 'Needs done'],
  environment: ['环境卫生', 'Environment'],
  elderly: ['为老服务', 'Elderly care'],
  culture: ['文化活动', 'Culture'],
  safety: ['平安建设', 'Safety'],
  education: ['教育辅导', 'Education'],
  health: ['健康服务', 'Health'],
}

/** A rule kind or an activity category in words (an unknown code as it is). */
export function kindName(kind: string): string {
  const pair = KINDS[kind]
  return pair ? text(pair[0], pair[1]) : kind
}
