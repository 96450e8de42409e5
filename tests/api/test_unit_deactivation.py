"""Finding 4 of the outside attack: a deleted unit's credentials kept working.

A unit is now deactivated (POST /units/{id}/deactivation, or `python -m operations deactivate-unit`): its
staff's tokens are refused at once, and it receives no new tickets, whichever way one would reach it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from api.auth import caller_for_token
from api.errors import ApiError
from config import get_settings
from db.session import create_schema, make_engine, make_session_maker
from operations.__main__ import main as operations_cli
from operations.credentials import UnitError, create_unit, issue_credential
from tests.api.support import Api, registration_body


async def test_a_deactivated_unit_loses_its_credentials_and_receives_no_tickets(api: Api) -> None:
    assert (await api.get("/tickets", as_="power")).status_code == 200  # WJ-POWER's staff, before
    assert (await api.post("/units/WJ-POWER/deactivation", as_="urban")).status_code == 403

    done = await api.post("/units/WJ-POWER/deactivation")
    assert done.status_code == 200, done.text
    assert done.json()["deactivated_at"] and done.json()["revoked_credentials"] == 1
    again = await api.post("/units/WJ-POWER/deactivation")
    assert again.status_code == 200 and again.json()["revoked_credentials"] == 0
    assert again.json()["deactivated_at"] == done.json()["deactivated_at"]

    # The token, at once: 401 with a code, on every route.
    for path in ("/tickets", "/units", "/knowledge-points"):
        refused = await api.get(path, as_="power")
        assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHENTICATED", (
            path,
            refused.text,
        )

    # No new ticket reaches it: as lead at registration, as co-unit, by dispatch.
    for overrides in ({"dispatch_to": "WJ-POWER"}, {"dispatch_to": "WJ-URBAN", "co_units": ["WJ-POWER"]}):
        response = await api.post("/tickets", registration_body(**overrides))
        assert response.status_code == 422 and response.json()["code"] == "UNIT_DEACTIVATED", response.text
    no = (await api.register(dispatch_to=None))["ticket_no"]
    dispatched = await api.refused(no, "dispatch", {"lead_unit": "WJ-POWER", "co_units": []})
    assert dispatched.status_code == 422 and dispatched.json()["code"] == "UNIT_DEACTIVATED"
    assert (await api.ticket(no))["stage"] == "registered"
    # Another unit still receives it.
    assert (await api.act(no, "dispatch", {"lead_unit": "WJ-URBAN", "co_units": []}))["stage"] == "dispatched"

    # Nor does it get new credentials, nor a sub-unit.
    with pytest.raises(UnitError) as issued:
        await issue_credential(api.session_maker, role="unit_staff", name="new clerk", unit_id="WJ-POWER")
    assert issued.value.code == "UNIT_DEACTIVATED"
    sub = await api.post("/units", {"id": "WJ-POWER-N", "name": "北区", "tier": 3, "parent_id": "WJ-POWER"})
    assert sub.status_code == 422 and sub.json()["code"] == "UNIT_DEACTIVATED", sub.text

    listed = {u["id"]: u["deactivated_at"] for u in (await api.get("/units")).json()}
    assert listed["WJ-POWER"] and listed["WJ-URBAN"] is None


async def test_an_unknown_unit_cannot_be_deactivated(api: Api) -> None:
    response = await api.post("/units/NO-SUCH-UNIT/deactivation")
    assert response.status_code == 404 and response.json()["code"] == "UNKNOWN_UNIT", response.text


async def test_the_operations_cli_deactivates_a_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    await create_schema(engine)
    sessions = make_session_maker(engine)
    await create_unit(sessions, unit_id="SG-WATER", name="供水公司", tier=2)
    staff = [await issue_credential(sessions, role="unit_staff", name=n, unit_id="SG-WATER") for n in "ab"]
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        assert await asyncio.to_thread(operations_cli, ["deactivate-unit", "--id", "SG-WATER"]) == 0
        assert "2 credentials revoked" in capsys.readouterr().out
        assert await asyncio.to_thread(operations_cli, ["deactivate-unit", "--id", "NOPE"]) == 2
        for credential in staff:
            with pytest.raises(ApiError) as refused:
                await caller_for_token(sessions, credential.token)
            assert (refused.value.status, refused.value.code) == (401, "UNAUTHENTICATED")
    finally:
        get_settings.cache_clear()
        await engine.dispose()
