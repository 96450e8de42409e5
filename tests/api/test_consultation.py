"""A9: a consultation meeting's decision on a major or difficult matter joins the ticket's timeline, and
its units are told (domain/stages/dispatch.py record_consultation and check_consultation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from db.models import NoticeRow
from domain.calendar import WorkingCalendar
from tests.api.support import Api, ticket_in


async def decision(api: Api, days_ago: int = 0) -> dict[str, Any]:
    """A meeting held today (Asia/Shanghai), or `days_ago`."""
    held_on = WorkingCalendar.local_date(await api.now()) - timedelta(days=days_ago)
    return {
        "meeting": "2026年第12次热线会商会议纪要",
        "held_on": held_on.isoformat(),
        "decision": "由城管局牵头，月底前整改",
    }


async def test_a_meetings_decision_joins_the_ticket_and_its_units_are_told(api: Api) -> None:
    no = (await api.register(co_units=["WJ-POWER"]))["ticket_no"]
    DECISION = await decision(api)
    response = await api.post(f"/tickets/{no}/consultations", DECISION)
    assert response.status_code == 200, response.text
    [event] = [e for e in response.json()["timeline"] if e["kind"] == "consultation_decided"]
    assert event["rule"] == "A9"
    assert (event["data"]["meeting"], event["data"]["held_on"], event["data"]["decision"]) == (
        DECISION["meeting"],
        DECISION["held_on"],
        DECISION["decision"],
    )
    # The lead, the co-unit and the office are told (the outbox the senders read).
    revision = (await api.ticket(no))["revision"]
    await api.listed(no, revision)
    async with api.session_maker() as session:
        told = set(
            await session.scalars(select(NoticeRow.recipient).where(NoticeRow.event_id == event["id"]))
        )
    assert told == {"unit:WJ-URBAN", "unit:WJ-POWER", "hotline"}
    # The lead sees the decision in its own view of the ticket.
    assert "consultation_decided" in [e["kind"] for e in (await api.ticket(no, as_="urban"))["timeline"]]


async def test_a_decision_needs_a_dispatched_ticket_and_the_office(api: Api) -> None:
    DECISION = await decision(api)
    registered = (await api.register(dispatch_to=None, co_units=[]))["ticket_no"]
    early = await api.post(f"/tickets/{registered}/consultations", DECISION)
    assert (early.status_code, early.json()["code"], early.json()["rule"]) == (
        409,
        "STAGE_FORBIDS_ACTION",
        "A9",
    )
    no = (await api.register())["ticket_no"]
    assert (await api.post(f"/tickets/{no}/consultations", DECISION, as_="urban")).status_code == 403
    blank = await api.post(f"/tickets/{no}/consultations", DECISION | {"decision": "  "})
    assert (blank.status_code, blank.json()["code"]) == (422, "INVALID_INPUT")
    assert [e["kind"] for e in (await api.ticket(no))["timeline"]].count("consultation_decided") == 0


async def test_a_concluded_matter_may_still_be_decided_on(api: Api) -> None:
    """A9 with A21: a concluded ticket can still take supplementary answers, so a meeting may decide on it
    (domain/stages/dispatch.py check_consultation refuses only registered, not-accepted and archived tickets)."""
    concluded = await ticket_in(api, "concluded")
    response = await api.post(f"/tickets/{concluded.no}/consultations", await decision(api))
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "concluded"
    assert [e["kind"] for e in response.json()["timeline"]].count("consultation_decided") == 1


async def test_the_meeting_was_held_between_registration_and_today(api: Api) -> None:
    """A9: a decision recorded on a ticket comes from a meeting held after it was registered, and not in
    the future (Asia/Shanghai days): MEETING_DATE_OUT_OF_RANGE, nothing recorded."""
    no = (await api.register())["ticket_no"]
    for held_on in (
        (await decision(api, days_ago=1))["held_on"],
        (await decision(api, days_ago=-1))["held_on"],
    ):
        refused = await api.post(f"/tickets/{no}/consultations", await decision(api) | {"held_on": held_on})
        assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
            422,
            "MEETING_DATE_OUT_OF_RANGE",
            "A9",
        )
    assert "consultation_decided" not in [e["kind"] for e in (await api.ticket(no))["timeline"]]
    await api.env.sleep(timedelta(days=3))
    accepted = await api.post(f"/tickets/{no}/consultations", await decision(api, days_ago=2))
    assert accepted.status_code == 200, accepted.text
