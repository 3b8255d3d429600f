export const zh = {
  report: { yes: '是', no: '否' },
  page: {
    title: '群众诉求', subtitle: '随手拍 · 有诉必应', submit: '我要反映', track: '进度查询',
    footer: '您的联系方式仅用于回访，不会公开',
  },
  form: {
    category: '问题类别', categoryHint: '请选择', title: '问题概述', titleHint: '例如：村口路灯不亮',
    description: '详细情况', location: '问题位置', locate: '定位到当前位置', locating: '定位中…',
    located: '已定位', noLocation: '无法定位时，请填写地址', address: '详细地址',
    photos: '现场照片（最多3张）', addPhoto: '拍照/选图', name: '您的称呼', phone: '联系电话',
    submit: '提交', required: '请填写类别、概述、称呼，并定位或填写地址', yes: '是', no: '否',
    need: { category: '请选择类别', title: '请填写概述', place: '请定位或填写地址', name: '请填写称呼' },
    invalid: '提交未成功', limited: '提交过于频繁，请稍后再试',
    publish: '同意公开（仅公开类别、状态和大致位置）',
  },
  done: {
    title: '提交成功', code: '查询码', number: '受理编号', hint: '请保存查询码，用于查询办理进度和评价',
    copy: '复制查询码', copied: '已复制', trackNow: '查看进度', again: '再反映一件',
    publicId: '公开编号', publicHint: '已公开：他人可按此编号查看类别、状态和大致位置',
  },
  track: {
    code: '查询码', codeHint: '10 位查询码', search: '查询', notFound: '未找到该诉求，请核对查询码', codeMissing: '请输入查询码',
    state: '当前状态', steps: '办理进度', photos: '照片', mine: '我提交过的诉求', rate: '评价办理结果',
    rateSubmit: '提交评价', rated: '感谢您的评价', comment: '意见建议（选填）', yourRating: '您的评价',
    open: '办理中', closed: '已办结',
  },
  state: {
    reported: '已提交，待受理', registered: '已受理', dispatched: '已派遣', signed: '已签收',
    en_route: '工作人员前往中', on_scene: '工作人员已到场', handled: '已处置', verified: '已核查',
    closed: '已办结', not_accepted: '不予受理', parked: '挂账办理',
  },
}

export const en: typeof zh = {
  report: { yes: 'Yes', no: 'No' },
  page: {
    title: 'Residents\u2019 appeals', subtitle: 'Snap it, report it, we respond', submit: 'Report a problem',
    track: 'Track', footer: 'Your contact details are only used to call you back and are never shown',
  },
  form: {
    category: 'Category', categoryHint: 'Choose', title: 'Summary', titleHint: 'e.g. street light out at the village gate',
    description: 'Details', location: 'Where', locate: 'Use my location', locating: 'Locating…',
    located: 'Located', noLocation: 'No position? Give the address instead', address: 'Address',
    photos: 'Photos (up to 3)', addPhoto: 'Add photo', name: 'Your name', phone: 'Phone',
    submit: 'Submit', required: 'Category, summary, your name and a location or address are needed',
    need: { category: 'Choose a category', title: 'Enter a summary', place: 'Locate or enter an address', name: 'Enter your name' },
    yes: 'Yes', no: 'No', invalid: 'Not submitted', limited: 'Too many submissions: please try later',
    publish: 'Publish this report (category, status and rough place only)',
  },
  done: {
    title: 'Submitted', code: 'Tracking code', number: 'Case number',
    hint: 'Keep the tracking code to follow progress and rate the handling',
    copy: 'Copy code', copied: 'Copied', trackNow: 'Track progress', again: 'Report another',
    publicId: 'Public id',
    publicHint: 'Published: anyone can see its category, status and rough place under this id',
  },
  track: {
    code: 'Tracking code', codeHint: '10 characters', search: 'Track',
    notFound: 'No appeal with this code: please check it', codeMissing: 'Enter your tracking code', state: 'Status', steps: 'Progress',
    photos: 'Photos', mine: 'My appeals', rate: 'Rate the handling', rateSubmit: 'Send rating',
    rated: 'Thank you for your rating', comment: 'Comment (optional)', yourRating: 'Your rating',
    open: 'In progress', closed: 'Done',
  },
  state: {
    reported: 'Submitted', registered: 'Accepted', dispatched: 'Assigned', signed: 'Taken on',
    en_route: 'Staff on the way', on_scene: 'Staff on site', handled: 'Handled', verified: 'Checked',
    closed: 'Closed', not_accepted: 'Not accepted', parked: 'Pending',
  },
}
