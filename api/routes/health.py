"""Liveness and readiness in one: the database and Temporal both answer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import RuntimeDep
from api.errors import RETRY_AFTER, error_response, responses

router = APIRouter(tags=["health"])

Status = Literal["ok", "unavailable"]


class Health(BaseModel):
    status: Literal["ok"]
    database: Status
    temporal: Status


@router.get(
    "/healthz",
    response_model=Health,
    responses=responses(503),
    summary="Health: database and Temporal",
    description="200 when both answer; 503 `UNAVAILABLE` naming the one that does not.",
)
async def healthz(runtime: RuntimeDep) -> Health | JSONResponse:
    try:
        async with runtime.session_maker() as session:
            await session.execute(text("SELECT 1"))
        database: Status = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        database = "unavailable"
    temporal: Status = "ok" if await runtime.temporal.healthy() else "unavailable"
    if database == temporal == "ok":
        return Health(status="ok", database=database, temporal=temporal)
    return error_response(
        503,
        "UNAVAILABLE",
        f"database: {database}, temporal: {temporal}",
        headers={"Retry-After": RETRY_AFTER},
    )
