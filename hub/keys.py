"""Typed application keys for the hub's shared components."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.bus import MessageBus
from hub.channels import ChannelStore
from hub.chat import Chat
from hub.contracts import PresenceStore
from hub.devices import Devices
from hub.files import FileStore
from hub.gridstore import GridStore
from hub.identity import Identity
from hub.live import Live
from hub.people import People
from hub.plugins import PluginHost
from hub.realtime import Realtime
from hub.roles import RoleCatalogue
from hub.settings import Settings
from hub.timers import TimerService

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("sessions")
BUS = web.AppKey("bus", MessageBus)
GRIDS = web.AppKey("grids", GridStore)
IDENTITY = web.AppKey("identity", Identity)
PEOPLE = web.AppKey("people", People)
DEVICES = web.AppKey("devices", Devices)
PLUGINS = web.AppKey("plugins", PluginHost)
ROLES = web.AppKey("roles", RoleCatalogue)  # core roles and the enabled plugins' (hub/roles.py)
METRICS = web.AppKey("metrics", CollectorRegistry)
REALTIME = web.AppKey("realtime", Realtime)
LIVE = web.AppKey("live", Live)
CHANNELS = web.AppKey("channels", ChannelStore)
CHAT = web.AppKey("chat", Chat)
FILES = web.AppKey("files", FileStore)
NODE_ID = web.AppKey("node_id", str)
PRESENCE: web.AppKey[PresenceStore] = web.AppKey("presence")
TIMERS = web.AppKey("timers", TimerService)
