// The field work's error codes in words (zh, en), for showError (registerErrorNames).
import { registerErrorNames } from '@gridhub/host'

export function nameWorkErrors(): void {
  registerErrorNames({
    'archives.out_of_scope': ['不在您负责的网格内', 'This is outside your grids'],
    'archives.subject_not_found': ['走访对象不存在', 'No such person or place'],
    'archives.visit_time': ['走访时间须在最近30天内', 'A visit is from the last 30 days'],
    'archives.visit_client_id': ['走访记录编号冲突', 'This visit id belongs to another visit'],
    'archives.visit_not_found': ['走访记录不存在', 'No such visit'],
    'archives.visit_not_yours': ['只能为自己的走访添加照片', 'Only the visitor adds photos'],
    'archives.photo_form': ['照片格式不正确', 'Photos must be images'],
    'archives.photo_type': ['照片须为 JPEG、PNG 或 WebP', 'Photos are JPEG, PNG or WebP'],
    'archives.photo_too_large': ['照片不能超过 5 MB', 'A photo may be at most 5 MB'],
    'archives.too_many_photos': ['照片最多 4 张', 'At most 4 photos'],
    'archives.photo_missing': ['请选择照片', 'Choose a photo'],
    'archives.record_not_found': ['档案记录不存在', 'No such record'],
    'archives.change_stale': ['档案已被修改，请刷新后重新提交', 'The record changed; reload and try again'],
    'archives.change_decided': ['该变更已审核', 'This change was already reviewed'],
    'archives.change_own': ['不能审核自己提交的变更', 'A change is reviewed by someone else'],
    'archives.change_not_found': ['变更申请不存在', 'No such change'],
    'archives.record_type': ['档案类型不正确', 'Records are people or houses'],
    'archives.campaign_not_found': ['专项采集不存在', 'No such campaign'],
    'archives.campaign_closed': ['专项采集已截止', 'This campaign is closed'],
    'archives.campaign_target': ['采集范围超出本级网格', 'Target grids lie outside the campaign'],
    'archives.campaign_deadline': ['截止时间已过', 'The deadline is in the past'],
    'archives.campaign_not_target': ['该户不在采集范围内', 'This household is not a target'],
    'archives.campaign_unknown_field': ['表单中没有该项', 'Unknown field'],
    'archives.campaign_field_required': ['请填写必填项', 'A required field is empty'],
    'archives.campaign_field_invalid': ['填写内容不符合要求', 'A value is not valid'],
    'archives.household_not_found': ['该户不存在', 'No such household'],
  })
}
