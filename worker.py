"""Runs the ticket worker: workflows, coordination and the activities, from settings (HOTLINE_*)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

import hotline_logging
from activities.hotline import HotlineActivities
from config import Settings, get_settings
from db.session import make_engine, make_session_maker
from workflows.coordination import CoordinationWorkflow
from workflows.search_attributes import ensure_registered
from workflows.ticket import TicketWorkflow

log = logging.getLogger("hotline.worker")

WORKFLOWS: Sequence[type] = (TicketWorkflow, CoordinationWorkflow)


async def connect(settings: Settings) -> Client:
    # One data converter everywhere: API client, worker, tests and the Replayer (STYLE pattern 4).
    return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace,
                                data_converter=pydantic_data_converter)


def build_worker(client: Client, session_maker: async_sessionmaker[AsyncSession], task_queue: str,
                 **options: object) -> Worker:
    activities = HotlineActivities(session_maker)
    return Worker(client, task_queue=task_queue, workflows=list(WORKFLOWS),
                  activities=[activities.open_ticket, activities.plan_deadlines, activities.project_ticket],
                  **options)  # type: ignore[arg-type]


async def main() -> None:
    settings = get_settings()
    hotline_logging.configure(settings.log_level)
    client = await connect(settings)
    await ensure_registered(client)
    engine = make_engine(settings.database_url)
    worker = build_worker(client, make_session_maker(engine), settings.task_queue)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %s at %s", settings.task_queue, settings.temporal_address)
    async with worker:
        await stop.wait()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
