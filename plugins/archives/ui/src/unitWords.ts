// Places' and organisations' coded values in words (zh, en): the kinds, risk levels and
// organisation kinds the hub accepts (plugins/archives/schemas.py PlaceKind, RiskLevel, OrgKind).
import { text } from '@gridhub/host'
import type { Choice } from './recordSave'

export const PLACE_KINDS: Choice[] = [
  ['shop', '商铺', 'Shop'], ['enterprise', '企业', 'Enterprise'], ['school', '学校', 'School'],
  ['clinic', '医疗机构', 'Clinic'], ['hazardous', '危化品场所', 'Hazardous goods'],
  ['crowded', '人员密集场所', 'Crowded place'], ['other', '其他', 'Other'],
]
export const RISK_LEVELS: Choice[] = [['low', '低', 'Low'], ['medium', '中', 'Medium'], ['high', '高', 'High']]
export const ORG_KINDS: Choice[] = [
  ['village_committee', '村（居）委会', 'Village committee'], ['social', '社会组织', 'Social organisation'],
  ['property', '物业公司', 'Property company'], ['enterprise_party', '企业党组织', 'Enterprise Party branch'],
  ['other', '其他', 'Other'],
]
export const HOUSEHOLD_KINDS: Choice[] = [['family', '家庭户', 'Family'], ['collective', '集体户', 'Collective']]

/** A coded value in the page's language (the code itself when unknown). */
export function choiceName(choices: Choice[], code: string | null | undefined): string {
  const found = choices.find(([value]) => value === code)
  return found ? text(found[1], found[2]) : (code ?? '')
}
