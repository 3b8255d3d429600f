"""Roles of the services plugin and one rule per action (HTTP and sockets alike)."""

from __future__ import annotations

from hub.sdk import Role, RoleSpec, Scope, admin_only, for_roles, public

OFFICER = "services_officer"
PROVIDER = "services_provider"

OFFICER_ROLE = RoleSpec(
    name=OFFICER,
    title_zh="便民服务专员",
    title_en="Services officer",
    description_zh="管理文化活动场地、审批预约、受理帮代办和为老服务",
    description_en="Runs venues, approves bookings, handles proxy requests and elderly care",
)
PROVIDER_ROLE = RoleSpec(
    name=PROVIDER,
    title_zh="为老服务机构",
    title_en="Elderly-care provider",
    staff=False,
    description_zh="发布为老服务项目，确认预约并登记服务完成",
    description_en="Offers elderly-care services, confirms bookings and records delivery",
)

# Village officers: the plugin's own role and the core roles that run a village.
OFFICERS = frozenset({OFFICER, Role.COMMANDER, Role.DISPATCHER, Role.GRID_LEADER})
# Staff who may see and book on behalf of residents (grid workers visit the elderly).
STAFF = OFFICERS | {Role.GRID_WORKER}
PROVIDERS = frozenset({PROVIDER}) | OFFICERS
# Residents signed in with their own account (the core `resident` role on a grid of their
# village): they book care for themselves.
RESIDENTS = frozenset({Role.RESIDENT})

VENUE = "services_venue"
BOOKING = "services_booking"
PROXY = "services_proxy"
OFFER = "services_offer"
CARE_BOOKING = "services_care_booking"
CHECKIN = "services_checkin"

VENUES_READ = for_roles("services.venues.read", STAFF, Scope.LISTED)
VENUES_WRITE = for_roles("services.venues.write", OFFICERS, Scope.GRID)
BOOKINGS_READ = for_roles("services.bookings.read", STAFF, Scope.LISTED)
BOOK = for_roles("services.bookings.create", STAFF, VENUE)
DECIDE = for_roles("services.bookings.decide", OFFICERS, BOOKING)
CANCEL = for_roles("services.bookings.cancel", STAFF, BOOKING)
CLOSE = for_roles("services.venues.close", OFFICERS, VENUE)
BOOKING_CONTACT = for_roles("services.bookings.contact", OFFICERS, BOOKING)

ITEMS_WRITE = admin_only("services.items.write")  # the county's catalogue
PROXY_READ = for_roles("services.proxy.read", STAFF, Scope.LISTED)
HANDOFF = for_roles("services.proxy.handoff", OFFICERS, PROXY)
PROXY_CONTACT = for_roles("services.proxy.contact", OFFICERS, PROXY)

OFFERS_READ = for_roles("services.care.offers.read", PROVIDERS | STAFF, Scope.LISTED)
OFFERS_WRITE = for_roles("services.care.offers.write", PROVIDERS, Scope.GRID)
CARE_BOOK = for_roles("services.care.book", STAFF, OFFER)
CARE_SERVE = for_roles("services.care.serve", PROVIDERS, CARE_BOOKING)
CHECKINS_READ = for_roles("services.care.checkins.read", STAFF, Scope.LISTED)
CHECKINS_WRITE = for_roles("services.care.checkins.write", OFFICERS, Scope.GRID)
VISIT = for_roles("services.care.visit", STAFF, CHECKIN)
ELDERS_READ = for_roles("services.care.elders.read", STAFF, Scope.LISTED)
SOS_DEVICE = for_roles("services.care.sos_device", OFFICERS, CHECKIN)
SOS_READ = for_roles("services.care.sos.read", STAFF, Scope.LISTED)
MY_CARE = for_roles("services.care.mine.read", RESIDENTS, Scope.OWN)
MY_CARE_BOOK = for_roles("services.care.mine.book", RESIDENTS, OFFER)
MY_CARE_CANCEL = for_roles("services.care.mine.cancel", RESIDENTS, CARE_BOOKING)

PUBLIC_READ = public("services.public.read")
PUBLIC_BOOK = public("services.public.book", VENUE)
PUBLIC_PROXY = public("services.public.proxy", Scope.GRID)
PUBLIC_TRACK = public("services.public.track", "tracking_code")
