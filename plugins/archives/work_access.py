"""Rules of the archive's field work (visits, change proposals, campaigns), on the roles of
access.py and the core's.

- Visits and inspections are recorded by grid workers, leaders and officers over the subject's
  grid; the due list of a person is what their grids (those roles' subtrees) owe.
- Grid workers' edits are proposals; the reviewers are the archive reviewers and officers and
  the village (grid leader) or town (commander) over the record's grid. Nobody reviews their own.
- Campaigns are defined by officers and the command centre over a grid; workers fill them for
  the households of their grids.
"""

from __future__ import annotations

from hub.sdk import Role, Scope, admin_only, for_roles
from plugins.archives.access import OFFICER, READ_ROLES, REVIEW_ROLES

FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, OFFICER})
REVIEWERS = frozenset({*REVIEW_ROLES, Role.GRID_LEADER, Role.COMMANDER})
CAMPAIGN_OWNERS = frozenset({OFFICER, Role.COMMANDER})

SUBJECT = "archives_subject"  # scope: the visited person's or place's grid
CHANGE = "archives_change"  # scope: the changed record's grid
CAMPAIGN = "archives_campaign"  # scope: the campaign's grid (defining), a household's (filling)

VISITS_DUE = for_roles("archives.visits.due", FIELD_ROLES, Scope.LISTED)
VISITS_READ = for_roles("archives.visits.read", READ_ROLES, Scope.LISTED)
VISIT_RECORD = for_roles("archives.visits.record", FIELD_ROLES, SUBJECT)
VISIT_SWEEP = admin_only("archives.visits.sweep")
CHANGE_PROPOSE = for_roles("archives.changes.propose", FIELD_ROLES, CHANGE)
CHANGES_READ = for_roles("archives.changes.read", READ_ROLES, Scope.LISTED)
CHANGE_REVIEW = for_roles("archives.changes.review", REVIEWERS, CHANGE)
CAMPAIGN_DEFINE = for_roles("archives.campaigns.define", CAMPAIGN_OWNERS, Scope.GRID)
CAMPAIGNS_READ = for_roles("archives.campaigns.read", READ_ROLES, Scope.LISTED)
CAMPAIGN_FILL = for_roles("archives.campaigns.fill", FIELD_ROLES, CAMPAIGN)
