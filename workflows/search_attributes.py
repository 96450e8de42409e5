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

ALL = (LEAD_UNIT, CO_UNITS, STAGE, CARD, DEADLINE, CATEGORY, CHANNEL)

_INDEXED = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KEYWORD_LIST": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


def cli_flags() -> list[str]:
    """`temporal server start-dev --search-attribute Name=Type` flags (a new database file only)."""
    names = {"KEYWORD": "Keyword", "KEYWORD_LIST": "KeywordList", "DATETIME": "Datetime"}
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
