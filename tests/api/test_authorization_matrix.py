"""Issue 3, must-show 2: every endpoint × every kind of caller, with the status each must get (A6, A32).

Callers (support.UNITS): the hotline office; the lead unit WJ-URBAN; its co-unit WJ-POWER; the county WJ
above the lead (an ancestor, A6); an unrelated unit of another county; WJ-URBAN-XH, a tier-3 sub-unit of the
lead the ticket was not forwarded to; an integrator; the requester (no account: the access secret and the
rating code of the ticket, A19/A24); an anonymous caller; and two county offices (A4), WJ's, the county of
the ticket's units, and ZJ's, of another county, which must neither read nor write anything of WJ's: its
lists and reports hold none of WJ's tickets or units (checked below).

The endpoints come from the OpenAPI document: one missing from `ENDPOINTS` fails
`test_every_endpoint_has_a_row`, so a new endpoint cannot ship without its row.

Each cell uses a ticket in the stage where the action is allowed for the right caller, so a refusal is the
caller's, not the stage's. Refused writes go to a ticket shared by the module and must leave its timeline
(and, off tickets, the table they would write) exactly as it was: no cross-unit read or write succeeds.
A cell whose request must succeed takes a ticket of its own, so no cell depends on another.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.app import create_app
from db.api_models import (
    IdentityReadRow,
    KnowledgeErrorRow,
    KnowledgePointRow,
    KnowledgeSynonymGroupRow,
    LeaderSessionRow,
    RequesterAccessRow,
    UnitRow,
)
from db.catalogue_models import CatalogueChangeRow, DispatchSuggestionRow
from db.delivery_models import DeliveryChannelRow, MessageTemplateRow
from db.filing_models import FiledPersonChangeRow, FiledPersonRow
from db.linkage_models import EmergencyMatterRow, LinkageLineRow
from db.models import CalendarYearRow, RestrictedCallerRow, RuleSetRow
from domain.calendar import WorkingCalendar
from operations.credentials import create_unit
from tests.api.support import (
    CO_UNIT,
    LEAD,
    POINTS,
    RETURN,
    SUPERVISION_ORDER,
    Api,
    Ticket,
    api_settings,
    closure_body,
    registration_body,
    ticket_in,
)
from workflows.ticket import TicketWorkflow, ticket_workflow_id

# Matrix column -> support.CALLERS credential (None: no bearer token).
CALLERS: dict[str, str | None] = {
    "operator": "operator",
    "lead": "urban",
    "co_unit": "power",
    "ancestor": "county",
    "unrelated": "zhenjiang",
    "sub_unit": "xinhua",
    "integrator": "integrator",
    "requester": None,
    "anonymous": None,
    "county_office": "wj_office",
    "other_county": "zj_office",
}
SUB_UNIT = "WJ-URBAN-XH"
# A knowledge point of the lead's (A29: only its unit corrects it), put in place by the `world` fixture.
LEADS_POINT = "kp-matrix-lead"
# A synonym group for the office to remove (A12), put in place by `world`.
SYNONYM_GROUP = "syn-matrix"
# A unit of no ticket's, for the operator to deactivate (a repeat is a no-op), put in place by `world`.
SPARE_UNIT = "WJ-MATRIX-SPARE"
# A5: no one on any register, so the callers who may withdraw a person hear 422 NOT_A_FILED_PERSON.
NO_SUCH_PERSON = 999_999
# A11: a number never restricted: the office lifting or referring it hears 404 RESTRICTION_NOT_FOUND.
NEVER_RESTRICTED = "13000000009"


# -- the expectation table ---------------------------------------------------------------------------------
def row(default: int, **cells: int) -> dict[str, int]:
    assert set(cells) <= set(CALLERS), cells
    return {caller: cells.get(caller, default) for caller in CALLERS}


NO_ACCOUNT = {"requester": 401, "anonymous": 401}
# Every open door: the health check.
ANYONE = row(200)
# A4: the county offices' role is not the city office's: what only the city's office does is 403 for both.
COUNTY_OFFICES_REFUSED = {"county_office": 403, "other_county": 403}
# Staff (operators, unit staff) only; integrators register tickets and nothing else.
STAFF = row(200, integrator=403, **NO_ACCOUNT, **COUNTY_OFFICES_REFUSED)
# Reference data (A4: a county's office dispatches to units and answers from the knowledge base too).
REFERENCE = row(200, integrator=403, **NO_ACCOUNT)
# Reading the ticket: the office, the lead, its co-unit and the units above them (A6, A32), and the office
# of the county it is handled in (A4).
INVOLVED = row(404, operator=200, lead=200, co_unit=200, ancestor=200, county_office=200, **NO_ACCOUNT)
# A4: what a county office does as the office, on a ticket of its county (200); the other county's office
# cannot learn the ticket exists (404).
COUNTY_OFFICE_TOO = row(403, operator=200, county_office=200, other_county=404, **NO_ACCOUNT)
# On a ticket the city's office registered and has not dispatched: no county's yet (404 for both).
CITY_OFFICE_RECEIVED = row(403, operator=200, county_office=404, other_county=404, **NO_ACCOUNT)
# The role check comes first and reveals nothing about the ticket: 403.
OPERATOR = row(403, operator=200, **NO_ACCOUNT)
OPERATOR_CREATES = row(403, operator=201, **NO_ACCOUNT)
# A unit action: a unit not involved gets 404 (it may not learn the ticket exists, A32); a unit that sees the
# ticket (its co-unit, the units above the lead, A6) hears 403 NOT_YOUR_ACTION; other roles 403.
LEAD_ONLY = row(
    404,
    lead=200,
    co_unit=403,
    ancestor=403,
    operator=403,
    integrator=403,
    **NO_ACCOUNT,
    **COUNTY_OFFICES_REFUSED,
)
# A14/A14.5: a co-unit's assistance: the lead and the units above it see the ticket and hear 403.
CO_UNIT_ONLY = row(
    404,
    co_unit=200,
    lead=403,
    ancestor=403,
    operator=403,
    integrator=403,
    **NO_ACCOUNT,
    **COUNTY_OFFICES_REFUSED,
)
# A5: a unit's register (SPARE_UNIT, below the lead): the city's office and WJ's county office; a unit only
# its own (the lead, above SPARE_UNIT, is refused too); ZJ's county office is outside.
REGISTER = row(403, operator=200, county_office=200, **NO_ACCOUNT)
# The requester's own door: staff have no secret to send (the header is required: 422).
REQUESTER = row(422, requester=200)

# One payload as Temporal UI sends it (protobuf JSON, base64): `{}` in json/plain.
CODEC_BODY = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "e30="}]}
# A report period that holds every ticket of the run.
EVER = {"from": "2001-01-01T00:00:00+08:00", "to": "2199-01-01T00:00:00+08:00"}
Body = dict[str, Any] | Callable[[Api], Awaitable[dict[str, Any]]] | None
_unique = itertools.count(1)


async def _unit(api: Api) -> dict[str, Any]:
    return {"id": f"WJ-M{next(_unique)}", "name": "矩阵测试单位", "tier": 3, "parent_id": LEAD}


async def _rule_set(api: Api) -> dict[str, Any]:
    city: dict[str, Any] = (await api.get("/rule-sets")).json()[0]["rule_set"]
    return city | {"id": f"matrix-{next(_unique)}", "version": 1, "title": "矩阵测试细则"}


async def _leader_session(api: Api) -> dict[str, Any]:
    start = await api.now() + timedelta(days=next(_unique))  # one leader, never twice at once
    return {
        "leader_name": "王伟",
        "title": "区长",
        "unit_id": "WJ",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }


async def _closure_now(api: Api) -> dict[str, Any]:
    return closure_body(POINTS, await api.now())


async def _consultation(api: Api) -> dict[str, Any]:
    held_on = WorkingCalendar.local_date(await api.now()).isoformat()  # A9: held by today
    return {"meeting": "会商纪要第12号", "held_on": held_on, "decision": "城管局牵头"}


# A18: a notice names a concluded earlier ticket; one per module's Api, made on first use.
_PRIOR_MATTER: dict[int, str] = {}


async def _termination(api: Api) -> dict[str, Any]:
    if id(api) not in _PRIOR_MATTER:
        _PRIOR_MATTER[id(api)] = (await ticket_in(api, "concluded")).no
    return {
        "notice_ref": "韶武城终字〔2026〕12号",
        "prior_ticket_no": _PRIOR_MATTER[id(api)],
        "served_at": (await api.now()).isoformat(),
    }


# 并案 (A10.6): an open ticket on the same matter to join to; one per module's Api, made on first use.
_EARLIER: dict[int, str] = {}


async def _join(api: Api) -> dict[str, Any]:
    if id(api) not in _EARLIER:
        _EARLIER[id(api)] = (await ticket_in(api, "dispatched")).no
    return {"into": _EARLIER[id(api)], "reason": "同一事项"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as in the OpenAPI document
    expected: Mapping[str, int]
    stage: str | None = None  # the ticket it is about
    body: Body = None
    # Off tickets: the table a refused write must leave as it was.
    table: type[Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # Path values of its own, over the defaults `url` fills in.
    path_args: dict[str, str] = field(default_factory=dict)
    # A29: the request ends the point (a withdrawal): each cell names a fresh point of the lead's.
    fresh_point: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "PUT")

    def url(self, ticket: Ticket | None, point_id: str = LEADS_POINT) -> str:
        values = {
            "no": ticket.no if ticket else "-",
            "fmt": "csv",
            "return_id": "R1",
            "supplement_id": "S1",
            "order_id": "S1",
            "n": 1,
            "point_id": point_id,
            "group_id": SYNONYM_GROUP,
            "unit_id": SPARE_UNIT,
            "matter_id": "matrix",
            "line": "122",
            "delivery_id": "no-such-delivery",
            "kind": "registered",
            "token": "A" * 24,
            "person_id": NO_SUCH_PERSON,
            "phone": NEVER_RESTRICTED,
            # A14: a seeded matter type and area (db/catalogue.py seeds them into every read model).
            "code": "0501",
            "area_id": "440203",
        }
        return self.path.format(**(values | self.path_args))


def _post(path: str, expected: Mapping[str, int], stage: str | None, body: Body = None) -> Endpoint:
    return Endpoint("POST", path, expected, stage, body if body is not None else {})


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/healthz", ANYONE),
    # -- tickets
    Endpoint(
        "POST",
        "/tickets",
        row(403, operator=201, integrator=201, county_office=201, other_county=201, **NO_ACCOUNT),
        body=registration_body(dispatch_to=None),
        table=RequesterAccessRow,
    ),
    # An integrator lists the tickets it registered (none of the world's: an empty page).
    Endpoint("GET", "/tickets", row(200, **NO_ACCOUNT), stage="dispatched", params={"limit": 200}),
    Endpoint("GET", "/tickets/{no}", INVOLVED, stage="dispatched"),
    # -- the hotline office's actions
    _post(
        "/tickets/{no}/dispatch",
        CITY_OFFICE_RECEIVED,
        "registered",
        {"lead_unit": LEAD, "co_units": [CO_UNIT]},
    ),
    _post(
        "/tickets/{no}/refuse-at-intake",
        CITY_OFFICE_RECEIVED,
        "registered",
        {"reason": "A10.3", "basis": "已进入信访程序"},
    ),
    # The former path, deprecated (one release).
    _post(
        "/tickets/{no}/not-accept",
        CITY_OFFICE_RECEIVED,
        "registered",
        {"reason": "A10.3", "basis": "已进入信访程序"},
    ),
    _post("/tickets/{no}/answer", CITY_OFFICE_RECEIVED, "registered", {"answer": "到任一社保网点办理"}),
    _post(
        "/tickets/{no}/returns/{return_id}/review",
        OPERATOR,
        "return_review",
        {"approve": True, "redispatch_to": CO_UNIT, "reason": "属供电局职责"},
    ),
    _post("/tickets/{no}/extension/review", OPERATOR, "extension_review", {"approve": True}),
    _post("/tickets/{no}/closure/review", COUNTY_OFFICE_TOO, "closure_review", {"approve": True}),
    _post(
        "/tickets/{no}/callbacks",
        COUNTY_OFFICE_TOO,
        "callback",
        {"channel": "phone", "reached": True, "wants_redo": True},
    ),
    _post("/tickets/{no}/redo", COUNTY_OFFICE_TOO, "redo_asked", {"approve": True, "reason": "问题未解决"}),
    _post(
        "/tickets/{no}/consultations",
        OPERATOR,
        "handling",
        _consultation,
    ),
    _post(
        "/tickets/{no}/supplements/{supplement_id}/permission",
        OPERATOR,
        "supplement_requested",
        {"approve": True},
    ),
    _post(
        "/tickets/{no}/supplements/{supplement_id}/review",
        OPERATOR,
        "supplement_submitted",
        {"approve": True},
    ),
    _post("/coordinations/{no}/{n}/designate", OPERATOR, "coordinating", {"lead_unit": CO_UNIT}),
    # A25: only the hotline issues a supervision order; only the lead answers it; the involved read them.
    _post("/tickets/{no}/supervision-orders", OPERATOR, "dispatched", SUPERVISION_ORDER),
    _post(
        "/tickets/{no}/supervision-orders/{order_id}/answer",
        LEAD_ONLY,
        "supervised",
        {"answer": "已派员处置"},
    ),
    Endpoint("GET", "/tickets/{no}/supervision-orders", INVOLVED, stage="supervised"),
    # -- the lead unit's actions
    _post("/tickets/{no}/sign-for", LEAD_ONLY, "dispatched"),
    # The API checks "a sub-unit of yours" (A6) before the workflow's "only the lead forwards": the co-unit
    # hears 422 NOT_A_SUBUNIT, the county above (XH is below it) the workflow's verdict, 403. Refused all the same.
    _post("/tickets/{no}/forward", {**LEAD_ONLY, "co_unit": 422}, "dispatched", {"sub_unit": SUB_UNIT}),
    _post("/tickets/{no}/emergency-response", LEAD_ONLY, "emergency", {"note": "抢修人员已到场"}),
    _post("/tickets/{no}/survey", LEAD_ONLY, "dispatched", {"note": "现场核查权属"}),
    _post("/tickets/{no}/assistance", CO_UNIT_ONLY, "handling", {"opinion": "已派员核实线路"}),
    _post("/tickets/{no}/returns", LEAD_ONLY, "dispatched", RETURN),
    _post("/tickets/{no}/extension", LEAD_ONLY, "handling", {"reason": "需协调", "requester_told": True}),
    _post(
        "/tickets/{no}/contacts",
        LEAD_ONLY,
        "handling",
        {"channel": "phone", "purpose": "result", "reached": True},
    ),
    _post("/tickets/{no}/closure", LEAD_ONLY, "informed", _closure_now),
    *(
        _post(
            path,  # the new path and the former one, deprecated (one release)
            LEAD_ONLY,
            "handling",
            {
                "reason": "A10.2",
                "explanation": "已进入诉讼程序",
                "requester_told": True,
                "material_refs": ["att://x"],
            },
        )
        for path in ("/tickets/{no}/find-not-acceptable", "/tickets/{no}/not-acceptable")
    ),
    _post("/tickets/{no}/termination", LEAD_ONLY, "handling", _termination),
    # 并案 (A10.6): the office joins a new ticket to an open one; A10.6 candidates while on the line.
    _post("/tickets/{no}/join", OPERATOR, "dispatched", _join),
    _post(
        "/registrations/repeat-candidates",
        OPERATOR,
        None,
        {"content": "解放路路灯不亮", "location": "解放路"},
    ),
    _post("/tickets/{no}/supplements", LEAD_ONLY, "concluded", {"reason": "改造已立项"}),
    _post(
        "/tickets/{no}/supplements/{supplement_id}/content",
        LEAD_ONLY,
        "supplement_permitted",
        {"content": "12 月完工"},
    ),
    # A14.5: the office or the lead raises a dispute.
    _post(
        "/tickets/{no}/disputes",
        row(
            404,
            operator=200,
            lead=200,
            co_unit=403,
            ancestor=403,
            integrator=403,
            **NO_ACCOUNT,
            **COUNTY_OFFICES_REFUSED,
        ),
        "dispatched",
        {"kind": "contested_jurisdiction", "units": [LEAD, CO_UNIT], "reason": "双方均称不属本单位"},
    ),
    # -- the requester (A19, A24)
    Endpoint("GET", "/public/tickets/{no}", REQUESTER, stage="dispatched"),
    _post(
        "/public/tickets/{no}/rating",
        REQUESTER,
        "rating",
        {"acceptance": ["satisfied"], "handling": ["satisfied"]},
    ),
    # -- reference data
    Endpoint("POST", "/units", OPERATOR_CREATES, body=_unit, table=UnitRow),
    Endpoint("GET", "/units", REFERENCE),
    Endpoint("POST", "/units/{unit_id}/deactivation", OPERATOR, body={}),
    # A29: unit staff upload for their own unit only; this point is the lead's.
    Endpoint(
        "POST",
        "/knowledge-points",
        row(422, operator=201, lead=201, integrator=403, **NO_ACCOUNT, **COUNTY_OFFICES_REFUSED),
        body={"title": "路灯报修", "body": "城管局负责", "unit_id": LEAD},
        table=KnowledgePointRow,
    ),
    Endpoint("GET", "/knowledge-points", REFERENCE),
    # A29: the owning unit (and the office) correct a point; every other unit is refused, openly (the
    # knowledge base is shared, so the point's existence is no secret).
    Endpoint(
        "PUT",
        "/knowledge-points/{point_id}",
        row(403, operator=200, lead=200, **NO_ACCOUNT),
        body={"title": "路灯报修", "body": "城管局负责，电话 12319"},
        table=KnowledgePointRow,
    ),
    # A28: only the hotline gives error notices; any staff reads them (unit staff their own unit's).
    Endpoint(
        "POST",
        "/knowledge-points/{point_id}/errors",
        OPERATOR_CREATES,
        body={"severity": "general", "note": "电话有误"},
        table=KnowledgeErrorRow,
    ),
    Endpoint("GET", "/knowledge-points/errors", STAFF),
    Endpoint("GET", "/knowledge-points/{point_id}", REFERENCE),
    Endpoint("GET", "/knowledge-points/{point_id}/versions", REFERENCE),
    # A29: the owning unit (and the office) withdraw a point, like a correction.
    Endpoint(
        "POST",
        "/knowledge-points/{point_id}/withdrawal",
        row(403, operator=200, lead=200, **NO_ACCOUNT),
        body={"reason": "政策已废止"},
        fresh_point=True,
    ),
    # A12: the office keeps the search's synonym groups; staff read them.
    Endpoint("GET", "/knowledge-synonyms", STAFF),
    Endpoint(
        "POST",
        "/knowledge-synonyms",
        OPERATOR_CREATES,
        body={"terms": ["矩阵甲", "矩阵乙"]},
        table=KnowledgeSynonymGroupRow,
    ),
    Endpoint("DELETE", "/knowledge-synonyms/{group_id}", row(403, operator=204, **NO_ACCOUNT)),
    # A7: the office keeps the roster of leaders on the line; staff read it.
    Endpoint("POST", "/leader-sessions", OPERATOR_CREATES, body=_leader_session, table=LeaderSessionRow),
    Endpoint("GET", "/leader-sessions", REFERENCE),
    # A5/A15: a unit's register of its people and the register's history.
    Endpoint(
        "POST",
        "/units/{unit_id}/filed-people",
        {**REGISTER, "operator": 201, "county_office": 201},
        body={"role": "staff", "name": "李敏", "title": "热线工作人员"},
        table=FiledPersonRow,
    ),
    Endpoint(
        "POST",
        "/units/{unit_id}/filed-people/{person_id}/withdrawal",
        {**REGISTER, "operator": 422, "county_office": 422},
        body={"reason": "调离"},
        table=FiledPersonChangeRow,
    ),
    Endpoint("GET", "/units/{unit_id}/filed-people", REGISTER),
    Endpoint("GET", "/units/{unit_id}/filed-people/changes", REGISTER),
    Endpoint("GET", "/calendar/years", REFERENCE),
    # A year no deadline reaches: the replan it triggers changes no open ticket.
    Endpoint(
        "POST",
        "/calendar/years",
        OPERATOR_CREATES,
        body={"year": 2099, "holidays": [], "adjusted_workdays": [], "source": "矩阵测试"},
        table=CalendarYearRow,
    ),
    Endpoint("GET", "/rule-sets", REFERENCE),
    Endpoint("POST", "/rule-sets", OPERATOR_CREATES, body=_rule_set, table=RuleSetRow),
    # A35: the tickets registered under rules past their validity, for the office.
    Endpoint("GET", "/rule-sets/lapsed", OPERATOR),
    # -- reports (A25–A27): a unit's bulletin is for that unit (and the office) only.
    Endpoint(
        "GET",
        "/reports/bulletin",
        row(403, operator=200, lead=200, county_office=200, **NO_ACCOUNT),
        params=EVER | {"unit": LEAD},
    ),
    # A4 「督办、考核」: each county office reads its own county's figures (checked below: ZJ's hold none of WJ).
    Endpoint(
        "GET",
        "/reports/assessment",
        row(403, operator=200, county_office=200, other_county=200, **NO_ACCOUNT),
        params=EVER,
    ),
    Endpoint(
        "GET",
        "/reports/supervision",
        row(403, operator=200, county_office=200, other_county=200, **NO_ACCOUNT),
        params=EVER,
    ),
    # Hot spots and the dashboard: every member of staff, for their own tree (A6); the files as their JSON.
    Endpoint("GET", "/reports/hotspots", STAFF),
    Endpoint("GET", "/reports/dashboard", STAFF),
    # The files: the JSON's access (the format in the path; the matrix asks for CSV).
    Endpoint(
        "GET",
        "/reports/bulletin.{fmt}",
        row(403, operator=200, lead=200, county_office=200, **NO_ACCOUNT),
        params=EVER | {"unit": LEAD},
    ),
    Endpoint(
        "GET",
        "/reports/assessment.{fmt}",
        row(403, operator=200, county_office=200, other_county=200, **NO_ACCOUNT),
        params=EVER,
    ),
    Endpoint("GET", "/tickets.{fmt}", row(200, **NO_ACCOUNT), stage="dispatched"),
    Endpoint(
        "POST",
        "/restrictions",
        OPERATOR_CREATES,
        body={"phone": "13912340000", "reason": "矩阵测试"},
        table=RestrictedCallerRow,
    ),
    # A11: the office lists, lifts and refers restrictions (a number never restricted: 404).
    Endpoint("GET", "/restrictions", OPERATOR),
    *(
        Endpoint("POST", path, {**OPERATOR, "operator": 404}, body=body, table=RestrictedCallerRow)
        for path, body in (
            ("/restrictions/{phone}/lifting", {"reason": "矩阵测试"}),
            ("/restrictions/{phone}/referral", {"to": "police", "reference": "矩阵测试"}),
        )
    ),
    # A23: the office edits the emergency list and the lines' systems; the operator or an integrator links a
    # ticket; only a line's own credential acknowledges its hand-over (no caller here has a line: 403).
    Endpoint(
        "PUT",
        "/emergency-matters/{matter_id}",
        OPERATOR,
        body={"matter_type": "矩阵测试事项", "keywords": ["矩阵测试关键词"], "lines": []},
        table=EmergencyMatterRow,
    ),
    Endpoint("GET", "/emergency-matters", OPERATOR),
    Endpoint("DELETE", "/emergency-matters/{matter_id}", row(403, operator=204, **NO_ACCOUNT)),
    Endpoint(
        "PUT",
        "/linkage-lines/{line}",
        OPERATOR,
        body={"endpoint": "http://127.0.0.1:9/line-122"},
        table=LinkageLineRow,
        params={},
    ),
    Endpoint("GET", "/linkage-lines", OPERATOR),
    _post(
        "/tickets/{no}/linkage",
        row(403, operator=200, integrator=200, **NO_ACCOUNT),
        "dispatched",
        {"lines": ["122"]},
    ),
    _post("/linkages/{no}/{line}/acknowledgement", row(403, **NO_ACCOUNT), "dispatched", {"by": "矩阵测试"}),
    # The codec server (Temporal UI): cleared operators only; a refused decode audits nothing (A32).
    Endpoint("POST", "/codec/decode", OPERATOR, body=CODEC_BODY, table=IdentityReadRow),
    Endpoint("POST", "/codec/encode", OPERATOR, body=CODEC_BODY, table=IdentityReadRow),
    # -- notifications: a unit reads its own feed, the office any unit's; the rest is the office's.
    Endpoint(
        "GET", "/notifications", row(403, operator=200, lead=200, **NO_ACCOUNT), params={"unit_id": LEAD}
    ),
    Endpoint("GET", "/notifications/dead-letters", OPERATOR),
    _post("/notifications/dead-letters/{delivery_id}/retry", row(403, operator=404, **NO_ACCOUNT), None),
    Endpoint("GET", "/notifications/tickets/{no}", OPERATOR, stage="dispatched"),
    Endpoint(
        "PUT",
        "/notifications/channels/units/{unit_id}",
        OPERATOR,
        body={"url": "http://127.0.0.1:9/hotline"},
        table=DeliveryChannelRow,
    ),
    Endpoint("GET", "/notifications/channels", OPERATOR),
    Endpoint("DELETE", "/notifications/channels/units/{unit_id}", row(403, operator=204, **NO_ACCOUNT)),
    Endpoint("GET", "/notifications/templates", OPERATOR),
    Endpoint(
        "PUT",
        "/notifications/templates/{kind}",
        OPERATOR,
        body={"text": "【12345热线】工单{ticket_no}已登记：{progress_link}"},
        table=MessageTemplateRow,
    ),
    Endpoint("DELETE", "/notifications/templates/{kind}", OPERATOR),
    # -- A14 派单目录: the office's only; a refused edit audits nothing. Deletes of what is not there are no-ops.
    Endpoint("GET", "/dispatch-catalogue", OPERATOR),
    Endpoint("GET", "/dispatch-catalogue/changes", OPERATOR),
    Endpoint(
        "PUT",
        "/dispatch-catalogue/matter-types/{code}",
        OPERATOR,
        body={"name": "矩阵测试事项"},
        table=CatalogueChangeRow,
        path_args={"code": "99"},
    ),
    Endpoint(
        "DELETE",
        "/dispatch-catalogue/matter-types/{code}",
        row(403, operator=204, **NO_ACCOUNT),
        path_args={"code": "98"},
    ),
    Endpoint(
        "PUT",
        "/dispatch-catalogue/areas/{area_id}",
        OPERATOR,
        body={"name": "矩阵测试镇", "kind": "town", "parent_id": "440203"},
        table=CatalogueChangeRow,
        path_args={"area_id": "440203-matrix"},
    ),
    Endpoint(
        "DELETE",
        "/dispatch-catalogue/areas/{area_id}",
        row(403, operator=204, **NO_ACCOUNT),
        path_args={"area_id": "440203-matrix-gone"},
    ),
    Endpoint(
        "PUT",
        "/dispatch-catalogue/entries/{code}/{area_id}",
        OPERATOR,
        body={"lead_unit": LEAD, "co_units": [CO_UNIT]},
        table=CatalogueChangeRow,
    ),
    Endpoint(
        "DELETE",
        "/dispatch-catalogue/entries/{code}/{area_id}",
        row(403, operator=204, **NO_ACCOUNT),
        path_args={"area_id": "440204"},
    ),
    Endpoint(
        "POST",
        "/registrations/dispatch-suggestion",
        OPERATOR,
        body={"matter_code": "050101", "location": "武江区新华街道"},
        table=DispatchSuggestionRow,
    ),
    # A32: the caller's history is the office's; a refused lookup audits nothing.
    Endpoint(
        "POST",
        "/registrations/caller-history",
        OPERATOR,
        body={"phone": "13800000000"},
        table=IdentityReadRow,
    ),
    Endpoint("GET", "/reports/dispatch-overrides", OPERATOR, params=EVER),
)


# -- the world -----------------------------------------------------------------------------------------------
@dataclass
class World:
    api: Api
    shared: dict[str, Ticket] = field(default_factory=dict)

    async def ticket(self, stage: str, *, own: bool) -> Ticket:
        """A ticket of its own for a request that changes it; else the module's one in that stage."""
        if own:
            return await ticket_in(self.api, stage)
        if stage not in self.shared:
            self.shared[stage] = await ticket_in(self.api, stage)
        return self.shared[stage]

    async def timeline(self, ticket: Ticket) -> list[dict[str, Any]]:
        """The authoritative timeline, from the workflow (the read model lags)."""
        handle = self.api.env.client.get_workflow_handle(ticket_workflow_id(ticket.no))
        state = await handle.query(TicketWorkflow.state)
        return [event.model_dump(mode="json") for event in state.timeline]

    async def rows(self, table: type[Any]) -> int:
        async with self.api.session_maker() as session:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)

    async def fresh_point(self) -> str:
        point_id = f"kp-matrix-{next(_unique)}"
        async with self.api.session_maker.begin() as session:
            session.add(
                KnowledgePointRow(
                    id=point_id,
                    unit_id=LEAD,
                    title="路灯报修",
                    body="城管局负责",
                    uploaded_at=await self.api.now(),
                )
            )
        return point_id

    async def call(self, endpoint: Endpoint, caller: str, ticket: Ticket | None) -> httpx.Response:
        if endpoint.fresh_point:
            url = endpoint.url(ticket, await self.fresh_point())
            return await self.api.post(url, endpoint.body, as_=CALLERS[caller])
        credential = CALLERS[caller]
        headers: dict[str, str] = {}
        if caller == "requester":
            secrets = ticket or await self.ticket("dispatched", own=False)
            headers = {"X-Access-Secret": secrets.access_secret, "X-Rating-Code": secrets.rating_code}
        body = endpoint.body
        if callable(body):
            body = await body(self.api)
        if endpoint.method == "GET":
            return await self.api.get(
                endpoint.url(ticket), as_=credential, headers=headers, params=endpoint.params
            )
        if endpoint.method == "DELETE":
            return await self.api.http.delete(
                endpoint.url(ticket), headers=headers | self.api.auth(credential)
            )
        if endpoint.method == "PUT":
            headers |= self.api.auth(credential)
            return await self.api.http.put(endpoint.url(ticket), json=body, headers=headers)
        if endpoint.method == "DELETE":
            headers |= self.api.auth(credential)
            return await self.api.http.delete(endpoint.url(ticket), headers=headers)
        return await self.api.post(endpoint.url(ticket), body, as_=credential, headers=headers)


