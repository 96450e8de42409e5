"""One router per area (the full-stack-fastapi-template layout), gathered here."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    actions,
    calendar,
    caller_history,
    catalogue,
    codec,
    coordinations,
    delivery_admin,
    dispatch_report,
    health,
    knowledge,
    knowledge_search,
    knowledge_synonyms,
    leaders,
    linkage,
    notifications,
    public,
    repeats,
    restrictions,
    rule_sets,
    supervision_orders,
    tickets,
    units,
)

api_router = APIRouter()
for _module in (
    health,
    tickets,
    repeats,
    actions,
    supervision_orders,
    coordinations,
    public,
    units,
    knowledge,
    knowledge_search,
    knowledge_synonyms,
    leaders,
    calendar,
    rule_sets,
    restrictions,
    linkage,
    codec,
    notifications,
    delivery_admin,
    catalogue,
    caller_history,
    dispatch_report,
):
    api_router.include_router(_module.router)
api_router.include_router(leaders.filing_router)  # A5/A15: the register of a unit's people
