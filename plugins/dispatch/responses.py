"""What the dispatch routes answer, as the OpenAPI document describes it.

The handlers build plain dicts (the same ones socket acks and pushes carry); these models only
describe them: docs/http-api.md and docs/open311.md have the fields in words,
tests/plugins/dispatch checks real answers against these models. Open311's `.xml` resources
answer the same data as XML: the `xml` hints name the elements as
`plugins.dispatch.open311_format` writes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from plugins.dispatch.catalogue import FieldSpec
from plugins.dispatch.lifecycle import Action, Priority, Stage, State

PHOTOS = "image/jpeg, image/png, image/webp, image/gif"


class AssignmentOut(BaseModel):
    id: int
    kind: Literal["person", "grid", "department"]
    target: str = Field(description="person id, grid id or department code")
    lead: bool
    state: str
    person_id: int | None
    signed_at: datetime | None


class IncidentOut(BaseModel):
    """An incident as lists, reports and actions answer it (`store.summary`)."""

    id: int
    number: str
    title: str
    category: str
    priority: Priority
    state: State
    grid_id: int
    level_grid_id: int
    lon: float | None
    lat: float | None
    address: str
    source: str = Field(description="field, console, hotline, appeal, open311 or alarm")
    stage: Stage | None
    stage_started_at: float | None
    stage_deadline: float | None
    overdue: bool
    supervised_by_grid: int | None
    channel_id: int | None
    rating: int | None
    returns: int
    created_at: datetime
    updated_at: datetime
    version: int
    actions: list[Action] = Field(description="the actions the state allows")
    assignments: list[AssignmentOut]


class IncidentEventOut(BaseModel):
    id: int
    action: str
    from_state: State | None
    to_state: State
    actor_id: int | None
    actor: str
    at: datetime
    note: str
    data: dict[str, Any]


class IncidentDetailOut(IncidentOut):
    """An incident with its details, timeline and the people involved."""

    description: str
    fields: dict[str, Any]
    attachments: list[int]
    reporter_id: int | None
    reporter_name: str
    reporter_contact_masked: str = Field(
        description="the resident's contact masked (138****1234); empty when none was given"
    )
    source_ref: str | None
    handler_id: int | None
    review_at: float | None
    rating_comment: str
    closed_at: datetime | None
    timeline: list[IncidentEventOut]
    involved: list[int]


class ContactOut(BaseModel):
    """The resident's contact in full, for the follow-up call (the view is audited)."""

    incident_id: int
    reporter_name: str
    reporter_contact: str


class IncidentPageOut(BaseModel):
    items: list[IncidentOut]
    next_before_id: int | None = Field(description="pass as before_id; null on the last page")


class IncidentChannelOut(BaseModel):
    incident_id: int
    channel_id: int


class SuggestionOut(BaseModel):
    person_id: int
    username: str
    display_name: str
    responsible: bool = Field(description="works the incident's grid or a grid above it")
    own_grid: bool
    presence: str
    distance_m: int | None = Field(description="null without a fresh position")
    open_tasks: int
    grids: list[str]


class SuggestionsOut(BaseModel):
    incident_id: int
    suggestions: list[SuggestionOut]


class RatingFiguresOut(BaseModel):
    mean: float | None
    count: int


class FiguresOut(BaseModel):
    """KPI figures of one slice (everything, a category, a grid, a person)."""

    total: int
    open: int
    by_state: dict[str, int]
    on_time_rate: dict[str, float | None] = Field(description="per stage")
    overdue: int
    mean_handling_s: float | None
    mean_closing_s: float | None
    returned_rate: float | None
    rating: RatingFiguresOut


class CategoryFiguresOut(FiguresOut):
    category: str


class GridFiguresOut(FiguresOut):
    grid_id: int
    code: str
    name: str


class PersonFiguresOut(FiguresOut):
    person_id: int
    username: str
    display_name: str


class KpiGridOut(BaseModel):
    id: int
    code: str
    name: str


