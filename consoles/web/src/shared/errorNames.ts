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
  'auth.person_mismatch': ['登录凭据属于他人，请重新登录', 'That sign-in belongs to someone else; please sign in again'],
  'auth.other_person': ['此浏览器已登录其他账号，请重新登录', 'Someone else signed in in this browser; please sign in again'],
  'scope.forbidden': ['该网格不在您的管辖范围内', 'That grid is outside your scope'],
  'metrics.forbidden': ['无权读取运行指标', 'You may not read the metrics'],
  'internal': ['服务器内部错误，请稍后重试', 'Something went wrong on the server; try again later'],
  'http.not_found': ['请求的地址不存在', 'Not found'],
  'http.method_not_allowed': ['不支持此请求方式', 'That request method is not allowed'],
  'http.400': ['请求内容有误', 'The request is not valid'],
  'http.405': ['不支持此请求方式', 'That request method is not allowed'],
  'http.413': ['上传内容过大', 'What you sent is too large'],
  'consoles.not_built': ['网页控制台尚未构建，请联系管理员', 'The web consoles are not built; ask the administrator'],
  'map.no_tiles': ['本系统未配置离线底图', 'This hub serves no base map'],
  'map.tile_not_found': ['底图中没有该位置的图块', 'The base map has no tile there'],
  'map.bad_tile': ['底图图块编号有误', 'That is not a tile of the base map'],
  'request.query_invalid': ['查询条件有误', 'The query is not valid'],
  'request.path_invalid': ['地址中的编号有误', 'The address has an invalid id'],
  'request.encoding_invalid': ['内容须为 UTF-8 编码', 'The content must be UTF-8'],
  'frame.malformed': ['数据格式有误', 'The data is malformed'],
  'frame.too_deep': ['数据层级过深', 'The data is nested too deeply'],
  'frame.too_large': ['数据过大', 'The data is too large'],
  'socket.closed': ['未连接到服务器', 'Not connected to the server'],
  'socket.timeout': ['服务器无响应，请重试', 'The server did not answer; try again'],
  'host.no_console': ['仅在指挥台中可用', 'Only available in the command console'],
  'location.clock_skew': ['位置时间晚于当前时间，请校准手机时间', "The position's time is in the future; check the phone's clock"],
  'presence.state_invalid': ['不能手动选择此状态', 'That status cannot be chosen here'],
  'person.grid_unknown': ['所属网格不存在', 'That grid does not exist'],
  'person.import_invalid': ['人员导入数据格式有误', 'The people import is not valid'],
  'person.import_too_large': ['一次导入的人员过多', 'Too many people in one import'],
  'person.role_invalid': ['该角色须指定网格', 'That role needs a grid'],
  'person.role_unknown': ['角色不存在', 'No such role'],
  'grid.code_taken': ['网格编码已存在', 'That grid code is taken'],
  'grid.covers_invalid': ['只有叠加网格可以覆盖其他网格', 'Only overlay grids can cover other grids'],
  'grid.geometry_invalid': ['网格边界有误', 'The grid boundary is not valid'],
  'grid.geometry_too_large': ['网格边界的点过多', 'The grid boundary has too many points'],
  'grid.import_invalid': ['网格导入数据格式有误', 'The grid import is not valid'],
  'grid.import_too_large': ['一次导入的网格过多', 'Too many grids in one import'],
  'grid.in_use': ['网格仍在使用，不能删除', 'The grid is in use and cannot be deleted'],
  'grid.move_cycle': ['不能将网格移到其下级网格中', 'A grid cannot move under its own subtree'],
  'grid.not_located': ['该位置不在任何网格内', 'No grid contains that place'],
  'grid.parent_unknown': ['上级网格不存在', 'The parent grid does not exist'],
  'device.not_found': ['未找到该设备', 'No such device'],
  'device.code_taken': ['设备编码已存在', 'That device code is taken'],
  'device.bad_firmware': ['固件版本格式有误', 'The firmware version is not valid'],
  'device.bad_time': ['设备时间须带时区', 'Device times need a time zone'],
  'file.id_invalid': ['文件编号有误', 'That is not a file id'],
  'file.missing': ['请选择要上传的文件', 'Choose a file to upload'],
  'file.multipart_required': ['请以表单方式上传文件', 'Upload the file as a form'],
  'channel.body_invalid': ['消息内容有误', 'The message is not valid'],
  'channel.client_msg_id_invalid': ['消息编号有误', 'The message id is not valid'],
  'channel.direct_self': ['不能与自己私聊', 'You cannot message yourself'],
  'channel.file_elsewhere': ['请先将文件上传到本群组', 'Upload the file to this channel first'],
  'channel.file_kind': ['文件类型与消息类型不符', 'The file does not fit this kind of message'],
  'channel.kind_invalid': ['不支持的消息类型', 'Unknown kind of message'],
  'channel.leave_refused': ['不能退出此类群组', 'You cannot leave this kind of channel'],
  'channel.mentions_invalid': ['@提及的人员有误', 'The mentions are not valid'],
  'channel.not_joined': ['您尚未加入该群组', 'You have not joined this channel'],
  'channel.owner_required': ['只有群主可以执行此操作', 'Only the owner of the channel may do this'],
  'channel.sender_unknown': ['发送人不存在', 'No such sender'],
  'call.already_answered': ['通话已在其他设备接听', 'The call was answered already'],
  'call.ended': ['通话已结束', 'The call has ended'],
  'call.glare': ['双方同时发起了连接，正在重新协商', 'Both sides offered at once; renegotiating'],
  'call.no_offer': ['对方尚未发起连接', 'The other side has not offered yet'],
  'call.not_active': ['通话未接通', 'The call is not connected'],
  'call.other_device': ['该通话已在其他设备上接通', 'This call is connected on another device'],
  'call.pull_forbidden': ['只有指挥员和调度员可以调取视频', 'Only commanders and dispatchers may pull video'],
  'call.pull_one_way': ['调取视频时只能单向传输', 'A video pull goes one way only'],
  'media.bad_offer': ['媒体连接协商失败', 'The media connection could not be set up'],
  'media.channel_not_found': ['未找到该群组', 'No such channel'],
  'media.direct_channel': ['私聊请直接呼叫对方', 'Two people talk with a call, not a room'],
  'media.moderator_only': ['只有主持人可以静音他人', 'Only a moderator may mute others'],
  'media.muted_by_moderator': ['您已被主持人静音', 'A moderator muted you'],
  'media.not_found': ['未找到该照片', 'No such photo'],
  'media.not_in_room': ['此人不在通话中', 'That person is not in this call'],
  'media.not_member': ['您不是该群组成员', 'You are not a member of this channel'],
  'media.room_not_found': ['会话不存在或已结束', 'No such media room (it may have ended)'],
  'media.unavailable': ['音视频服务繁忙，请稍后再试', 'The media service is busy; try again later'],
  'media.worker_down': ['音视频服务暂不可用', 'The media service is down'],
  'media.worker_error': ['音视频服务出错', 'The media service failed'],
  'media.worker_timeout': ['音视频服务无响应', 'The media service did not answer'],
  'control.bad_args': ['音视频服务参数有误', 'The media service was given bad arguments'],
  'control.bad_frame': ['音视频服务请求有误', 'The media service got a bad request'],
  'control.unknown_op': ['音视频服务不支持此操作', 'The media service does not know that operation'],
  'peer.bad_offer': ['媒体连接协商失败', 'The media connection could not be set up'],
  'room.not_found': ['会话不存在或已结束', 'No such media room (it may have ended)'],
  'room.unknown_action': ['会话不支持此操作', 'The room does not support that'],
  'room.unknown_kind': ['不支持的会话类型', 'Unknown kind of room'],
  'room.unknown_tap': ['不支持的媒体处理方式', 'Unknown media tap'],
  'worker.full': ['音视频服务已满，请稍后再试', 'The media service is full; try again later'],
  'ptt.floor_busy': ['他人正在讲话', 'Someone else is talking'],
  'ptt.no_priority': ['您的角色不能抢占发言', 'Your role may not take the floor'],
  'ptt.not_holder': ['您当前未在讲话', 'You do not hold the floor'],
  'camera.disabled': ['摄像头已停用', 'The camera is disabled'],
  'camera.full': ['观看该摄像头的人数已满', 'The camera has as many viewers as it may'],
  'camera.grid_required': ['请指定摄像头所在网格', 'Give the grid the camera watches'],
  'camera.no_video_offer': ['请以接收视频的方式连接', 'Offer to receive video'],
  'camera.not_found': ['未找到该摄像头', 'No such camera'],
  'camera.not_your_viewer': ['该观看会话不属于您', 'That viewer is not yours'],
  'camera.source_forbidden': ['摄像头地址的端口不被允许', "The camera address's port is not allowed"],
  'camera.source_invalid': ['摄像头地址有误', 'The camera address is not valid'],
  'camera.source_missing': ['视频文件不存在', 'No such video file'],
  'camera.source_unreadable': ['无法读取该视频', 'The video cannot be read'],
  'camera.source_unresolved': ['摄像头地址无法解析', "The camera's host does not resolve"],
  'camera.unreachable': ['无法连接摄像头', 'The camera cannot be reached'],
  'recording.call_not_active': ['通话未接通，无法录制', 'The call is not connected'],
  'recording.call_not_found': ['未找到您的该通话', 'No such call of yours'],
  'recording.ended': ['录制已结束', 'The recording has ended'],
  'recording.no_media': ['没有可录制的音视频', 'There is no audio or video to record'],
  'recording.not_found': ['未找到该录音录像', 'No such recording'],
  'recording.not_ready': ['录音录像尚未就绪', 'The recording is not ready'],
  'recording.not_live': ['对方尚未开启现场声音，请稍后再试', 'Nothing is being sent live yet; try again shortly'],
  'recording.off': ['按规定不录制此类通话', 'Recording is off by policy'],
  'recording.sos_closed': ['该求助已结束', 'The SOS is closed'],
  'recording.sos_not_found': ['未找到您的该求助', 'No such SOS of yours'],
  'recording.ticket_invalid': ['播放凭据无效或已过期，请重试', 'The playback ticket is invalid or expired; try again'],
  // the core plugins' codes (dispatch, alarms, escalation): named here, not by their bundles,
  // because the field app and the residents' page meet them without loading those bundles
  'incident.already_rated': ['该事件已评价', 'The incident is already rated'],
  'incident.assignees_required': ['请至少指定一名处置人', 'Choose at least one assignee'],
  'incident.bad_assignee': ['处置人有误', 'The assignee is not valid'],
  'incident.duplicate_assignee': ['处置人重复', 'An assignee is listed twice'],
  'incident.field_invalid': ['填写内容格式有误', 'A field is not valid'],
  'incident.field_required': ['请填写必填项', 'A required field is empty'],
  'incident.not_assignee': ['只有处置人可以执行此操作', 'Only the assignees may do this'],
  'incident.not_commander': ['只有负责该事件的指挥中心可以执行此操作', 'Only the command centre handling the incident may do this'],
  'incident.not_reporter': ['只有上报人或指挥中心可以评价', 'Only the reporter or the centre may rate'],
  'incident.not_signed': ['请先签收事件', 'Sign for the incident first'],
  'incident.not_verifier': ['核查须由网格长或指挥中心进行', 'Verification needs a grid leader or the command centre'],
  'incident.one_lead': ['协办须有且只有一名主办人', 'Co-handling needs exactly one lead'],
  'incident.passed_required': ['请选择核查是否通过', 'Say whether the check passed'],
  'incident.photo_form': ['请以表单方式上传照片', 'Upload the photos as a form'],
  'incident.photo_missing': ['请至少上传一张照片', 'Add at least one photo'],
  'incident.rating_required': ['请给出 1 到 5 分的评价', 'Give a rating from 1 to 5'],
  'incident.review_at': ['挂起须指定一个将来的复查时间', 'Parking needs a future review time'],
  'incident.self_verification': ['处置人不能核查自己的处置', 'The handler may not verify their own handling'],
  'incident.top_level': ['已是最高指挥层级，无法再上报', 'There is no command level above this one'],
  'incident.unknown_action': ['不支持的操作', 'Unknown action'],
  'incident.unknown_field': ['包含未知的填写项', 'There are unknown fields'],
  'incident.unknown_grid': ['网格不存在', 'No such grid'],
  'category.code_mismatch': ['事件类型编码不一致', 'The category codes differ'],
  'category.not_found': ['事件类型不存在', 'No such category'],
  'category.unknown_department': ['部门不存在', 'No such department'],
  'department.bad_member': ['部门成员有误', 'A member of the department is not valid'],
  'department.code_mismatch': ['部门编码不一致', 'The department codes differ'],
  'rule.bad_target': ['分派对象有误', 'The rule target is not valid'],
  'rule.not_found': ['未找到该规则', 'No such rule'],
  'rule.unknown_grid': ['网格不存在', 'No such grid'],
  'appeal.already_rated': ['该诉求已评价', 'This report is already rated'],
  'appeal.category_not_public': ['该类型不接受群众上报', 'That category is not open to the public'],
  'appeal.content_type': ['提交格式有误', 'The form could not be read'],
  'appeal.field_too_long': ['填写内容过长', 'A field is too long'],
  'appeal.invalid': ['表单内容有误', 'The form is not valid'],
  'appeal.not_closed': ['诉求办结后才能评价', 'A report can be rated once it is closed'],
  'appeal.not_rateable': ['只有已办结且未评价的诉求可以评价', 'Only a closed, unrated report can be rated'],
  'appeal.unknown_part': ['表单包含未知内容', 'The form has an unknown field'],
  'open311.api_key_invalid': ['接口密钥无效', 'A valid api_key is required'],
  'open311.content_type': ['提交格式有误', 'Send form-encoded arguments or JSON'],
  'open311.date_invalid': ['日期格式有误', 'The date is not valid'],
  'open311.invalid': ['请求内容有误', 'The request is not valid'],
  'open311.request_not_found': ['未找到该服务请求', 'No such service request'],
  'open311.service_not_found': ['未找到该服务', 'No such service'],
  'open311.status_invalid': ['状态有误', 'The status is not valid'],
  'open311.rate_limited': ['请求过于频繁，请稍后再试', 'Too many requests; try again later'],
  'alarm.already_acknowledged': ['该告警已被确认', 'The alarm is already acknowledged'],
  'alarm.already_cleared': ['该告警已清除', 'The alarm is already cleared'],
  'alarm.bad_assignee': ['指派对象须是能查看该告警的工作人员', "The assignee must be staff who see the alarm's grid"],
  'alarm.not_found': ['未找到该告警', 'No such alarm'],
  'sos.already_taken': ['该求助已被他人接手', 'Someone else already took this SOS'],
  'sos.closed': ['该求助已结束', 'This SOS is already closed'],
  'sos.no_grid': ['您尚未分配网格', 'You are not assigned to any grid'],
  'sos.not_acknowledged': ['请先确认求助再结束', 'Acknowledge the SOS before closing it'],
  'sos.not_found': ['未找到该求助', 'No such SOS'],
  'sos.not_owner': ['只有接手人可以结束该求助', 'Only whoever took it can close it'],
  'checkin.already_active': ['请先结束正在进行的报平安', 'Stop your running check-in first'],
  'checkin.interval_out_of_range': ['报平安间隔超出范围', 'The check-in interval is out of range'],
  'checkin.not_active': ['该报平安已结束', 'This check-in is not running'],
  'checkin.not_found': ['未找到该报平安', 'No such check-in'],
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
