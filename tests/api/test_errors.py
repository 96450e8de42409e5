"""Errors map to HTTP in one place (api/errors.py): every body has a code, a message and, where a rule
decided it, the rule; 404 for a ticket the caller may not see; 503 when a dependency does not answer;
never a 500 (tests/api/support.py `serving` fails any test that receives one)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.session import make_engine, make_session_maker
from tests.api.support import Api, api_settings, error, registration_body

UNKNOWN = "GD12345-20260101-DEADBEEF"


async def test_authentication(api: Api) -> None:
    missing = await api.get("/tickets", as_=None)
    assert error(missing) == (401, "UNAUTHENTICATED", None)
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    bad = await api.get("/tickets", as_=None, headers={"Authorization": "Bearer not-a-token"})
    assert error(bad)[:2] == (401, "UNAUTHENTICATED")


async def test_invalid_input_names_the_fields(api: Api) -> None:
    response = await api.post(
        "/tickets", registration_body(content="", received_at="2026-11-26T10:00:00", colour="red")
    )
    status, code, _ = error(response)
    assert (status, code) == (422, "INVALID_INPUT")
    fields = {tuple(e["loc"]) for e in response.json()["errors"]}
    # An empty content, a datetime without its offset (no instant), a field the API does not know.
    assert {("body", "content"), ("body", "received_at"), ("body", "colour")} <= fields
    assert error(await api.post("/tickets", registration_body(category="gossip")))[:2] == (
        422,
        "INVALID_INPUT",
    )
    bad_number = await api.get("/tickets/not a ticket!")
    assert error(bad_number)[:2] == (422, "INVALID_INPUT")
    assert error(await api.get("/tickets", params={"limit": 0}))[:2] == (422, "INVALID_INPUT")
    # A number is not an instant here, though pydantic would read it as a Unix time.
    assert error(await api.get("/tickets", params={"due_before": "0.5"}))[:2] == (422, "INVALID_INPUT")
    not_text = await api.http.post(
        "/tickets", content=b"\xff\xfe", headers=api.auth("operator") | {"Content-Type": "application/json"}
    )
    assert error(not_text)[:2] == (422, "INVALID_INPUT")
    not_json = await api.http.post(
        "/tickets", content=b"{", headers=api.auth("operator") | {"Content-Type": "application/json"}
    )
    assert error(not_json)[:2] == (422, "INVALID_INPUT")


async def test_references_must_exist(api: Api) -> None:
    assert error(await api.post("/tickets", registration_body(dispatch_to="NOWHERE"))) == (
        422,
        "UNKNOWN_UNIT",
        None,
    )
    assert error(await api.post("/knowledge-points", {"title": "t", "body": "b", "unit_id": "NOWHERE"})) == (
        422,
        "UNKNOWN_UNIT",
        None,
    )
    assert error(await api.post("/tickets", registration_body(rule_set_id="county-999999"))) == (
        422,
        "UNKNOWN_RULE_SET",
        "A33",
    )
    no = (await api.register(dispatch_to=None))["ticket_no"]
    review = await api.post(
        f"/tickets/{no}/returns/R1/review",
        {"approve": False, "ground": "A16.6", "reason": "知识库已有", "knowledge_point_id": "kp-0"},
    )
    assert error(review) == (422, "UNKNOWN_KNOWLEDGE_POINT", "A16.6")


async def test_an_unknown_ticket_is_404_everywhere(api: Api) -> None:
    assert error(await api.get(f"/tickets/{UNKNOWN}")) == (404, "TICKET_NOT_FOUND", None)
    assert error(await api.post(f"/tickets/{UNKNOWN}/dispatch", {"lead_unit": "WJ-URBAN"}))[:2] == (
        404,
        "TICKET_NOT_FOUND",
    )
    assert error(await api.post(f"/coordinations/{UNKNOWN}/1/designate", {"lead_unit": "WJ-URBAN"}))[:2] == (
        404,
        "TICKET_NOT_FOUND",
    )
    rating = await api.post(
        f"/public/tickets/{UNKNOWN}/rating",
        {"handling": ["satisfied"]},
        as_=None,
        headers={"X-Rating-Code": "x"},
    )
    assert error(rating)[:2] == (404, "TICKET_NOT_FOUND")
    assert error(await api.get("/no-such-page"))[:2] == (404, "NOT_FOUND")
    not_allowed = await api.http.delete("/units")
    assert error(not_allowed)[:2] == (405, "METHOD_NOT_ALLOWED")
    assert not_allowed.headers["Allow"] == "GET, POST"  # both routes of the path, not only the first


async def test_verdicts_map_to_409_422_and_404(api: Api) -> None:
    no = (await api.register(dispatch_to=None))["ticket_no"]
    # 422: the action itself is malformed (domain INVALID).
    same = await api.post(f"/tickets/{no}/dispatch", {"lead_unit": "WJ-URBAN", "co_units": ["WJ-URBAN"]})
    assert error(same) == (422, "LEAD_ALSO_CO_UNIT", "A14")
    # 409: the stage does not allow it (domain CONFLICT).
    early = await api.post(f"/tickets/{no}/closure/review", {"approve": True})
    assert error(early) == (409, "STAGE_FORBIDS_ACTION", "A20")
    consultation_only = await api.post(f"/tickets/{no}/answer", {"answer": "..."})
    assert error(consultation_only) == (409, "ONLY_CONSULTATION_ANSWERED_AT_ONCE", "A12")
    # 403: a role that can never do this, whatever the ticket (it reveals nothing about the id).
    assert error(await api.post(f"/tickets/{no}/dispatch", {"lead_unit": "WJ-URBAN"}, as_="urban"))[:2] == (
        403,
        "FORBIDDEN",
    )
    assert error(await api.post(f"/tickets/{UNKNOWN}/dispatch", {"lead_unit": "WJ-URBAN"}, as_="urban"))[
        :2
    ] == (403, "FORBIDDEN")
    assert error(await api.get("/knowledge-points", as_="integrator"))[:2] == (403, "FORBIDDEN")
    # Domain NOT_YOURS: a co-unit sees the ticket but may not act as its lead: 403, since it knows the
    # ticket exists; a unit not involved hears 404, as for a ticket that does not exist.
    await api.act(no, "dispatch", {"lead_unit": "WJ-URBAN", "co_units": ["WJ-POWER"]})
    assert error(await api.post(f"/tickets/{no}/sign-for", as_="power"))[:2] == (403, "NOT_YOUR_ACTION")
    assert error(await api.post(f"/tickets/{no}/sign-for", as_="zhenjiang"))[:2] == (404, "TICKET_NOT_FOUND")
    await api.act(no, "sign-for", as_="urban")
    again = await api.post(f"/tickets/{no}/sign-for", as_="urban")
    assert error(again)[:2] == (409, "STAGE_FORBIDS_ACTION")


async def test_temporal_not_answering_is_503(
    ts_env: WorkflowEnvironment, session_maker: async_sessionmaker[AsyncSession], api: Api
) -> None:
    """No worker polls this task queue: the workflow starts but never answers a query or an update."""
    app = create_app(
        api_settings(f"no-worker-{uuid.uuid4()}", temporal_rpc_timeout_seconds=1.0),
        client=ts_env.client,
        session_maker=session_maker,
        clock=ts_env.get_current_time,
    )
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as http,
    ):
        auth = api.auth("operator")
        created = await http.post("/tickets", json=registration_body(dispatch_to=None), headers=auth)
        assert created.status_code == 201
        no = created.json()["ticket_no"]
        read = await http.get(f"/tickets/{no}", headers=auth)
        assert error(read)[:2] == (503, "TEMPORAL_UNAVAILABLE") and read.headers["Retry-After"]
        dispatch = await http.post(f"/tickets/{no}/dispatch", json={"lead_unit": "WJ-URBAN"}, headers=auth)
        assert error(dispatch)[:2] == (503, "TEMPORAL_UNAVAILABLE")


async def test_temporal_down_at_start_up_is_503_not_a_crash(
    session_maker: async_sessionmaker[AsyncSession], api: Api
) -> None:
    settings = api_settings("unused", temporal_address="127.0.0.1:1", temporal_rpc_timeout_seconds=1.0)
    app = create_app(settings, session_maker=session_maker)
    async with (
        LifespanManager(app, startup_timeout=10),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as http,
    ):
        response = await http.get(f"/tickets/{UNKNOWN}", headers=api.auth("operator"))
        assert error(response)[:2] == (503, "TEMPORAL_UNAVAILABLE")
        health = await http.get("/healthz")
        assert (
            error(health)[:2] == (503, "UNAVAILABLE") and "temporal: unavailable" in health.json()["message"]
        )


async def test_the_database_not_answering_is_503(
    ts_env: WorkflowEnvironment, tmp_path: Path, api: Api
) -> None:
    (tmp_path / "a-directory.db").mkdir()  # SQLite cannot open a directory: every query fails
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'a-directory.db'}")
    app = create_app(api_settings("unused"), client=ts_env.client, session_maker=make_session_maker(engine))
    try:
        async with (
            LifespanManager(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as http,
        ):
            response = await http.get("/tickets", headers=api.auth("operator"))
            assert error(response)[:2] == (503, "DATABASE_UNAVAILABLE")
            assert error(await http.get("/healthz"))[:2] == (503, "UNAVAILABLE")
    finally:
        await engine.dispose()


async def test_an_unexpected_error_is_503_never_500(api: Api) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug")

    api.app.add_api_route("/broken", broken)
    api.allow_unavailable = True
    assert error(await api.http.get("/broken"))[:2] == (503, "UNAVAILABLE")


async def test_health(api: Api) -> None:
    response = await api.http.get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}
