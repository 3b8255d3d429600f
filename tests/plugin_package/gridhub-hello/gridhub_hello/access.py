"""Who may do what in the plugin: its own role, and one rule per action (HTTP and socket alike)."""

from __future__ import annotations

from hub.sdk import RoleSpec, Scope, for_roles

KEEPER = "hello_keeper"
KEEPERS = frozenset({KEEPER})

# Declared by the plugin: listed in the admin UI and assignable per grid like a core role.
KEEPER_ROLE = RoleSpec(
    name=KEEPER,
    title_zh="问候管理员",
    title_en="Greeting keeper",
    description_zh="在所辖网格发布和查看村口公告",
    description_en="Posts and reads village-entrance notices in their grids",
)

READ = for_roles("hello.greetings.read", KEEPERS, Scope.LISTED)
POST = for_roles("hello.greetings.post", KEEPERS, Scope.GRID)
STATS = for_roles("hello.stats", KEEPERS, Scope.LISTED)
