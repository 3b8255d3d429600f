"""The mediation agreement (人民调解协议书) as a Chinese PDF, drawn with fpdf2 and Debian's
WenQuanYi Zen Hei font (package fonts-wqy-zenhei, installed by scripts/setup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF

from hub.sdk import NotFound

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
SIDES = {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"}
TYPES = {
    "marriage_family": "婚姻家庭纠纷",
    "neighbours": "邻里纠纷",
    "land_contract": "土地承包纠纷",
    "labour_wages": "劳资纠纷",
    "damages": "损害赔偿纠纷",
    "property_mgmt": "物业纠纷",
    "other": "其他纠纷",
}


def render(case: dict[str, Any], committee_name: str, date: str) -> bytes:
    """The agreement of a case that reached one (the case's detail dict)."""
    if not case.get("agreement"):
        raise NotFound("mediation.no_agreement", f"case {case['number']} has no agreement")
    if not FONT.is_file():
        raise NotFound("mediation.font_missing", f"the CJK font {FONT} is not installed")
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.add_font("wqy", fname=str(FONT))
    pdf.set_font("wqy", size=20)
    pdf.cell(0, 14, "人民调解协议书", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("wqy", size=11)
    pdf.cell(0, 8, f"编号：{case['number']}", align="R", new_x="LMARGIN", new_y="NEXT")
    _lines(pdf, _body(case, committee_name, date))
    return bytes(pdf.output())


def _body(case: dict[str, Any], committee_name: str, date: str) -> list[str]:
    parties = [
        f"{SIDES.get(p['side'], '当事人')}：{p['name']}"
        + (f"，住址：{p['address']}" if p["address"] else "")
        for p in case["parties"]
    ]
    amount = case.get("amount_yuan")
    return [
        *parties,
        f"纠纷类型：{TYPES.get(case['type'], case['type'])}"
        + (f"，涉及金额：{amount:.2f} 元" if amount is not None else ""),
        "",
        "纠纷主要事实、争议事项：",
        case["summary"],
        "",
        "经调解，自愿达成如下协议：",
        case["agreement"],
        "",
        "履行方式、时限：按上述协议约定履行。本协议经各方当事人签名或盖章、调解员签名并加盖"
        "人民调解委员会印章后生效。",
        "本协议一式三份，当事人各执一份，人民调解委员会留存一份。",
        f"司法确认：{'申请' if case['judicial_confirmation'] else '未申请'}",
        "",
        *[f"{p['name']}（签名）：" for p in case["parties"]],
        "调解员（签名）：",
        f"{committee_name}人民调解委员会（印章）",
        date,
    ]


def _lines(pdf: FPDF, lines: list[str]) -> None:
    for line in lines:
        pdf.multi_cell(0, 8, line or " ", new_x="LMARGIN", new_y="NEXT")
