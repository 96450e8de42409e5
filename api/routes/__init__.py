"""One router per area (the full-stack-fastapi-template layout), gathered here."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    actions,
    calendar,
    codec,
    coordinations,
    delivery_admin,
    health,
    knowledge,
    knowledge_search,
    knowledge_synonyms,
    leaders,
    linkage,
    notifications,
    public,
    restrictions,
    rule_sets,
    tickets,
    units,
)

api_router = APIRouter()
for _module in (
    health,
    tickets,
    actions,
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
):
    api_router.include_router(_module.router)
