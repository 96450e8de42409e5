"""Runs the ticket worker: workflows, coordination and the activities, from settings (HOTLINE_*)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import hotline_logging
from activities.hotline import HotlineActivities
from activities.linkage import LinkageActivities
from activities.reconcile import reconcile_forever
from activities.units import UnitDirectory
from config import Settings, get_settings
from db.gauges import read_model_gauges
from db.session import make_engine, make_session_maker
from delivery.dispatcher import Dispatcher
from workflows.converter import hotline_data_converter
from workflows.coordination import CoordinationWorkflow
from workflows.linkage import LinkageWorkflow
from workflows.search_attributes import ensure_registered
from workflows.ticket import TicketWorkflow

log = logging.getLogger("hotline.worker")

WORKFLOWS: Sequence[type] = (TicketWorkflow, CoordinationWorkflow, LinkageWorkflow)


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    # One data converter everywhere: API client, worker, tests and the Replayer (STYLE pattern 4);
    # payloads encrypted (workflows/converter.py).
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=hotline_data_converter(settings),
        runtime=runtime,
    )


def telemetry(address: str) -> Runtime | None:
    """A Temporal runtime whose core serves Prometheus at `address`/metrics: the SDK's own metrics (workflow
    and activity task latencies, slots, polls, sticky cache, requests to the server) and what the worker
    adds through its meter (`publish_read_model_gauges`). One runtime per process, passed to the client.

    An address already taken (a second worker on the host with the same setting) costs that worker its
    metrics, never its tickets: it logs and runs without the exporter."""
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    except ValueError as err:
        log.warning("worker metrics off: %s (set HOTLINE_WORKER_METRICS_ADDRESS per worker)", err)
        return None


class ReadModelGauges:
    """The read model's gauges on the worker's Prometheus endpoint, through the SDK's meter, so that one
    scrape of the worker gives Temporal's metrics and the tickets and notices they drive together."""

    def __init__(self, meter: MetricMeter, session_maker: async_sessionmaker[AsyncSession]) -> None:
        self._session_maker = session_maker
        self._tickets = meter.create_gauge("hotline_tickets", "Open tickets by stage and card (A22).")
        self._notices = meter.create_gauge("hotline_notices_outstanding", "Notices not yet delivered.")

    async def publish(self) -> None:
        tickets, notices = await read_model_gauges(self._session_maker)
        for (stage, card), n in tickets.items():
            self._tickets.set(n, {"stage": stage, "card": card})
        for status, n in notices.items():
            self._notices.set(n, {"status": status})

    async def publish_forever(self, interval_seconds: float) -> None:
        while True:
            try:
                await self.publish()
            except Exception:  # the database away: the gauges keep their last values, the worker runs on
                log.warning("read-model gauges not refreshed", exc_info=True)
            await asyncio.sleep(interval_seconds)


def workflow_runner(*, strict_sandbox: bool) -> SandboxedWorkflowRunner:
    """The sandbox, strict or with the workflow modules passed through.

    Strict (the SDK's default), the sandbox imports `workflows/ticket.py` afresh for every workflow it
    creates: a new ticket, and every ticket woken after eviction from the cache, which replays its history.
    That import (26 update definitions checked, the class built) was a fifth of the worker's CPU during
    intake (bench B1, py-spy) and most of a cached ticket's memory (B3). Passed through, the module is
    imported once, like `domain/` and pydantic already are; the sandbox still isolates each workflow's state
    and still restricts what the passed-through code cannot reach by itself (a workflow's own `open()`,
    `datetime.now()` via a restricted module imported inside it). What it no longer checks is a forbidden
    call written in the workflow module itself: the test tier runs the strict sandbox (tests/conftest.py)
    so that such a call fails the tests before it reaches a worker."""
    if strict_sandbox:
        return SandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
    )


def build_worker(
    client: Client,
    session_maker: async_sessionmaker[AsyncSession],
    task_queue: str,
    *,
    strict_sandbox: bool = True,
    activities: HotlineActivities | None = None,
    rating_by_message: bool = False,
    **options: object,
) -> Worker:
    # `activities`: the tests' own instance (one that holds an opening, tests/api/test_attack_opening.py).
    activities = activities or HotlineActivities(session_maker, rating_by_message=rating_by_message)
    lines = LinkageActivities(session_maker)
    directory = UnitDirectory(session_maker)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=[
            activities.open_ticket,
            activities.plan_deadlines,
            activities.project_ticket,
            lines.hand_over_to_line,
            lines.tell_line_result,
            directory.describe_units,
        ],
        workflow_runner=workflow_runner(strict_sandbox=strict_sandbox),
        **options,
    )  # type: ignore[arg-type]


async def main() -> None:
    settings = get_settings()
    hotline_logging.configure(settings.log_level)
    runtime = telemetry(settings.worker_metrics_address) if settings.worker_metrics_address else None
    client = await connect(settings, runtime)
    await ensure_registered(client)
    engine = make_engine(settings.database_url)
    session_maker = make_session_maker(engine)
    gauges = (
        asyncio.create_task(
            ReadModelGauges(runtime.metric_meter, session_maker).publish_forever(
                settings.worker_metrics_interval_seconds
            )
        )
        if runtime is not None
        else None
    )
    worker = build_worker(
        client,
        session_maker,
        settings.task_queue,
        strict_sandbox=settings.worker_strict_sandbox,
        # A24: with an SMS gateway the rating request goes by message, its window from the receipt.
        rating_by_message=settings.sms_provider != "none",
        max_cached_workflows=settings.worker_max_cached_workflows,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %s at %s", settings.task_queue, settings.temporal_address)
    # The outbox's dispatcher (delivery/), unless it runs as its own process (`python -m operations deliver`).
    delivering = (
        asyncio.create_task(Dispatcher(settings, session_maker, client=client).run(stop))
        if settings.delivery_in_worker
        else None
    )
    # What start-up made (the workflow modules, SQLAlchemy, pydantic's models) is moved out of the cyclic
    # collector's reach: a full collection otherwise walks it all, ~100-200 ms with the GIL held, during
    # which no workflow task runs (B2, issue 17; api/app.py `_freeze_heap` does the same for the API).
    gc.collect()
    gc.freeze()
    async with worker:
        # Tickets terminated from Temporal UI or the CLI: marked in the read model (activities/reconcile.py).
        reconciler = asyncio.create_task(
            reconcile_forever(client, session_maker, settings.reconcile_interval_seconds)
        )
        await stop.wait()
        reconciler.cancel()
        if gauges is not None:
            gauges.cancel()
    if delivering is not None:
        await delivering
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
