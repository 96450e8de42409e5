"""B2's floor: the bare update behind the thinnest HTTP API, to show what any HTTP answer costs by itself.

    python -m uvicorn bench.bare_http:create_app --factory   (BARE_TEMPORAL_ADDRESS=host:port)

One route, `POST /bare/{workflow_id}/sign-for`: the same `execute_update` as B2's bare phase, its update id
from the `Idempotency-Key` header as the ticket API's, answered as JSON. No authentication, no SQL, no
audit, no view. Served by the same uvicorn (uvloop, httptools) and called by the same httpx client as the
ticket API, so the difference between this and the bare phase is the HTTP hop alone: a lower bound for any
design that answers a clerk over HTTP.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Header

from bench.api_support import UNIT, BareTicketWorkflow
from bench.common import connect


def create_app() -> FastAPI:
    address = os.environ["BARE_TEMPORAL_ADDRESS"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.client = await connect(address)
        gc.collect()
        gc.freeze()  # as the ticket API does once started (api/app.py `_freeze_heap`): the same treatment
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bare/{workflow_id}/sign-for")
    async def sign_for(workflow_id: str, idempotency_key: str = Header()) -> dict[str, str]:
        handle = app.state.client.get_workflow_handle(workflow_id)
        signed_by = await handle.execute_update(BareTicketWorkflow.sign_for, UNIT, id=idempotency_key)
        return {"workflow_id": workflow_id, "signed_by": signed_by}

    return app
