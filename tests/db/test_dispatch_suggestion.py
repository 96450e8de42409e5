"""A14 派单目录 (issue 14, must-show 5): the suggestion is right wherever the catalogue covers the matter, and
says "no suggestion" where it does not, over ≥ 50 registrations as callers word them (tests/db/dispatch_support.py),
on the demo's catalogue stored in the database (SQLite, and PostgreSQL when configured): the same code the
API's `POST /registrations/dispatch-suggestion` runs (api/dispatch_advice.py `make_suggestion`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import delete, select

from api.auth import Caller, Role
from api.dispatch_advice import make_suggestion
from db.catalogue import put_entries, record_change, seed_catalogue
from db.catalogue_models import AreaRow, DispatchSuggestionRow
from domain.dispatch_catalogue import SuggestionReason
from operations.credentials import create_unit, deactivate_unit, issue_credential
from operations.demo import DEMO_DISPATCH, DEMO_UNITS
from tests.db.dispatch_support import CASES
from tests.db.support import Sessions

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


async def _demo_catalogue(sessions: Sessions) -> Caller:
    """The demo's units, the seeded areas and matter types, the demo's entries; an operator to ask."""
    for unit_id, name, tier, kind, parent in DEMO_UNITS:
        await create_unit(sessions, unit_id=unit_id, name=name, tier=tier, kind=kind, parent_id=parent)
    await seed_catalogue(sessions)
    await put_entries(sessions, DEMO_DISPATCH, NOW)
    issued = await issue_credential(sessions, role="operator", name="话务员")
    return Caller(
        credential_id=issued.id, role=Role.OPERATOR, name="话务员", unit_id=None, confidential_clearance=False
    )


async def test_the_suggestion_is_right_wherever_the_catalogue_covers_the_matter_a14(
    sessions: Sessions,
) -> None:
    operator = await _demo_catalogue(sessions)
    assert len(CASES) >= 50
    wrong: list[str] = []
    covered = 0
    started = time.perf_counter()
    async with sessions.begin() as session:  # one transaction: the API commits each, which costs the same
        shown = [await make_suggestion(session, operator, *case[:3], NOW) for case in CASES]
    for (matter, location, content, lead, co_units, area), (_, _, where, found) in zip(
        CASES, shown, strict=True
    ):
        got = (where.area_id, found.lead_unit, found.co_units)
        if got != (area, lead, co_units):
            wrong.append(
                f"{matter} {location!r} {content[:12]!r}: got {got}, expected {(area, lead, co_units)}"
            )
        # "No suggestion" is said as such, never as a lead nobody chose.
        assert (found.reason == SuggestionReason.COVERED) == (lead is not None)
        covered += lead is not None
    elapsed = time.perf_counter() - started
    print(
        f"\ndispatch suggestion: {len(CASES) - len(wrong)}/{len(CASES)} right "
        f"({covered} covered, {len(CASES) - covered} not covered), {elapsed / len(CASES) * 1000:.2f} ms each"
    )
    assert not wrong, "\n".join(wrong)
    async with sessions() as session:
        stored = list(await session.scalars(select(DispatchSuggestionRow)))
    # Each one stored as shown, for the registration to name and the override report to count.
    assert len(stored) == len(CASES) and all(r.ticket_no is None and r.catalogue_revision > 0 for r in stored)


async def test_a_deactivated_lead_is_no_suggestion_and_a_deactivated_co_unit_is_left_out_a6(
    sessions: Sessions,
) -> None:
    """A unit taken off the hotline receives nothing: the catalogue does not fall through to a broader entry
    (the office must correct the entry), and a co-unit taken off is dropped."""
    operator = await _demo_catalogue(sessions)
    await deactivate_unit(sessions, "SG-POWER", NOW)
    async with sessions.begin() as session:
        _, _, _, power = await make_suggestion(session, operator, "050402", "武江区", "停电", NOW)
        _, _, _, lights = await make_suggestion(session, operator, "050101", "武江区", "路灯不亮", NOW)
    assert power.reason == SuggestionReason.LEAD_DEACTIVATED and power.lead_unit is None
    assert (power.entry_matter_code, power.entry_area_id) == ("050402", "440200")
    assert (lights.lead_unit, lights.co_units) == ("WJ", ["WJ-URBAN"])


async def test_the_catalogue_is_seeded_once_and_what_the_office_deleted_stays_deleted(
    sessions: Sessions,
) -> None:
    assert await seed_catalogue(sessions) is True
    async with sessions.begin() as session:
        await session.execute(delete(AreaRow).where(AreaRow.id == "440232-daqiao"))
        await record_change(
            session, at=NOW, credential_id=None, subject="area", key="440232-daqiao", before={}, after=None
        )
    assert await seed_catalogue(sessions) is False  # at start-up again, or `operations seed-catalogue`
    async with sessions() as session:
        assert await session.get(AreaRow, "440232-daqiao") is None
        assert await session.get(AreaRow, "440224-daqiao") is not None
