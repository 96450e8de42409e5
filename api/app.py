"""The app factory. `python -m api.serve` serves it under uvicorn (make run, the Dockerfile, docker-compose).

The lifespan holds the Temporal client (pydantic data converter, via worker.connect) and the database
engine; tests inject a client, a session maker and a clock instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api import docs_pages, errors, request_guard
from api.auth import CredentialCache
from api.deps import refuse_unknown_query_parameters
from api.errors import ApiError
from api.metrics import ApiMetrics, LatencyMiddleware
from api.metrics import router as metrics_router
from api.request_guard import RequestGuardMiddleware
from api.routes import api_router, dev_sink, pages, report_outputs, report_pages, reports
from api.runtime import Clock, Runtime, wall_clock
from api.temporal import TemporalGateway
from config import Settings, get_settings
from db.session import make_engine, make_session_maker
from operations.idempotency import purge_forever

log = logging.getLogger("hotline.api")

DESCRIPTION = """
The 12345 hotline's ticket service (韶关市12345政务服务便民热线). Every ticket is a durable workflow that
enforces the regulation; rule ids (A14.1, A17 …) appear in descriptions and in error bodies.

**Reference** (served by this API, readable offline): [the rules with their ids](/reference/rules.md),
[the regulation's text, 《韶关市12345政务服务便民热线管理细则》](/reference/shaoguan-12345-rules.zh.txt),
[why a request is not accepted, and every error code](/reference/errors.md).

**Who calls what**
- *Hotline office (operators)*: register, dispatch, review returns, extensions, closures and supplementary
  answers, designate leads, record callbacks, decide redos and record consultation decisions (A9), load
  holiday calendars and rule sets, manage units, keep the roster of leaders on the line (A7), and tell
  units of errors in their knowledge points (A28).
- *Member units (unit staff)*: their queue (`GET /tickets`), a ticket with its timeline, the unit actions
  (sign for, return, survey, extension, contacts, closure …), and their knowledge points (A28, A29).
- *Integrators*: register tickets from other platforms.
- *Requesters* (no account): `/public/tickets/{no}` with the secret given at registration (A19), and rating
  with the rating code (A24).

**Authentication**: `Authorization: Bearer <token>`; tokens come from `python -m operations issue-credential`.

**Retries**: send an `Idempotency-Key` header on every POST; a retry has exactly one effect.

**Errors**: always `{"code", "message", "rule"?}` ([every code](/reference/errors.md)). 404 means "no such ticket *for you*" (never 403 for a
ticket). 409: the ticket's stage does not allow it now. 422: invalid input. 503: retry later.
"""


def _freeze_heap() -> None:
    """A served API process (nothing injected, as `python -m api.serve` builds it): what start-up made (~260,000
    objects: the routes, the models, SQLAlchemy, the Temporal client) is moved out of the cyclic collector's
    reach. Otherwise every full collection walks all of it: ~100-200 ms with the GIL held on this machine,
    landing on whichever request allocates at that moment (B2, issue 17: a py-spy profile caught one request
    stopped 1.4 s in it under load). Objects made later are collected as before. Not for test processes,
    which build hundreds of apps: frozen garbage would never be freed."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None,
    *,
    client: Client | None = None,
    session_maker: async_sessionmaker[AsyncSession] | None = None,
    clock: Clock | None = None,
    credential_clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """`clock`: the API's "now" (api/runtime.py); `credential_clock`: the monotonic seconds the credential
    cache ages its entries by (tests turn it by hand to show a revocation's bound)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        sessions = session_maker
        if sessions is None:
            engine = make_engine(settings.database_url)
            sessions = make_session_maker(engine)
        temporal = TemporalGateway(settings, client)
        try:
            await temporal.connect()
        except ApiError:
            # Serve anyway: requests needing Temporal answer 503 and reconnect on their own.
            log.warning("starting without Temporal at %s", settings.temporal_address)
        runtime = Runtime(
            settings=settings,
            temporal=temporal,
            session_maker=sessions,
            clock=clock or wall_clock,
            callers=CredentialCache(settings.credential_cache_seconds, clock=credential_clock),
        )
        app.state.runtime = runtime
        if client is None and session_maker is None:
            _freeze_heap()
        retention = timedelta(hours=settings.idempotency_retention_hours)
        purge = asyncio.create_task(purge_forever(sessions, retention, runtime.clock))
        try:
            yield
        finally:
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
            if engine is not None:
                await engine.dispose()

    app = FastAPI(
        title="12345 hotline tickets",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by docs_pages, from files of our own: no CDN
        redoc_url=None,
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    app.state.metrics = metrics = ApiMetrics(settings.metrics_cache_seconds, settings.metrics_token)
    errors.install(app)
    docs_pages.install(app)
    app.include_router(api_router)
    app.include_router(reports.router)
    # The pages first: `/reports/bulletin.html` is a page, not the file route `/reports/bulletin.{fmt}`.
    report_pages.install(app)
    app.include_router(report_outputs.router)
    if settings.environment in dev_sink.DEV_ENVIRONMENTS:
        app.include_router(dev_sink.router)  # make run's message sink; absent in production
    pages.install(app)
    app.include_router(metrics_router)
    app.add_middleware(LatencyMiddleware, metrics=metrics)
    # Last added, so outermost: sizes and credential headers are checked before anything reads them.
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=settings.api_max_body_bytes)
    request_guard.document(app)
    return app
