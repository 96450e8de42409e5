"""Issue 3, must-show 5: schemathesis over the OpenAPI document, inside the suite.

The real app is served over HTTP (uvicorn) with a real worker on a time-skipping server of its own, all in a
background thread with its own event loop: schemathesis calls synchronously, and the app, the worker and
the Temporal client must share one loop. Every operation is fuzzed as an operator and as the lead unit's
staff, with valid and invalid data; path parameters are often real tickets in several stages (and their
return, supplement and coordination ids), so the requests reach the workflows, not only the 404 branch.

Checked: no 5xx; the status code, the content type and the body are the ones the document declares.
Business refusals (409/422) are expected answers, so positive_data_acceptance is not among the checks.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import hypothesis.strategies as st
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from tests.api.support import api_settings, serving, ticket_in
from tests.driver import own_time_skipping_server
from tests.support import SQLITE, read_model

# Examples per operation and caller in the fuzzing phase (the examples and coverage phases add their own).
MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Tickets the path parameters may name: every stage a unit or the office acts in.
STAGES = (
    "registered",
    "dispatched",
    "handling",
    "return_review",
    "extension_review",
    "closure_review",
    "rating",
    "concluded",
    "supplement_requested",
    "coordinating",
    "supervised",
)
# Who calls: the office, and the lead unit's staff (support.CALLERS).
CALLERS = ("operator", "urban")

T = TypeVar("T")


@dataclass(frozen=True)
class Served:
    base_url: str
    document: dict[str, Any]
    tokens: dict[str, str]
    tickets: tuple[str, ...]


class BackgroundLoop:
    """An event loop in a thread: the hotline lives there while synchronous tests call it over HTTP."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hotline-under-test", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


async def _serve(stack: AsyncExitStack, folder: Path) -> Served:
    env = await stack.enter_async_context(own_time_skipping_server())
    sessions = await stack.enter_async_context(read_model(SQLITE, folder / "hotline.db"))
    api = await stack.enter_async_context(serving(env, sessions))
    # Walked there through the driver, whose every response is checked (support.serving): no 5xx on the way.
    tickets = tuple([(await ticket_in(api, stage)).no for stage in STAGES])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # The lifespan already ran (serving): uvicorn only carries requests to the same app.
    server = uvicorn.Server(uvicorn.Config(api.app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[listener]))

    async def stop() -> None:
        server.should_exit = True
        await task

    stack.push_async_callback(stop)
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
        await asyncio.sleep(0.01)
    return Served(f"http://127.0.0.1:{port}", api.app.openapi(), dict(api.tokens), tickets)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    background = BackgroundLoop()
    stack = AsyncExitStack()
    try:
        served = background.run(_serve(stack, tmp_path_factory.mktemp("schemathesis")))
        KNOWN_IDS["no"] = served.tickets
        yield served
    finally:
        try:
            background.run(stack.aclose())
        finally:
            background.close()


@pytest.fixture(params=CALLERS)
def auth(request: pytest.FixtureRequest, served: Served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served.tokens[request.param]}"}


# The document the app serves (an app without its lifespan is enough for that). Loaded eagerly: the
# fixture-loaded form (`schemathesis.pytest.from_fixture`) reads `Node._nodeid`, which pytest 9.2 removed.
schema = schemathesis.openapi.from_dict(create_app(api_settings("schemathesis")).openapi())
schema.config.update(request_timeout=30)
PERIOD = {"from": "2001-01-01T00:00:00+08:00", "to": "2199-01-01T00:00:00+08:00"}
# Filled by `served`, read while examples are drawn: the real ids a path parameter may take.
KNOWN_IDS: dict[str, tuple[Any, ...]] = {
    "return_id": ("R1",),
    "supplement_id": ("S1",),
    "order_id": ("S1",),
    "n": (1,),
}


@schema.hook("flatmap_path_parameters")
def real_ids(context: schemathesis.HookContext, parameters: dict[str, Any]) -> Any:
    """Half the time a real ticket (and its return R1, supplement S1, coordination 1), not a random id."""
    if not parameters:
        return st.just(parameters)
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.just(value), st.sampled_from(KNOWN_IDS[name]))
            if KNOWN_IDS.get(name)
            else st.just(value)
            for name, value in parameters.items()
        }
    )


@schema.hook("flatmap_query")
def real_periods(context: schemathesis.HookContext, query: dict[str, Any] | None) -> Any:
    """Half the time a period that holds the tickets, so the reports (A25–A27) answer with their bodies."""
    if not query or not {"from", "to"} & set(query):
        return st.just(query)
    return st.sampled_from([query, query | PERIOD])


@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@schema.parametrize()
def test_no_server_error_and_no_schema_violation(
    case: schemathesis.Case, served: Served, auth: dict[str, str]
) -> None:
    response = case.call(base_url=served.base_url, headers=auth)
    case.validate_response(response, checks=CHECKS)
