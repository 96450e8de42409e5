"""The app on `make run`'s demo (operations/demo.py, operations/demo_tickets.py): the demo's units, knowledge
points, credentials and tickets, a real worker on a time-skipping server, the app through httpx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.session import create_schema, make_engine, make_session_maker
from operations.demo import demo_tokens, seed_demo
from operations.demo_tickets import seed_demo_tickets
from tests.api.support import api_settings
from worker import build_worker


@dataclass
class Demo:
    app: FastAPI
    http: httpx.AsyncClient
    env: WorkflowEnvironment
    tokens: dict[str, str]
    requesters: dict[str, dict[str, str]]  # ticket no -> access_secret, rating_code

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@asynccontextmanager
async def serving_demo(env: WorkflowEnvironment, folder: Path) -> AsyncIterator[Demo]:
    url = f"sqlite+aiosqlite:///{folder / 'hotline.db'}"
    engine = make_engine(url)
    try:
        await create_schema(engine)
        await seed_demo(url, folder)
        maker = make_session_maker(engine)
        task_queue = f"demo-{uuid.uuid4()}"
        app = create_app(
            api_settings(task_queue), client=env.client, session_maker=maker, clock=env.get_current_time
        )
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test")
        async with build_worker(env.client, maker, task_queue), LifespanManager(app), http:
            tokens = demo_tokens(folder)
            requesters = await seed_demo_tickets(app, http, tokens)
            yield Demo(app=app, http=http, env=env, tokens=tokens, requesters=requesters)
    finally:
        await engine.dispose()
