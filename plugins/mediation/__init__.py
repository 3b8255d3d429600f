"""矛盾纠纷多元化解 (dispute mediation): cases from dispatch incidents and mediation offices,
worked by the village → town → county committees, with agreements, risk alerts and a ledger.

See docs/mediation.md.
"""

from __future__ import annotations

from pathlib import Path

from hub.sdk import (
    BasePlugin,
    ConsolePage,
    FieldTab,
    PluginContext,
    PluginUi,
    ResidentSection,
    ScreenPanel,
)
from plugins.mediation import api, articles_api, legal_api, maplayer
from plugins.mediation.access import (
    LEDGER_ROLES,
    LEGAL_ADVISER_ROLE,
    MEDIATOR_ROLE,
    READERS,
    WORKERS,
)
from plugins.mediation.articles import Articles
from plugins.mediation.cases import Cases
from plugins.mediation.config import MediationConfig
from plugins.mediation.effects import FOLLOW_UP_KIND, RISK_KIND, Effects
from plugins.mediation.legal import DUE_KIND, Questions
from plugins.mediation.people import ArchivesPeople
from plugins.mediation.residents import ResidentCases
from plugins.mediation.seed import seed
from plugins.mediation.session_calls import SessionCalls

HERE = Path(__file__).parent

# The case board and drawer, the console's 矛盾调解 tab; built from ui/ into static/ by
# scripts/setup like every plugin's bundle (docs/plugins.md).
UI = PluginUi(
    pages=(
        ConsolePage(
            id="cases",
            title_zh="矛盾调解",
            title_en="Mediation",
            roles=READERS,
            order=35,
            path="cases",
            module="mediation.js",
            export="MediationPage",
        ),
    ),
    map_layers=maplayer.LAYERS,
    # The phone: a mediator's own cases, a session recorded where it was held, photos of the
    # signed papers.
    field_tabs=(
        FieldTab(
            id="cases",
            title_zh="调解",
            title_en="Mediation",
            roles=WORKERS,
            order=50,
            module="mediation.js",
            export="FieldCases",
        ),
        FieldTab(
            id="articles",
            title_zh="普法",
            title_en="Legal education",
            order=51,
            module="mediation.js",
            export="FieldArticles",
        ),
    ),
    screen_panels=(
        ScreenPanel(
            id="mediation",
            title_zh="矛盾纠纷化解",
            title_en="Dispute mediation",
            roles=LEDGER_ROLES,
            order=50,
            module="mediation.js",
            export="MediationPanel",
        ),
    ),
    resident_sections=(
        ResidentSection(
            id="legal",
            title_zh="法律咨询",
            title_en="Legal advice",
            order=40,
            module="mediation.js",
            export="ResidentLegal",
        ),
        ResidentSection(
            id="apply",
            title_zh="申请调解",
            title_en="Apply for mediation",
            order=41,
            module="mediation.js",
            export="ResidentMediation",
        ),
        ResidentSection(
            id="articles",
            title_zh="普法宣传",
            title_en="Legal education",
            order=42,
            module="mediation.js",
            export="ResidentArticles",
        ),
    ),
    styles=("mediation.css",),
)


class MediationPlugin(BasePlugin):
    name = "mediation"
    # Dispute incidents become cases when dispatch runs; high-risk cases ask escalation for a
    # chain (plugins.<name>.messages only).
    optional = ("dispatch", "escalation", "archives")
    config_model = MediationConfig
    migrations = HERE / "migrations"
    roles = (MEDIATOR_ROLE, LEGAL_ADVISER_ROLE)
    ui = UI
    static = HERE / "static"

    async def setup(self, ctx: PluginContext) -> None:
        config = ctx.config if isinstance(ctx.config, MediationConfig) else MediationConfig()
        effects = Effects(ctx, config)
        people = ArchivesPeople(ctx)
        await people.start()
        await people.follow()  # linked parties follow the archive's changes
        cases = Cases(ctx, config, effects, people)
        ctx.timers.handler(RISK_KIND)(effects.on_risk_due)
        ctx.timers.handler(FOLLOW_UP_KIND)(effects.on_follow_up_due)
        api.install(ctx, cases, config)
        maplayer.install(ctx, cases)
        calls = SessionCalls(ctx, cases)  # sessions held online: recorded group calls
        calls.install()
        await calls.subscribe()
        questions = Questions(ctx, config)
        ctx.timers.handler(DUE_KIND)(questions.on_due)
        legal_api.install(ctx, questions, ResidentCases(ctx, config, cases))
        articles_api.install(ctx, Articles(ctx))
        if ctx.has_plugin("escalation"):
            from plugins.mediation.escalate import follow  # imports escalation's messages

            await follow(ctx, effects.on_chain_step)
        if ctx.has_plugin("dispatch"):
            from plugins.mediation.bridge import IncidentIntake  # imports dispatch's messages

            await IncidentIntake(ctx, config, cases).subscribe()

    async def seed_demo(self, ctx: PluginContext) -> None:
        if written := await seed(ctx):
            ctx.log.info("seeded %d demo mediation cases", written)