@pytest.fixture(scope="module")
async def world(module_api: Api) -> World:
    world = World(module_api)
    await create_unit(
        module_api.session_maker, unit_id=SPARE_UNIT, name="矩阵测试停用单位", tier=3, parent_id=LEAD
    )
    async with module_api.session_maker.begin() as session:
        session.add(
            KnowledgePointRow(
                id=LEADS_POINT,
                unit_id=LEAD,
                title="路灯报修",
                body="城管局负责",
                uploaded_at=await module_api.now(),
            )
        )
        session.add(
            KnowledgeSynonymGroupRow(
                id=SYNONYM_GROUP, terms=["矩阵丙", "矩阵丁"], added_at=await module_api.now()
            )
        )
    dispatched = await world.ticket("dispatched", own=False)
    # Lists come from the read model: wait until it holds the ticket the list cells look for.
    await module_api.listed(dispatched.no, (await module_api.ticket(dispatched.no))["revision"])
    return world


# A4: the county each county office acts for; every unit of WJ's tree (support.UNITS, the matrix's own
# units) has an id starting WJ, every unit of ZJ's one starting ZJ.
COUNTY_OF = {"county_office": "WJ", "other_county": "ZJ"}


def assert_within_county(endpoint: str, body: dict[str, Any], county: str) -> None:
    """A4: a county office's list and reports name its own county's tickets and units, nothing else's."""

    def ours(unit: str | None) -> bool:
        return unit is None or unit.startswith(county)

    if endpoint == "GET /tickets":
        leads = [(t["lead_unit"], t["forwarded_to"]) for t in body["items"]]
        # None: a ticket it registered itself, not dispatched yet (the POST /tickets cell's).
        assert all(ours(lead) and ours(forwarded) for lead, forwarded in leads), leads
    elif endpoint == "GET /reports/assessment":
        assert all(ours(u["unit"]) for u in body["units"]), body["units"]
    elif endpoint == "GET /reports/supervision":
        assert all(ours(line["unit"]) for line in body["items"]), body["items"]
    elif endpoint == "GET /reports/bulletin":
        assert all(ours(u["unit"]) for u in body["units"]) and ours(body["unit"]), body


