"""Typed search attributes (STYLE pattern 5): operators find tickets in Temporal UI by these."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

LEAD_UNIT = SearchAttributeKey.for_keyword("HotlineLeadUnit")
CO_UNITS = SearchAttributeKey.for_keyword_list("HotlineCoUnits")
STAGE = SearchAttributeKey.for_keyword("HotlineStage")
CARD = SearchAttributeKey.for_keyword("HotlineCard")
DEADLINE = SearchAttributeKey.for_datetime("HotlineDeadline")
CATEGORY = SearchAttributeKey.for_keyword("HotlineCategory")
CHANNEL = SearchAttributeKey.for_keyword("HotlineChannel")
# Issue 18, what an office filters by (set by tickets opened after the `ui-legible` patch).
EMERGENCY = SearchAttributeKey.for_bool("HotlineEmergency")  # A17.3/A23
DISTRICT = SearchAttributeKey.for_keyword("HotlineDistrict")  # the lead unit's county or district: 武江区
OVERDUE = SearchAttributeKey.for_keyword_list("HotlineOverdue")  # limits past due: answer, sign_for …
SUPERVISION_PENDING = SearchAttributeKey.for_bool("HotlineSupervisionPending")  # an order awaits its answer
LINKAGE_PENDING = SearchAttributeKey.for_keyword_list("HotlineLinkagePending")  # A23 lines yet to acknowledge
NEXT_DUE = SearchAttributeKey.for_datetime("HotlineNextDue")  # the earliest limit not yet met, any clock
REGISTERED_AT = SearchAttributeKey.for_datetime("HotlineRegisteredAt")
REGISTERED_DAY = SearchAttributeKey.for_keyword("HotlineRegisteredDay")  # Asia/Shanghai date: 2026-12-02

FIRST = (LEAD_UNIT, CO_UNITS, STAGE, CARD, DEADLINE, CATEGORY, CHANNEL)
LEGIBLE = (
    EMERGENCY,
    DISTRICT,
    OVERDUE,
    NEXT_DUE,
    SUPERVISION_PENDING,
    LINKAGE_PENDING,
    REGISTERED_AT,
    REGISTERED_DAY,
)
ALL = FIRST + LEGIBLE

_INDEXED = {
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KEYWORD_LIST": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


def cli_flags() -> list[str]:
    """`temporal server start-dev --search-attribute Name=Type` flags (a new database file only)."""
    names = {"BOOL": "Bool", "KEYWORD": "Keyword", "KEYWORD_LIST": "KeywordList", "DATETIME": "Datetime"}
    return [f"--search-attribute={k.name}={names[k.indexed_value_type.name]}" for k in ALL]


async def ensure_registered(client: Client) -> None:
    """Register what is missing; idempotent, so every worker start may call it.

    An upsert of an unregistered attribute fails the workflow task forever: register first.
    """
    wanted = {k.name: _INDEXED[k.indexed_value_type.name] for k in ALL}
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        missing = {name: kind for name, kind in wanted.items() if name not in listed.custom_attributes}
    except RPCError as err:
        # The time-skipping test server cannot list, but can add.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        missing = wanted
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    except RPCError as err:
        if err.status != RPCStatusCode.ALREADY_EXISTS:  # another worker registered them first
            raise
