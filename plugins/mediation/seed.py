"""Demo data for the demo county (gridhub demo): plausible disputes across its villages, in
every state of the workflow, so the board, the ledger and its KPIs have something to show.

Written straight into the plugin's tables in one transaction (a dozen cases: fast), only while
they are empty; grids are found by code, never by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from hub.sdk import GridIndex, PluginContext, utcnow
from plugins.mediation.levels import committee
from plugins.mediation.models import Article, Case, Expert, Party, Step


@dataclass(frozen=True)
class Demo:
    village: str  # grid code
    type: str
    summary: str
    parties: tuple[str, str]
    state: str
    days_ago: int
    level: str = "village"
    risk: str = "low"
    amount: float | None = None
    agreement: str | None = None
    referral: str | None = None
    place: str = ""


DEMOS = (
    Demo("370783-001-001", "neighbours", "宅基地滴水檐和排水沟走向争执", ("张建国", "李秀兰"),
         "performed", 40, agreement="李秀兰改建滴水檐，排水沟由两户共同疏通", place="东庄村三组"),
    Demo("370783-001-001", "land_contract", "土地流转合同到期后租金未结清", ("王富贵", "赵德明"),
         "agreed", 12, amount=8600, agreement="赵德明于年底前分两次付清租金 8600 元"),
    Demo("370783-001-002", "marriage_family", "老人赡养费分摊引发兄弟矛盾", ("刘长江", "刘长河"),
         "accepted", 5, risk="medium"),
    Demo("370783-001-002", "damages", "散养家禽啄食邻户蔬菜大棚秧苗", ("孙玉梅", "周大成"),
         "pending", 1, amount=600),
    Demo("370783-001-003", "labour_wages", "蔬菜大棚务工人员工资拖欠", ("马晓东", "高建设"),
         "failed", 20, amount=23000),
    Demo("370783-001-004", "labour_wages", "工地拖欠农民工工资，十余人聚集", ("郭志强", "宏达建筑"),
         "accepted", 2, level="town", risk="high", amount=156000),
    Demo("370783-002-001", "property_mgmt", "小区物业费与停车位收费争议", ("崔丽华", "金源物业"),
         "referred", 60, referral="litigation", amount=3200),
    Demo("370783-002-002", "neighbours", "通行道路被邻户堆放柴草阻断", ("韩大山", "宋春生"),
         "performed", 75, agreement="宋春生三日内清理柴草，保持道路畅通", place="河头村东街"),
    Demo("370783-002-003", "land_contract", "承包地边界界桩移位引发争执", ("徐德胜", "杨桂芝"),
         "agreed", 30, level="town", agreement="由镇自然资源所重新测定界桩，双方认可"),
    Demo("370783-003-001", "marriage_family", "离婚后子女抚养费支付纠纷", ("于海燕", "吴建军"),
         "performed", 90, amount=12000, agreement="吴建军每月支付抚养费 1000 元"),
    Demo("370783-003-002", "damages", "农用车倒车撞坏院墙", ("袁立新", "丁志刚"),
         "pending", 0, amount=2500),
    Demo("370783-003-003", "neighbours", "广场舞噪音扰民", ("陈淑芬", "大营村文艺队"),
         "agreed", 8, agreement="文艺队活动时间改为 19:00-20:30，音量调低"),
)  # fmt: skip
CLOSED = {"performed", "referred"}


async def seed(ctx: PluginContext) -> int:
    """The demo cases, once (an empty table); how many were written."""
    index = ctx.grids.index
    async with ctx.sessions.begin() as session:
        if await session.scalar(select(Case.id).limit(1)) is not None:
            return 0
        now = utcnow()
        written = 0
        for number, demo in enumerate(DEMOS, 1):
            node = index.find_code(demo.village)
            if node is None:
                continue
            case = _case(demo, node.id, index, now, number)
            session.add(case)
            await session.flush()
            session.add_all(_parties(case.id, demo, ctx))
            session.add(_opened(case))
            written += 1
        session.add_all(_pool(ctx, now))
        session.add_all(_articles(ctx, now))
    return written


# The expert pool and 普法 articles of the demo county: (grid code, ...).
EXPERTS = (
    ("370783-001", "周明远", "寿光某律师事务所律师", ["law", "labour_wages"]),
    ("370783", "高秀琴", "市人民法院退休法官", ["law", "marriage_family", "land_contract"]),
    ("370783", "郑晓光", "国家二级心理咨询师", ["psychology", "marriage_family"]),
)
ARTICLES = (
    ("370783", "农民工工资被拖欠怎么办", "一、先与用人单位协商，保留考勤、工资条等证据。\n"
     "二、协商不成可向村（社区）调委会申请调解，或拨打 12333 向人社部门投诉。\n"
     "三、也可向劳动人事争议仲裁委员会申请仲裁，仲裁不收费。"),
    ("370783-001", "宅基地纠纷调解须知", "宅基地使用权以不动产权证书和村集体审批记录为准。"
     "邻里之间因滴水、通行、排水发生争执，可先到村调委会申请调解，达成的调解协议具有法律约束力。"),
)  # fmt: skip


def _pool(ctx: PluginContext, now: datetime) -> list[Expert]:
    index = ctx.grids.index
    return [
        Expert(grid_id=node.id, name=name, title=title, specialties=specialties,
               phone=ctx.personal.seal(""), active=True, created_at=now, updated_at=now, version=1)
        for code, name, title, specialties in EXPERTS
        if (node := index.find_code(code)) is not None
    ]  # fmt: skip


def _articles(ctx: PluginContext, now: datetime) -> list[Article]:
    index = ctx.grids.index
    return [
        Article(grid_id=node.id, title=title, body=body, state="published", created_by=None,
                author_name="demo", created_at=now, updated_at=now, published_at=now, version=1)
        for code, title, body in ARTICLES
        if (node := index.find_code(code)) is not None
    ]  # fmt: skip


def _case(demo: Demo, grid_id: int, index: GridIndex, now: datetime, number: int) -> Case:
    created = now - timedelta(days=demo.days_ago, hours=3)
    level, level_grid = committee(index, grid_id, demo.level)
    agreed = demo.agreement is not None
    return Case(
        number=f"TJ{created:%Y%m%d}{number:05d}",
        grid_id=grid_id,
        level=level,
        level_grid_id=level_grid,
        type=demo.type,
        summary=demo.summary,
        place=demo.place,
        amount_cents=None if demo.amount is None else round(demo.amount * 100),
        risk=demo.risk,
        repeat=False,
        state=demo.state,
        source="office",
        mediator_ids=[],
        agreement=demo.agreement,
        resolved_level=level if agreed else None,
        performance=("performed" if demo.state == "performed" else "pending") if agreed else None,
        judicial_confirmation=demo.amount is not None and agreed,
        referral=demo.referral,
        outcome_note="",
        created_at=created,
        updated_at=created,
        closed_at=created + timedelta(days=min(demo.days_ago, 9)) if demo.state in CLOSED else None,
        version=1,
    )


def _parties(case_id: int, demo: Demo, ctx: PluginContext) -> list[Party]:
    sides = ("applicant", "respondent")
    return [
        Party(case_id=case_id, name=name, side=side, phone=ctx.personal.seal(""), address="",
              person_ref="")
        for name, side in zip(demo.parties, sides, strict=True)
    ]  # fmt: skip


def _opened(case: Case) -> Step:
    return Step(
        case_id=case.id,
        action="opened",
        actor_id=None,
        actor_name="demo",
        details={"source": "office", "risk": case.risk, "linked": []},
        version=case.version,
        at=case.created_at,
    )
