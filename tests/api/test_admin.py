"""The hotline office's reference data through the API: units (A6), knowledge points (A28, A16.6), holiday
calendars ("Counting time"), rule sets (A17.4, A33) and restricted callers (A11); and the operations CLI."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config import get_settings
from db.api_models import CredentialRow, IdempotencyKeyRow, UnitRow
from db.models import CalendarYearRow
from db.session import create_schema, make_engine, make_session_maker
from operations.__main__ import main as operations_cli
from operations.credentials import digest
from tests.api.support import Api, at


async def test_units_form_three_tiers(api: Api) -> None:
    town = {"id": "WJ-POWER-CJ", "name": "车站供电所", "tier": 3, "parent_id": "WJ-POWER", "kind": "utility"}
    created = await api.post("/units", town)
    assert created.status_code == 201 and created.json()["parent_id"] == "WJ-POWER"
    assert (await api.post("/units", town)).json()["code"] == "UNIT_EXISTS"
    upward = await api.post("/units", town | {"id": "WJ-X", "tier": 2, "parent_id": "WJ-URBAN-XH"})
    assert (upward.status_code, upward.json()["code"], upward.json()["rule"]) == (422, "PARENT_TIER", "A6")
    assert (await api.post("/units", town | {"id": "WJ-Y"}, as_="power")).status_code == 403

    below_power = (await api.get("/units", as_="power", params={"parent_id": "WJ-POWER"})).json()
    assert [u["id"] for u in below_power] == ["WJ-POWER-CJ"]
    # The new sub-unit is one the utility may forward to (A6).
    no = (await api.register(dispatch_to="WJ-POWER"))["ticket_no"]
    assert (await api.act(no, "forward", {"sub_unit": "WJ-POWER-CJ"}, as_="power"))[
        "forwarded_to"
    ] == "WJ-POWER-CJ"


async def test_knowledge_points_belong_to_the_uploading_unit(api: Api) -> None:
    uploaded = await api.post(
        "/knowledge-points", {"title": "路灯报修", "body": "路灯由供电局维护"}, as_="power"
    )
    assert uploaded.status_code == 201
    point = uploaded.json()
    assert point["unit_id"] == "WJ-POWER"
    # A16.6 weighs the upload time: it is the server's, now.
    assert abs(at(point["uploaded_at"]) - await api.now()) < timedelta(seconds=5)

    other = await api.post(
        "/knowledge-points", {"title": "t", "body": "b", "unit_id": "WJ-URBAN"}, as_="power"
    )
    assert (other.status_code, other.json()["code"], other.json()["rule"]) == (422, "NOT_YOUR_UNIT", "A29")
    assert (await api.post("/knowledge-points", {"title": "t", "body": "b"})).json()[
        "code"
    ] == "UNIT_REQUIRED"
    assert (
        await api.post("/knowledge-points", {"title": "t", "body": "b", "unit_id": "WJ-URBAN"})
    ).status_code == 201

    page = (await api.get("/knowledge-points", as_="urban", params={"unit_id": "WJ-POWER"})).json()
    assert (page["total"], page["items"][0]["id"]) == (1, point["id"])


async def test_a_holiday_notice_replans_open_tickets(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    await api.listed(no, (await api.ticket(no))["revision"])  # the read model knows the ticket is open
    year = (await api.now()).year + 1
    notice = {
        "year": year,
        "holidays": [f"{year}-01-01"],
        "adjusted_workdays": [],
        "source": "国办发明电 test",
    }

    loaded = await api.post("/calendar/years", notice)
    assert loaded.status_code == 201
    assert loaded.json()["tickets_replanned"] >= 1
    years = (await api.get("/calendar/years", as_="urban")).json()
    assert next(y for y in years if y["year"] == year)["holidays"] == [f"{year}-01-01"]
    # Sent again, it would rewrite every open ticket's deadlines: only as an explicit correction.
    again = await api.post("/calendar/years", notice | {"holidays": []})
    assert (again.status_code, again.json()["code"]) == (409, "YEAR_ALREADY_LOADED")
    assert next(y for y in (await api.get("/calendar/years")).json() if y["year"] == year)["holidays"] == [
        f"{year}-01-01"
    ]
    corrected = await api.post("/calendar/years", notice | {"holidays": [f"{year}-01-02"], "replace": True})
    assert corrected.status_code == 201, corrected.text
    # A notice that contradicts itself is the caller's mistake.
    both = await api.post(
        "/calendar/years", notice | {"adjusted_workdays": [f"{year}-01-01"], "replace": True}
    )
    assert (both.status_code, both.json()["code"]) == (422, "INVALID_INPUT")
    assert (await api.post("/calendar/years", notice, as_="urban")).status_code == 403


async def test_rule_sets_are_versioned(api: Api) -> None:
    county = (await api.get("/rule-sets", as_="urban")).json()[0]["rule_set"] | {
        "id": "county-440203",
        "version": 1,
        "title": "武江区细则",
        "basis": "A33",
    }
    assert (await api.post("/rule-sets", county)).status_code == 201
    assert (await api.post("/rule-sets", county)).status_code == 201  # the same version again: a no-op
    changed = await api.post("/rule-sets", county | {"restriction_days": 10})
    assert (changed.status_code, changed.json()["code"]) == (409, "RULE_SET_VERSION_EXISTS")

    created = await api.register(dispatch_to="WJ-URBAN", rule_set_id="county-440203")
    assert (await api.ticket(created["ticket_no"]))["rule_set"] == "county-440203@1"


async def test_a_restricted_caller_is_not_accepted(api: Api) -> None:
    restricted = await api.post("/restrictions", {"phone": "13800000000", "reason": "多次辱骂话务员"})
    assert restricted.status_code == 201
    # A11: 30 natural days from now in the city's rules.
    assert abs(at(restricted.json()["until"]) - (await api.now() + timedelta(days=30))) < timedelta(seconds=5)

    created = (
        await api.post(
            "/tickets",
            {
                "channel": "phone",
                "category": "complaint",
                "content": "又来了",
                "requester": {"phone": "13800000000"},
            },
        )
    ).json()
    no, ticket = created["ticket_no"], created["ticket"]
    # The registration answers with the verdict the records gave (A11), not a ticket still to screen.
    assert (ticket["stage"], ticket["not_accepted_reason"]) == ("not_accepted", "A11")
    # The workflow has ended: further actions are refused, not lost.
    late = await api.post(f"/tickets/{no}/dispatch", {"lead_unit": "WJ-URBAN"})
    assert (late.status_code, late.json()["code"]) == (409, "STAGE_FORBIDS_ACTION")


async def test_a_restriction_holds_however_the_number_is_written(api: Api) -> None:
    """A11: the number is kept and matched in one spelling: spaces, dashes and +86 do not dodge it."""
    restricted = await api.post("/restrictions", {"phone": "+86 134-0000-5555", "reason": "威胁话务员"})
    assert (restricted.status_code, restricted.json()["phone"]) == (201, "13400005555")
    for spelling in ("13400005555", "134 0000 5555", "+8613400005555", "0086 13400005555"):
        body = {
            "channel": "phone",
            "category": "complaint",
            "content": "又来了",
            "requester": {"phone": spelling},
        }
        ticket = (await api.post("/tickets", body)).json()["ticket"]
        assert (ticket["stage"], ticket["not_accepted_reason"]) == ("not_accepted", "A11"), spelling


async def test_the_operations_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    await create_schema(engine)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:

        async def run(*args: str) -> int:
            # The CLI runs its own event loop: call it in a thread, as a shell would in another process.
            return await asyncio.to_thread(operations_cli, list(args))

        assert (
            await run(
                "create-unit", "--id", "SG-WATER", "--name", "供水公司", "--tier", "2", "--kind", "utility"
            )
            == 0
        )
        assert (
            await run(
                "create-unit", "--id", "SG-WATER-N", "--name", "北区", "--tier", "3", "--parent", "SG-WATER"
            )
            == 0
        )
        assert await run("create-unit", "--id", "SG-WATER-N", "--name", "again", "--tier", "3") == 2
        assert (
            await run("issue-credential", "--role", "unit_staff", "--unit", "SG-WATER-N", "--name", "clerk")
            == 0
        )
        out = capsys.readouterr().out
        token = out.split("credential 1: ")[1].split()[0]
        assert await run("issue-credential", "--role", "unit_staff", "--name", "nobody") == 2

        notice = tmp_path / "notice.json"
        notice.write_text(json.dumps({"year": 2030, "holidays": ["2030-01-01"], "adjusted_workdays": []}))
        # Temporal is not running here: refused before anything is stored.
        monkeypatch.setenv("HOTLINE_TEMPORAL_ADDRESS", "127.0.0.1:1")
        get_settings.cache_clear()
        assert await run("load-calendar", str(notice)) == 1

        sessions = make_session_maker(engine)
        async with sessions() as session:
            units = {u.id: u.parent_id for u in await session.scalars(select(UnitRow))}
            credential = await session.scalar(select(CredentialRow))
            assert await session.get(CalendarYearRow, 2030) is None
        assert units == {"SG-WATER": None, "SG-WATER-N": "SG-WATER"}
        # Only the digest is stored; the token printed once is the one that matches it.
        assert credential is not None and credential.token_hash == digest(token) != token
        assert credential.unit_id == "SG-WATER-N"

        # Idempotency-Keys past the retention are forgotten; a key of the last hour is kept.
        async with sessions.begin() as session:
            for key, age in (("old", timedelta(days=8)), ("new", timedelta(minutes=5))):
                session.add(
                    IdempotencyKeyRow(
                        key=key,
                        scope="register:1",
                        request_hash="0" * 64,
                        ticket_no=None,
                        payload={},
                        created_at=datetime.now(UTC) - age,
                    )
                )
        capsys.readouterr()
        assert await run("purge-idempotency-keys") == 0
        assert capsys.readouterr().out.startswith("1 Idempotency-Keys older than 168 hours forgotten")
        assert await run("purge-idempotency-keys", "--older-than-hours", "0") == 1
        async with sessions() as session:
            assert list(await session.scalars(select(IdempotencyKeyRow.key))) == ["new"]
    finally:
        get_settings.cache_clear()
        await engine.dispose()