# -- the tests -----------------------------------------------------------------------------------------------
def test_every_endpoint_has_a_row() -> None:
    """The OpenAPI document's operations are exactly the table's, and every status the table expects is
    one the document promises for that operation."""
    document = create_app(api_settings("matrix")).openapi()
    served = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    tabled = [(e.method, e.path) for e in ENDPOINTS]
    assert len(tabled) == len(set(tabled)), "an endpoint has two rows"
    assert served - set(tabled) == set(), "endpoints without a row in the authorization matrix"
    assert set(tabled) - served == set(), "rows for endpoints that do not exist"
    for endpoint in ENDPOINTS:
        documented = set(document["paths"][endpoint.path][endpoint.method.lower()]["responses"])
        statuses = {str(s) for s in endpoint.expected.values()}
        # 401 is documented wherever a bearer token is required; 200/201 is the success answer.
        assert statuses <= documented, f"{endpoint}: {sorted(statuses - documented)} not documented"


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
async def test_authorization_matrix(world: World, endpoint: Endpoint, caller: str) -> None:
    expected = endpoint.expected[caller]
    succeeds = expected < 300
    ticket = await world.ticket(endpoint.stage, own=succeeds and endpoint.writes) if endpoint.stage else None
    refused_write = endpoint.writes and not succeeds
    before_timeline = await world.timeline(ticket) if ticket and refused_write else None
    before_rows = await world.rows(endpoint.table) if endpoint.table and refused_write else None

    response = await world.call(endpoint, caller, ticket)

    assert response.status_code == expected, f"{endpoint} as {caller}: {response.text}"
    if not succeeds:
        assert set(response.json()) >= {"code", "message"}, response.text
    # No refused write leaves a trace: not on the ticket, not in the table it would write.
    if before_timeline is not None and ticket is not None:
        assert await world.timeline(ticket) == before_timeline, f"{endpoint} as {caller} changed the ticket"
    if before_rows is not None and endpoint.table is not None:
        assert await world.rows(endpoint.table) == before_rows, f"{endpoint} as {caller} wrote a row"
    # No cross-unit read: a list shows the ticket only to whom may read it, and masked (A32).
    if str(endpoint) == "GET /tickets" and succeeds:
        assert ticket is not None
        page = response.json()
        assert page["total"] <= page["limit"], "the list outgrew one page: raise the limit"
        line = next((t for t in page["items"] if t["ticket_no"] == ticket.no), None)
        assert (line is not None) == (INVOLVED[caller] == 200), f"{caller} lists it: {line is not None}"
        assert line is None or line["requester"]["masked"] is True
    if caller in COUNTY_OF and succeeds and endpoint.method == "GET" and ".{fmt}" in endpoint.path:
        # A file: the other county's units appear nowhere in it (the JSON's own checks are below).
        other = next(c for c in COUNTY_OF.values() if c != COUNTY_OF[caller])
        cells = {cell for line in csv.reader(io.StringIO(response.text)) for cell in line}
        assert not any(cell.startswith(other) for cell in cells), f"{endpoint} as {caller} names {other}"
    elif caller in COUNTY_OF and succeeds and endpoint.method == "GET":
        assert_within_county(str(endpoint), response.json(), COUNTY_OF[caller])
    if str(endpoint) == "GET /tickets/{no}" and succeeds:
        unmasked = caller in ("operator", "lead", "county_office")  # the offices and the handling unit (A32)
        assert response.json()["requester"]["masked"] is not unmasked, caller
