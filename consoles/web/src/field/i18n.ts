export const zh = {
  app: { title: '网格员', name: 'GridHub 网格通' },
  login: {
    title: '网格员登录', username: '账号', password: '密码', submit: '登录',
    failed: '登录失败', offline: '没有网络，无法登录',
  },
  tab: { tasks: '任务', report: '上报', chat: '消息', me: '我的' },
  state: {
    reported: '待受理', registered: '已立案', dispatched: '待签收', signed: '已签收',
    en_route: '前往中', on_scene: '已到场', handled: '已处置', verified: '已核查',
    closed: '已结案', not_accepted: '不予受理', parked: '挂账',
  },
  action: {
    sign: '签收', return: '退回', en_route: '出发', on_scene: '到达现场', handle: '处置完成',
    verify: '核查', comment: '备注',
  },
  priority: { low: '低', normal: '一般', high: '紧急', urgent: '特急' },
  step: {
    reported: '上报', register: '立案', reject: '不予受理', dispatch: '派单', sign: '签收',
    return: '退回', en_route: '出发', on_scene: '到达现场', handle: '处置', verify: '核查',
    close: '结案', rate: '回访', escalate: '上报上级', park: '挂账', unpark: '解除挂账',
    reopen: '重新办理', supervise: '督办', comment: '备注', sla_warning: '即将超时', overdue: '超时',
  },
  tasks: {
    empty: '暂无任务', refresh: '刷新', open: '进行中', done: '已完成', deadline: '时限',
    overdue: '已超时', pending: '待发送', detail: '任务详情', timeline: '处置记录',
    note: '处置说明', notePlaceholder: '说明处置情况（必填）', photos: '现场照片',
    takePhoto: '拍照', withLocation: '附带当前位置', returnReason: '退回原因（必填）',
    passed: '核查通过', failed: '核查不通过', acted: '已{action}', queued: '已保存，联网后自动发送',
    noteRequired: '请填写说明', description: '描述', category: '类别', address: '地址',
    back: '返回', chat: '事件群聊', newTask: '新任务：{title}',
  },
  report: {
    title: '上报事件', category: '事件类别', subject: '标题', description: '详细描述',
    priority: '紧急程度', location: '位置', locate: '获取当前位置', located: '已定位',
    locating: '定位中…', noLocation: '未获取位置，将按所在网格上报', address: '地址',
    submit: '提交上报', done: '已上报：{number}', queued: '已保存，联网后自动上报',
    required: '请填写标题和类别', yes: '是', no: '否',
    need: { category: '请选择类别', title: '请填写标题' },
  },
  sos: {
    hold: '长按2秒 SOS 求救', holding: '继续按住…', sent: '求救已发出，指挥中心正在响应',
    queued: '没有网络：求救已保存，联网后立即发送', received: '{name} 已接警，请保持电话畅通',
    closed: '求救已处理完毕', active: 'SOS 求救中',
  },
  chat: {
    channels: '我的群组', empty: '暂无消息', placeholder: '输入消息', send: '发送',
    photo: '图片', members: '成员', call: '语音通话', unread: '{n} 条未读', back: '返回',
    system: '系统消息',
  },
  call: {
    incoming: '{name} 来电', accept: '接听', decline: '拒绝', hangup: '挂断',
    calling: '正在呼叫 {name}…', active: '通话中 {time}', ended: '通话结束',
    busy: '对方忙', missed: '无人接听', declined: '对方已拒绝', failed: '通话失败',
    pullIncoming: '{name} 请求查看您的现场视频', pullAccept: '同意', pullActive: '正在向 {name} 回传现场视频', stop: '结束',
  },
  me: {
    title: '我的', duty: '在岗（共享位置）', dutyHint: '在岗时定时向指挥中心报告位置（约每30秒，移动时更频繁）',
    lastFix: '最近定位', language: '语言', logout: '退出登录', queue: '待发送',
    queueEmpty: '没有待发送的操作', sendNow: '立即发送', failures: '发送失败',
    dismiss: '知道了', grids: '我的网格', ptt: '对讲',
    pttHint: '在“消息”中打开本网格群组，按住“按住说话”即可对讲',
  },
  ptt: {
    join: '加入对讲', leave: '退出', hold: '按住说话', talking: '正在讲话…松开结束',
    you: '我在讲话', idle: '对讲空闲 · {n} 人收听',
  },
  net: { online: '在线', offline: '离线', connecting: '连接中', queued: '{n} 项待发送' },
  error: { generic: '操作失败' },
}

type Messages = typeof zh