class KpisOut(BaseModel):
    grid: KpiGridOut
    since: datetime
    until: datetime
    overall: FiguresOut
    by_category: list[CategoryFiguresOut]
    by_grid: list[GridFiguresOut]
    by_person: list[PersonFiguresOut]


class CategoryOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    description: str
    department: str | None
    fields: list[FieldSpec]
    sla: dict[str, dict[str, int]] = Field(description="seconds per stage and priority")
    public: bool
    active: bool


class CategoriesOut(BaseModel):
    items: list[CategoryOut]


class DepartmentOut(BaseModel):
    code: str
    name: str
    members: list[int] = Field(description="person ids")


class DepartmentsOut(BaseModel):
    items: list[DepartmentOut]


class DispatchRuleOut(BaseModel):
    id: int
    category: str
    grid_id: int
    target_kind: Literal["person", "grid", "department"]
    target: str
    enabled: bool


class DispatchRulesOut(BaseModel):
    enabled: bool = Field(description="the auto_dispatch setting: whether rules are applied")
    items: list[DispatchRuleOut]


# --- residents' appeals -----------------------------------------------------------------------


class PublicCategoryOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    description: str
    fields: list[FieldSpec]


class PublicCategoriesOut(BaseModel):
    items: list[PublicCategoryOut]


class PhotoIdsOut(BaseModel):
    items: list[int] = Field(description="photo ids, for /incidents/{incident_id}/photos/{id}")


class AppealFiledOut(BaseModel):
    number: str
    tracking_code: str = Field(description="the resident's credential to follow the appeal")
    state: State
    category: str
    created_at: datetime
    photos: int = Field(description="how many photos were stored")
    track: str = Field(description="the URL path of the appeal's progress")
    public: bool
    service_request_id: str | None = Field(description="its Open311 id; null unless public")


class AppealEventOut(BaseModel):
    action: str
    state: State
    label: str
    at: datetime
    note: str = Field(description="only for reject and rate: the reason, the resident's words")


class AppealOut(BaseModel):
    """An appeal as the resident reads it: no internal notes or staff names."""

    number: str
    title: str
    category: str
    state: State
    label: str
    status: Literal["open", "closed"]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    address: str
    photos: list[int] = Field(description="ids of the photos sent with it")
    rating: int | None
    public: bool
    can_rate: bool
    timeline: list[AppealEventOut]


# --- Open311 GeoReport v2 ---------------------------------------------------------------------


def _xml(name: str, wrapped: bool = False) -> dict[str, Any]:
    hint: dict[str, Any] = {"name": name}
    if wrapped:
        hint["wrapped"] = True
    return {"xml": hint}


class ServiceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_xml("service"))

    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="whether the service has attributes")
    type: Literal["realtime"]
    keywords: str
    group: str


class AttributeValueOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_xml("value"))

    key: str
    name: str


class AttributeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_xml("attribute"))

    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "singlevaluelist"]
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValueOut] = Field(json_schema_extra=_xml("values", wrapped=True))


class ServiceDefinitionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_xml("service_definition"))

    service_code: str
    attributes: list[AttributeOut] = Field(json_schema_extra=_xml("attributes", wrapped=True))


class RequestFiledOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=_xml("request"))

    service_request_id: str
    service_notice: str
    account_id: None


class ServiceRequestOut(BaseModel):
    """What is published of a report: no text a person wrote, no address or exact place."""

    model_config = ConfigDict(json_schema_extra=_xml("request"))

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: None
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: None
    address_id: None
    zipcode: None
    lat: float | None = Field(description="the centre of the 0.005-degree cell it is in")
    long: float | None
    media_url: None


Services = Annotated[list[ServiceOut], Field(json_schema_extra=_xml("services", wrapped=True))]
RequestsFiled = Annotated[
    list[RequestFiledOut], Field(json_schema_extra=_xml("service_requests", wrapped=True))
]
ServiceRequests = Annotated[
    list[ServiceRequestOut], Field(json_schema_extra=_xml("service_requests", wrapped=True))
]
