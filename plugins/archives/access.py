"""Who may do what in the archive: the plugin's roles, one rule per action, and the scope checks.

- Reading (lists, cards, the map layers) is for grid staff and the archive's own roles, over the
  grids of their roles' subtrees: a grid worker sees the rows of their grids only.
- Records are masked (ID number, phone) for everyone; the unmasked record is for `REVEAL_ROLES`
  over the record's grid, and every reveal is written to the audit log (who saw whom).
- Writing directly (create/update, tags on a person, import) is for the archive officer, grid
  leaders and the command centre over the record's grid. A grid worker's edits are change
  proposals (changes.py) that a reviewer (`archives_reviewer`, or an officer) approves.
- Which key-group tag a person may see is the tag's `visible_roles` (configurable per tag by
  the officer or admin); admins see all.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.sdk import (
    COMMAND_ROLES,
    STAFF_ROLES,
    Forbidden,
    GridIndex,
    Principal,
    Role,
    RoleSpec,
    Scope,
    for_roles,
    in_scope,
)

OFFICER = "archives_officer"
REVIEWER = "archives_reviewer"

OFFICER_ROLE = RoleSpec(
    name=OFFICER,
    title_zh="档案管理员",
    title_en="Archive officer",
    description_zh="维护所辖网格的辖区档案：人口、房屋、单位、组织、重点人群，导入导出",
    description_en="Keeps the archive of their grids: people, houses, places, organisations, "
    "key groups; imports and exports",
)
REVIEWER_ROLE = RoleSpec(
    name=REVIEWER,
    title_zh="档案审核员",
    title_en="Archive reviewer",
    description_zh="审核网格员提交的信息变更",
    description_en="Reviews the changes grid workers propose to the archive",
)
ROLES = (OFFICER_ROLE, REVIEWER_ROLE)

READ_ROLES = frozenset({*STAFF_ROLES, OFFICER, REVIEWER})
WRITE_ROLES = frozenset({OFFICER, Role.GRID_LEADER, *COMMAND_ROLES})
REVEAL_ROLES = frozenset({OFFICER, Role.GRID_LEADER, Role.COMMANDER})
BULK_ROLES = frozenset({OFFICER, Role.COMMANDER})  # import and export whole grids
REVIEW_ROLES = frozenset({REVIEWER, OFFICER})

# Default visibility of key-group tags: care tags to all staff (workers visit those people);
# control tags (correction, released, mental disorder, drugs) to leaders, command and officers.
CARE_VISIBLE = sorted({*READ_ROLES})
CONTROL_VISIBLE = sorted({OFFICER, REVIEWER, Role.GRID_LEADER, Role.COMMANDER})

RECORD = "archives_record"  # scope: the record's grid lies in the caller's subtree

READ = for_roles("archives.read", READ_ROLES, Scope.LISTED)
READ_ONE = for_roles("archives.record.read", READ_ROLES, RECORD)
REVEAL = for_roles("archives.record.reveal", REVEAL_ROLES, RECORD)
WRITE = for_roles("archives.record.write", WRITE_ROLES, Scope.GRID)
IMPORT = for_roles("archives.import", BULK_ROLES, Scope.GRID)
EXPORT = for_roles("archives.export", BULK_ROLES, Scope.GRID)
TAGS_READ = for_roles("archives.tags.read", READ_ROLES, Scope.NONE)
TAGS_EDIT = for_roles("archives.tags.edit", frozenset({OFFICER}), Scope.NONE)


def scope_ids(who: Principal, index: GridIndex, roles: Iterable[str]) -> set[int] | None:
    """The grid ids `who` reaches through `roles` (their subtrees); None: all (an admin)."""
    if who.is_admin:
        return None
    return index.scope_ids(who.grid_ids(roles))


def may(who: Principal, index: GridIndex, grid_id: int, roles: Iterable[str]) -> bool:
    return in_scope(who, index, grid_id, roles)


def require(who: Principal, index: GridIndex, grid_id: int, roles: Iterable[str]) -> None:
    """403 `archives.out_of_scope` unless `who` holds one of `roles` over `grid_id`."""
    if not may(who, index, grid_id, roles):
        raise Forbidden("archives.out_of_scope", "this record is outside your grids")


def visible_tags(who: Principal, index: GridIndex, tags: dict[str, list[str]], grid_id: int
                 ) -> set[str]:  # fmt: skip
    """The codes of the tags (code → visible roles) `who` may see on a record of `grid_id`."""
    return {code for code, roles in tags.items() if may(who, index, grid_id, roles)}
