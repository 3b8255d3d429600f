"""Who may join a channel's group call or PTT, who moderates, and PTT priority by role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.access import COMMAND_ROLES, STAFF_ROLES, Principal, Role, in_scope
from hub.channels import ChannelInfo, ChannelStore
from hub.chat import grid_channel_role
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.grid import GridIndex
from hub.ids import DbId
from storage.models import Channel, ChannelMember

RANKS: dict[str, int] = {Role.ADMIN: 3, Role.COMMANDER: 3, Role.DISPATCHER: 3, Role.GRID_LEADER: 2}
RANKS[Role.GRID_WORKER] = 1
# The ref of an object that owns a channel: its kind and its id ("incident:12").
OWNED_REF = r"^[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_-]{1,64}$"


class ScopeIn(BaseModel):
    """A channel by id, or by the ref of the object that owns it (`<kind>:<id>`, e.g. a
    plugin's channel opened with ctx.channels.for_ref)."""

    channel_id: DbId | None = None
    channel_ref: str | None = Field(None, pattern=OWNED_REF, max_length=128)

    @model_validator(mode="after")
    def _one(self) -> ScopeIn:
        if (self.channel_id is None) == (self.channel_ref is None):
            raise ValueError("give exactly one of `channel_id` and `channel_ref`")
        return self


@dataclass(frozen=True, slots=True)
class Access:
    channel: ChannelInfo
    moderator: bool


def rank(who: Principal) -> int:
    """PTT priority: commanders (and admins, dispatchers) 3 > grid leaders 2 > workers 1."""
    return max((RANKS.get(role, 0) for role in who.roles), default=0)


class Doorman:
    def __init__(
        self,
        channels: ChannelStore,
        sessions: async_sessionmaker[AsyncSession],
        grids: Callable[[], GridIndex],
        staff: frozenset[str] = STAFF_ROLES,
    ) -> None:
        self.channels, self.sessions, self.grids = channels, sessions, grids
        self.staff = staff  # the hub's staff roles: members of grid channels, as in hub.chat

    async def channel(self, scope: ScopeIn) -> ChannelInfo:
        if scope.channel_id is not None:
            found = await self.channels.get(scope.channel_id)
        else:
            found = await self._owned_channel(str(scope.channel_ref))
        if found is None:
            raise NotFound("media.channel_not_found", "no such channel")
        if found.kind == "direct":
            raise InvalidInput("media.direct_channel", "two people talk with a call, not a room")
        return found

    async def admit(self, who: Principal, scope: ScopeIn) -> Access:
        """The channel and the caller's rights; members, or commanders over its grid."""
        channel = await self.channel(scope)
        role = await self._member_role(channel, who)
        over_grid = channel.grid_id is not None and in_scope(
            who, self.grids(), channel.grid_id, COMMAND_ROLES
        )
        if not (who.is_admin or role is not None or over_grid):
            raise Forbidden("media.not_member", "you are not a member of this channel")
        # Moderation needs command over the channel's grid (or owning an ad-hoc channel):
        # being a commander somewhere and a member here is not enough (a village commander
        # is a member of the county's channel, and must not end the county's call).
        moderator = who.is_admin or role == "owner" or over_grid
        return Access(channel, moderator)

    async def _member_role(self, channel: ChannelInfo, who: Principal) -> str | None:
        if channel.kind == "grid" and channel.grid_id is not None:  # staff, by their grants
            member = grid_channel_role(who, self.grids(), channel.grid_id, self.staff) == "member"
            return "member" if member else None
        async with self.sessions() as session:
            row = await session.get(ChannelMember, (channel.id, who.person_id))
            return row.role if row is not None else None

    async def _owned_channel(self, ref: str) -> ChannelInfo | None:
        async with self.sessions() as session:
            channel_id = await session.scalar(select(Channel.id).where(Channel.ref == ref))
        return await self.channels.get(channel_id) if channel_id is not None else None
