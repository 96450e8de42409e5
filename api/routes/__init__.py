"""One router per area (the full-stack-fastapi-template layout), gathered here."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    actions,
    calendar,
    coordinations,
    delivery_admin,
    health,
    knowledge,
    leaders,
    notifications,
    public,
    requester_links,
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
    leaders,
    calendar,
    rule_sets,
    restrictions,
    notifications,
    delivery_admin,
    requester_links,
):
    api_router.include_router(_module.router)
