"""Typed dependencies (the full-stack-fastapi-template way): `SessionDep`, `CallerDep`, `OperatorDep` …"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller, Role, bearer_scheme, unauthenticated
from api.errors import forbidden, invalid
from api.runtime import Runtime
from api.temporal import TemporalGateway
from domain.commands import TICKET_NO_PATTERN
from hotline_logging import ticket_context


# Dependencies are `async def` even where they do not await: FastAPI runs a plain `def` dependency in its
# thread pool, a thread hop per dependency per request, and a context variable set there (ticket_no's)
# would not reach the endpoint.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.session_maker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_temporal(runtime: RuntimeDep) -> TemporalGateway:
    return runtime.temporal


TemporalDep = Annotated[TemporalGateway, Depends(get_temporal)]


async def get_now(runtime: RuntimeDep) -> datetime:
    return await runtime.clock()


NowDep = Annotated[datetime, Depends(get_now)]


async def get_caller(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Caller:
    if credentials is None or not credentials.credentials:
        raise unauthenticated("send `Authorization: Bearer <token>`")
    return await runtime.callers.caller(runtime.session_maker, credentials.credentials)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_role(*roles: Role) -> Callable[[Caller], Coroutine[Any, Any, Caller]]:
    """A role check that does not depend on any ticket, so its 403 reveals nothing about ids."""

    async def check(caller: CallerDep) -> Caller:
        if caller.role not in roles:
            raise forbidden(f"only {' or '.join(r.value for r in roles)} may do this")
        return caller

    return check


OperatorDep = Annotated[Caller, Depends(require_role(Role.OPERATOR))]
StaffDep = Annotated[Caller, Depends(require_role(Role.OPERATOR, Role.UNIT_STAFF))]
RegistrarDep = Annotated[Caller, Depends(require_role(Role.OPERATOR, Role.INTEGRATOR))]
# Registering a ticket: the registrars, and a county's office, which receives its county's requests (A4).
ReceiverDep = Annotated[Caller, Depends(require_role(Role.OPERATOR, Role.COUNTY_OFFICE, Role.INTEGRATOR))]
# Lists of tickets: the office's (a county office's, its county's), a unit's queue, an integrator's own.
ListerDep = Annotated[
    Caller,
    Depends(require_role(Role.OPERATOR, Role.COUNTY_OFFICE, Role.UNIT_STAFF, Role.INTEGRATOR)),
]
# A unit's own staff, the city's office or its county's office (A4): a unit's register of its people
# (A5), its bulletin (A26), and the reference data every office and unit works with (units, the knowledge
# base, the leaders' roster, calendars, rule sets).
StaffOrOfficeDep = Annotated[
    Caller, Depends(require_role(Role.OPERATOR, Role.COUNTY_OFFICE, Role.UNIT_STAFF))
]
# A4 「督办、考核」: the reports of the city's office, and of a county's office for its county.
OfficeDep = Annotated[Caller, Depends(require_role(Role.OPERATOR, Role.COUNTY_OFFICE))]


async def ticket_no(
    no: Annotated[
        str,
        Path(
            pattern=TICKET_NO_PATTERN,
            description="The ticket number.",
            examples=["GD12345-20261126-3F9A0C1B"],
        ),
    ],
) -> str:
    # Every log line of this request names the ticket (hotline_logging).
    ticket_context.set(no)
    return no


TicketNoDep = Annotated[str, Depends(ticket_no)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID is best). A retried POST with the same key has exactly one "
        "effect and answers as the first did, for 7 days (HOTLINE_IDEMPOTENCY_RETENTION_HOURS); after that "
        "the key is forgotten.",
        examples=["6f1c2a8e-3b7d-4c55-9d0e-1a2b3c4d5e6f"],
    ),
]


def update_id(action: str, caller_key: str, key: str | None) -> str:
    """The workflow update id: the caller's Idempotency-Key (scoped to the caller and the action, so two
    callers' keys never collide), or a fresh one when the caller sent none."""
    return f"{action}:{caller_key}:{key or uuid.uuid4()}"


# -- unknown query parameters ------------------------------------------------------------------------------
# id(route) -> (route, its query parameters): routes compare by value and are unhashable; the route is kept
# so that an id reused by another app's route (tests build many) is not mistaken for it.
_QUERY_PARAMETERS: dict[int, tuple[APIRoute, frozenset[str]]] = {}


def _query_parameters(route: APIRoute) -> frozenset[str]:
    cached = _QUERY_PARAMETERS.get(id(route))
    if cached is not None and cached[0] is route:
        return cached[1]
    names: set[str] = set()
    pending: list[Dependant] = [route.dependant]
    while pending:  # the route's own parameters and those of its dependencies (a page's limit, offset)
        dependant = pending.pop()
        for param in dependant.query_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):  # a model of parameters (weights)
                names.update(f.alias or name for name, f in model.model_fields.items())
            else:
                names.add(param.alias)
        pending.extend(dependant.dependencies)
    _QUERY_PARAMETERS[id(route)] = (route, frozenset(names))
    return frozenset(names)


async def refuse_unknown_query_parameters(request: Request) -> None:
    """Every route, one dependency (api/app.py): a query parameter the route does not take is 422
    UNKNOWN_PARAMETER, so a typo (`?stgae=handling`) is refused rather than silently listing everything."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_parameters(route)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise invalid(
            "UNKNOWN_PARAMETER", f"unknown query parameter {', '.join(unknown)}; this takes: {takes}"
        )
