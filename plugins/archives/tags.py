"""The key-group catalogue (重点人群): default tags, listing, and the officer's edits (names,
care level, visit interval, and which roles may see that a person carries the tag)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.sdk import Actor, InvalidInput, Principal
from plugins.archives import access
from plugins.archives.models import Tag
from plugins.archives.schemas import TagIn
from plugins.archives.shared import Env

CARE, CONTROL = access.CARE_VISIBLE, access.CONTROL_VISIBLE
# code, zh, en, care level (1 watch .. 3 close care), visit interval (days), visible roles
DEFAULT_TAGS: tuple[tuple[str, str, str, int, int, list[str]], ...] = (
    ("elderly_alone", "独居老人", "Elderly living alone", 2, 7, CARE),
    ("left_behind_child", "留守儿童", "Left-behind child", 2, 14, CARE),
    ("disabled", "残疾人", "Person with a disability", 2, 30, CARE),
    ("low_income", "低保户", "Low-income household", 1, 30, CARE),
    ("veteran", "退役军人", "Veteran", 1, 90, CARE),
    ("community_correction", "社区矫正人员", "Under community correction", 3, 7, CONTROL),
    ("released_prisoner", "刑满释放人员", "Released prisoner", 2, 30, CONTROL),
    ("severe_mental", "严重精神障碍患者", "Severe mental disorder", 3, 14, CONTROL),
    ("drug_user", "社区戒毒人员", "In community drug rehabilitation", 3, 14, CONTROL),
)


async def seed_defaults(env: Env) -> int:
    """Add the default tags missing from the catalogue (idempotent; edits are kept)."""
    async with env.ctx.sessions.begin() as session:
        have = set(await session.scalars(select(Tag.code)))
        added = [
            Tag(code=code, name_zh=zh, name_en=en, care_level=care, visit_interval_days=days,
                visible_roles=list(roles), active=True)
            for code, zh, en, care, days, roles in DEFAULT_TAGS if code not in have
        ]  # fmt: skip
        session.add_all(added)
    return len(added)


def tag_out(tag: Tag) -> dict[str, Any]:
    return {"code": tag.code, "name_zh": tag.name_zh, "name_en": tag.name_en,
            "care_level": tag.care_level, "visit_interval_days": tag.visit_interval_days,
            "visible_roles": tag.visible_roles, "active": tag.active}  # fmt: skip


async def listing(env: Env, who: Principal) -> list[dict[str, Any]]:
    """The catalogue, each tag saying whether the caller may see it anywhere in their grids."""
    async with env.ctx.sessions() as session:
        tags = list(await session.scalars(select(Tag).order_by(Tag.care_level.desc(), Tag.code)))
    held = who.roles
    return [{**tag_out(t), "visible": who.is_admin or bool(held & set(t.visible_roles))}
            for t in tags]  # fmt: skip


async def put(env: Env, who: Principal, body: TagIn, known_roles: set[str]) -> dict[str, Any]:
    """Create or change a tag (officers and admins; the catalogue is the deployment's)."""
    if unknown := sorted(set(body.visible_roles) - known_roles):
        raise InvalidInput("archives.role_unknown", f"unknown roles: {', '.join(unknown)}",
                           details={"field": "visible_roles", "roles": unknown})  # fmt: skip
    async with env.ctx.sessions.begin() as session:
        tag = await session.get(Tag, body.code)
        if tag is None:
            tag = Tag(code=body.code)
            session.add(tag)
        for name, value in body.model_dump(exclude={"code"}).items():
            setattr(tag, name, sorted(set(value)) if name == "visible_roles" else value)
        env.ctx.audit.record(session, Actor.of(who), "archives.tag.put", "archives_tag",
                             body.code, body.model_dump())  # fmt: skip
        return tag_out(tag)