export const en: Messages = {
  app: { title: 'Grid worker', name: 'GridHub Field' },
  login: {
    title: 'Sign in', username: 'Username', password: 'Password', submit: 'Sign in',
    failed: 'Sign-in failed', offline: 'No network: cannot sign in',
  },
  tab: { tasks: 'Tasks', report: 'Report', chat: 'Chat', me: 'Me' },
  state: {
    reported: 'Reported', registered: 'Registered', dispatched: 'To sign', signed: 'Signed',
    en_route: 'En route', on_scene: 'On scene', handled: 'Handled', verified: 'Verified',
    closed: 'Closed', not_accepted: 'Not accepted', parked: 'Parked',
  },
  action: {
    sign: 'Sign for', return: 'Return', en_route: 'Set off', on_scene: 'On scene',
    handle: 'Handled', verify: 'Verify', comment: 'Comment',
  },
  priority: { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' },
  step: {
    reported: 'Reported', register: 'Registered', reject: 'Not accepted', dispatch: 'Dispatched',
    sign: 'Signed for', return: 'Returned', en_route: 'Set off', on_scene: 'On scene',
    handle: 'Handled', verify: 'Verified', close: 'Closed', rate: 'Rated', escalate: 'Escalated',
    park: 'Parked', unpark: 'Unparked', reopen: 'Reopened', supervise: 'Supervised',
    comment: 'Comment', sla_warning: 'Deadline near', overdue: 'Overdue',
  },
  tasks: {
    empty: 'No tasks', refresh: 'Refresh', open: 'Open', done: 'Done', deadline: 'Due',
    overdue: 'Overdue', pending: 'Pending', detail: 'Task', timeline: 'Timeline',
    note: 'Note', notePlaceholder: 'What was done (required)', photos: 'Photos',
    takePhoto: 'Photo', withLocation: 'Attach my location', returnReason: 'Reason (required)',
    passed: 'Passed', failed: 'Failed', acted: '{action}: done',
    queued: 'Saved; sent when back online', noteRequired: 'A note is required',
    description: 'Description', category: 'Category', address: 'Address', back: 'Back',
    chat: 'Incident chat', newTask: 'New task: {title}',
  },
  report: {
    title: 'Report an incident', category: 'Category', subject: 'Title',
    description: 'Description', priority: 'Priority', location: 'Location',
    locate: 'Use my location', located: 'Located', locating: 'Locating…',
    noLocation: 'No position: reported on your grid', address: 'Address',
    submit: 'Report', done: 'Reported: {number}', queued: 'Saved; reported when back online',
    required: 'Title and category are required', yes: 'Yes', no: 'No',
    need: { category: 'Choose a category', title: 'Enter a title' },
  },
  sos: {
    hold: 'Hold 2 s for SOS', holding: 'Keep holding…',
    sent: 'SOS sent: the command centre is responding',
    queued: 'No network: SOS saved, sent as soon as you are online',
    received: '{name} has taken your SOS', closed: 'SOS closed', active: 'SOS active',
  },
  chat: {
    channels: 'My channels', empty: 'No messages', placeholder: 'Message', send: 'Send',
    photo: 'Photo', members: 'Members', call: 'Call', unread: '{n} unread', back: 'Back',
    system: 'Notice',
  },
  call: {
    incoming: '{name} is calling', accept: 'Accept', decline: 'Decline', hangup: 'Hang up',
    calling: 'Calling {name}…', active: 'In call {time}', ended: 'Call ended', busy: 'Busy',
    missed: 'No answer', declined: 'Declined', failed: 'Call failed',
    pullIncoming: '{name} asks to see your camera', pullAccept: 'Allow', pullActive: 'Sending your camera to {name}', stop: 'Stop',
  },
  me: {
    title: 'Me', duty: 'On duty (share location)',
    dutyHint: 'While on duty your position goes to the command centre (about every 30 s, more often on the move)',
    lastFix: 'Last fix', language: 'Language', logout: 'Sign out', queue: 'Waiting to send',
    queueEmpty: 'Nothing waiting', sendNow: 'Send now', failures: 'Refused',
    dismiss: 'OK', grids: 'My grids', ptt: 'Push to talk',
    pttHint: 'Open your grid channel under Chat and hold “Hold to talk”',
  },
  ptt: {
    join: 'Join push-to-talk', leave: 'Leave', hold: 'Hold to talk', talking: 'Talking… let go to end',
    you: 'You are talking', idle: 'Floor free · {n} listening',
  },
  net: { online: 'Online', offline: 'Offline', connecting: 'Connecting', queued: '{n} waiting' },
  error: { generic: 'Failed' },
}
