"""The GridHub plugin SDK: the one module a plugin imports from GridHub.

This module is the stable contract between GridHub and its plugins. Everything listed in
`__all__` keeps its name and meaning across releases (a change is announced and deprecated
first); everything else in hub/, storage/, signaling/ and media/ is internal and may change
without notice. A plugin that needs something not exported here asks for it to be added, it
does not reach around the SDK. Another plugin's code is imported only through that plugin's
declared public message module (e.g. `plugins.dispatch.messages`), and only if it is listed in
`requires` or `optional`.

What a plugin does at run time goes through its `PluginContext` (HTTP routes, socket events,
the bus, timers, channels, audit, people and grid look-ups, periodic jobs); the names below are
the types, errors, rules and helpers it needs to write those. A plugin's tests use
`hub.testing` (a running hub, signed-in HTTP and socket clients), under the same promise.
"""

from __future__ import annotations

from hub.access import (
    COMMAND_ROLES,
    STAFF_ROLES,
    Grant,
    Principal,
    Role,
    in_scope,
    require_admin,
    require_role,
    require_scope,
)
from hub.audit import SYSTEM, Actor
from hub.bulk_insert import BulkInsert
from hub.channels import ChannelInfo
from hub.decoding import DecodeError, Limits, decode_json, decode_msgpack, parse_json_body
from hub.errors import (
    Conflict,
    Forbidden,
    HubError,
    InvalidInput,
    NotFound,
    TooManyRequests,
    invalid_from_pydantic,
)
from hub.exports import EXPORT_PRODUCES, ExportFormat, stream_table
from hub.files import SNIFF_BYTES, sniff
from hub.grid import GridIndex, GridNode
from hub.ids import BigDbId, DbId, parse_id
from hub.messages import (
    ChannelMembersChanged,
    ChannelRecording,
    DomainMessage,
    GridTreeChanged,
    PersonChanged,
    SessionRevoked,
)
from hub.netaddr import client_address
from hub.people import PersonView
from hub.personal import PersonalBox, mask_personal
from hub.plugin_devices import DeviceRecord, DevicesView
from hub.plugin_views import AuditView, ChannelsView, DirectoryView, RealtimeView
from hub.plugins import BasePlugin, Health, Plugin, PluginContext, PluginError
from hub.policy import Audience, Rule, Scope, admin_only, for_roles, public, signed_in
from hub.presence import Snapshot, State
from hub.ratelimit import RateLimit, RateLimited, RateLimits
from hub.realtime import Connection
from hub.roles import RoleSpec
from hub.subjects import SubjectInfo
from hub.timers import DueTimer, TimerView
from hub.ui import (
    ConsolePage,
    DrawerCard,
    FieldTab,
    MapLayer,
    PageSection,
    PluginUi,
    ResidentSection,
    ScreenPanel,
)
from hub.web import Call, Router
from storage.appends import Appends, append_row, settle_rows
from storage.batch_writer import sqlite_connect
from storage.sql import Base, UTCDateTime, utcnow

__all__ = [
    "COMMAND_ROLES",
    "EXPORT_PRODUCES",
    "SNIFF_BYTES",
    "STAFF_ROLES",
    "SYSTEM",
    "Actor",
    "Appends",
    "Audience",
    "AuditView",
    "Base",
    "BasePlugin",
    "BigDbId",
    "BulkInsert",
    "Call",
    "ChannelInfo",
    "ChannelMembersChanged",
    "ChannelRecording",
    "ChannelsView",
    "Conflict",
    "Connection",
    "ConsolePage",
    "DbId",
    "DecodeError",
    "DeviceRecord",
    "DevicesView",
    "DirectoryView",
    "DomainMessage",
    "DrawerCard",
    "DueTimer",
    "ExportFormat",
    "FieldTab",
    "Forbidden",
    "Grant",
    "GridIndex",
    "GridNode",
    "GridTreeChanged",
    "Health",
    "HubError",
    "InvalidInput",
    "Limits",
    "MapLayer",
    "NotFound",
    "PageSection",
    "PersonChanged",
    "PersonView",
    "PersonalBox",
    "Plugin",
    "PluginContext",
    "PluginError",
    "PluginUi",
    "Principal",
    "RateLimit",
    "RateLimited",
    "RateLimits",
    "RealtimeView",
    "ResidentSection",
    "Role",
    "RoleSpec",
    "Router",
    "Rule",
    "Scope",
    "ScreenPanel",
    "SessionRevoked",
    "Snapshot",
    "State",
    "SubjectInfo",
    "TimerView",
    "TooManyRequests",
    "UTCDateTime",
    "admin_only",
    "append_row",
    "client_address",
    "decode_json",
    "decode_msgpack",
    "for_roles",
    "in_scope",
    "invalid_from_pydantic",
    "mask_personal",
    "parse_id",
    "parse_json_body",
    "public",
    "require_admin",
    "require_role",
    "require_scope",
    "settle_rows",
    "signed_in",
    "sniff",
    "sqlite_connect",
    "stream_table",
    "utcnow",
]
