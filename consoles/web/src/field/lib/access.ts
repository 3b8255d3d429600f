// What the signed-in person may use of the field app's own parts, gated the way plugin tabs are
// (FieldTab.roles in hub/ui.py: holders of one of the roles, admins always). The role sets mirror
// the hub's rules, so nobody is shown a tab whose requests the hub would refuse with a 403:
// dispatch's incident list and filing (plugins/dispatch/access.py) are the core grid roles',
// SOS and timed check-ins (plugins/escalation/sockets.py) those in the field (no dispatcher).
// Someone holding only a plugin's role (a mediator, a party member) gets 消息, 我的 and their
// plugin tabs.
import type { Me } from '@/shared/types'

export type Use = 'tasks' | 'report' | 'sos' | 'checkin'

const GRID_ROLES = ['commander', 'dispatcher', 'grid_leader', 'grid_worker']
const FIELD_ROLES = ['commander', 'grid_leader', 'grid_worker']
const NEEDS: Record<Use, readonly string[]> = {
  tasks: GRID_ROLES,
  report: GRID_ROLES,
  sos: FIELD_ROLES,
  checkin: FIELD_ROLES,
}

/** May `me` use this part of the field app? */
export function may(me: Me | null, use: Use): boolean {
  if (!me) return false
  return me.is_admin || me.roles.some((g) => NEEDS[use].includes(g.role))
}

/** The built-in tabs, in the tab bar's order. */
export const BUILTIN_TABS = ['tasks', 'report', 'chat', 'me'] as const
export type BuiltinTab = (typeof BUILTIN_TABS)[number]

/** The built-in tabs `me` may open (消息 and 我的 are everyone's). */
export function builtinTabs(me: Me | null): BuiltinTab[] {
  return BUILTIN_TABS.filter((tab) => (tab === 'tasks' || tab === 'report' ? may(me, tab) : true))
}
