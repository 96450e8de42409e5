"""Prometheus `/metrics` on the API (prometheus-client), protected by a token of its own.

- `hotline_http_request_duration_seconds{method,route,status}`: a histogram of request latency, labelled
  by the **route template** (`/tickets/{no}`), never the raw path: ticket numbers as label values would
  make one time series per ticket and put them in the monitoring system. A request no route matched is
  `route="(unmatched)"`.
- `hotline_tickets{stage,card}`: open tickets by stage and card (A22), from the read model.
- `hotline_notices_outstanding{status}`: notices the outbox has not delivered (pending, dead_lettered, held).

The read-model gauges are counted at scrape time, at most once per `HOTLINE_METRICS_CACHE_SECONDS` (5):
several Prometheus servers scraping every few seconds cost two grouped counts per period. The registry
is the app's own (not the process-global one), so several apps in one process (the tests) never collide.

**Access:** `/metrics` answers only `Authorization: Bearer <HOTLINE_METRICS_TOKEN>` (compared in constant
time); unset, it is 404, as if absent. A scrape token opens the metrics and nothing else, unlike an
operator's credential; Prometheus sends it with `authorization: {credentials_file: …}`.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import unauthenticated
from api.errors import ApiError
from db.gauges import read_model_gauges

UNMATCHED = "(unmatched)"
# Seconds: the API's own answers are milliseconds; an action waits on a workflow update (up to the RPC
# timeout, 10 s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ApiMetrics:
    def __init__(self, cache_seconds: float, token: SecretStr | None) -> None:
        self.token = token
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "hotline_http_request_duration_seconds",
            "API request latency by route template.",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.tickets = Gauge(
            "hotline_tickets",
            "Open tickets by stage and card (A22), from the read model.",
            ["stage", "card"],
            registry=self.registry,
        )
        self.notices = Gauge(
            "hotline_notices_outstanding",
            "Notices not yet delivered, by outbox status.",
            ["status"],
            registry=self.registry,
        )
        self.cache_seconds = cache_seconds
        self._refreshed_at: float | None = None

    async def refresh(self, session_maker: async_sessionmaker[AsyncSession]) -> None:
        now = time.monotonic()
        if self._refreshed_at is not None and now - self._refreshed_at < self.cache_seconds:
            return
        tickets, notices = await read_model_gauges(session_maker)
        for (stage, card), n in tickets.items():
            self.tickets.labels(stage=stage, card=card).set(n)
        for status, n in notices.items():
            self.notices.labels(status=status).set(n)
        self._refreshed_at = now

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method=method, route=route, status=str(status)).observe(seconds)


def route_template(scope: Scope) -> str:
    """The path pattern the request matched (`/tickets/{no}`), set by the router on the scope."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return UNMATCHED
    root = scope.get("root_path", "")
    return str(root + path) if root and not path.startswith(root) else str(path)


class LatencyMiddleware:
    """Times every HTTP request from its first byte in to its last byte out, labelled by route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry: ApiMetrics = request.app.state.metrics
    token = registry.token
    if token is None:
        raise ApiError(404, "NOT_FOUND", "no such path")
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), expected):
        raise unauthenticated("send `Authorization: Bearer <HOTLINE_METRICS_TOKEN>`")
    await registry.refresh(request.app.state.runtime.session_maker)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
