"""The read model and the ticket activities, on SQLite and PostgreSQL (STYLE patterns 6 and 7)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from temporalio.exceptions import ApplicationError

from activities.hotline import HotlineActivities
from db.models import (
    CalendarYearRow,
    NoticeRow,
    RestrictedCallerRow,
    RuleSetRow,
    TicketRow,
    TimelineEventRow,
)
from db.seed import (
    load_calendar_year,
    load_rule_set,
    open_ticket_numbers,
    seed_reference_data,
)
from db.session import make_engine, make_session_maker
from domain.calendar import SHANGHAI, YearCalendar
from domain.commands import FileTerminationNotice
from domain.deadlines import PlanItem, PlanRequest
from domain.rulesets import CITY, NATIONAL, PROVINCIAL, county_rule_set, wd
from domain.ticket import OpeningFacts
from domain.vocabulary import Category, Channel, NotAcceptedReason, Stage
from operations.credentials import create_unit
from tests.db.support import RECEIVED, Sessions, count, registration, rows, run, snapshot, ticket_state
from tests.driver import OPERATOR

# -- reference data ------------------------------------------------------------------------------------


async def test_seeding_is_idempotent(sessions: Sessions) -> None:
    await seed_reference_data(sessions)
    first = await rows(sessions, CalendarYearRow), await rows(sessions, RuleSetRow)
    await seed_reference_data(sessions)

    assert (await rows(sessions, CalendarYearRow), await rows(sessions, RuleSetRow)) == first
    years = [r["year"] for r in first[0]]
    assert years == list(range(2004, 2027))
    # city@2 (A35 validity), provincial@2 (A17.4 the Guangdong figures), national@1.
    assert {(r["id"], r["version"]) for r in first[1]} == {("city", 2), ("provincial", 2), ("national", 1)}


async def test_seeding_keeps_a_corrected_year(sessions: Sessions) -> None:
    corrected = YearCalendar(year=2026, holidays=[date(2026, 1, 1)], adjusted_workdays=[], source="corrected")
    await load_calendar_year(sessions, corrected)
    await seed_reference_data(sessions)
    async with sessions() as session:
        stored = await session.get(CalendarYearRow, 2026)
    assert stored is not None and stored.to_year() == corrected


async def test_a_rule_set_version_is_immutable(sessions: Sessions) -> None:
    v2 = CITY.model_copy(update={"version": CITY.version + 1, "title": "city, 2027 figures"})
    await load_rule_set(sessions, v2)
    await load_rule_set(sessions, v2)  # the same content again: no-op

    with pytest.raises(ValueError, match=v2.key):
        await load_rule_set(sessions, v2.model_copy(update={"sign_for": wd(2)}))
    async with sessions() as session:
        stored = await session.get(RuleSetRow, ("city", v2.version))
    assert stored is not None and stored.to_rule_set() == v2


# -- open_ticket ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (Channel.PHONE, CITY),
        (Channel.WECHAT, CITY),
        (Channel.PROVINCIAL_PLATFORM, PROVINCIAL),  # A17.4
        (Channel.NATIONAL_PLATFORM, NATIONAL),  # A17.5
    ],
)
async def test_open_ticket_picks_the_rule_set_by_channel(
    sessions: Sessions, acts: HotlineActivities, channel: Channel, expected: Any
) -> None:
    await seed_reference_data(sessions)
    facts: OpeningFacts = await run(acts.open_ticket, registration(channel=channel))
    assert facts.rule_set == expected
    assert facts.refusal is None and facts.refusal_basis == ""


async def test_open_ticket_takes_the_latest_version(sessions: Sessions, acts: HotlineActivities) -> None:
    await seed_reference_data(sessions)
    newer = PROVINCIAL.model_copy(update={"version": 3, "title": "provincial, loaded later"})
    await load_rule_set(sessions, newer)
    facts = await run(acts.open_ticket, registration(channel=Channel.PROVINCIAL_PLATFORM))
    assert facts.rule_set == newer


async def test_open_ticket_uses_an_explicit_rule_set(sessions: Sessions, acts: HotlineActivities) -> None:
    county = county_rule_set("440203", "武江区 rules")  # A33
    await load_rule_set(sessions, county)
    await load_rule_set(sessions, county.model_copy(update={"version": 2, "sign_for": wd(2)}))

    facts = await run(acts.open_ticket, registration(rule_set_id="county-440203"))
    assert facts.rule_set.key == "county-440203@2"
    # An explicit id wins over the channel.
    facts = await run(acts.open_ticket, registration(channel=Channel.PROVINCIAL_PLATFORM, rule_set_id="city"))
    assert facts.rule_set == CITY


async def test_open_ticket_falls_back_to_the_domain_default(acts: HotlineActivities) -> None:
    # Nothing seeded: the code's default with that id.
    facts = await run(acts.open_ticket, registration(channel=Channel.NATIONAL_PLATFORM))
    assert facts.rule_set == NATIONAL


async def test_open_ticket_refuses_an_unknown_rule_set(sessions: Sessions, acts: HotlineActivities) -> None:
    await seed_reference_data(sessions)
    with pytest.raises(ApplicationError) as caught:
        await run(acts.open_ticket, registration(rule_set_id="county-999999"))
    assert caught.value.type == "UNKNOWN_RULE_SET"
    assert caught.value.non_retryable
    assert caught.value.details == ("county-999999",)


async def test_a18_a_terminated_matter_is_not_accepted(sessions: Sessions, acts: HotlineActivities) -> None:
    served = datetime(2026, 9, 30, 17, 30, tzinfo=UTC)  # 2026-10-01 01:30 in Shanghai
    notice = FileTerminationNotice(
        actor=OPERATOR,
        notice_ref="韶12345终字〔2026〕8号",
        prior_ticket_no="T-20260101-0007",
        served_at=served,
    )
    filed = ticket_state("T-20260915-0003", stage=Stage.CONCLUDED, termination=notice)
    await run(acts.project_ticket, filed)

    for repeat_of in ("T-20260915-0003", "T-20260101-0007"):  # the filing ticket or the earlier one
        facts = await run(acts.open_ticket, registration("T-20261005-0001", repeat_of=repeat_of))
        assert facts.refusal == NotAcceptedReason.TERMINATED_MATTER
        assert "韶12345终字〔2026〕8号" in facts.refusal_basis
        assert "2026-10-01" in facts.refusal_basis  # the day it was served, in Asia/Shanghai
        assert facts.rule_set == CITY

    other = await run(acts.open_ticket, registration("T-20261005-0002", repeat_of="T-20260202-0002"))
    assert other.refusal is None


async def test_a11_a_restricted_caller_is_not_accepted_until_the_restriction_ends(
    sessions: Sessions, acts: HotlineActivities
) -> None:
    async with sessions.begin() as session:
        session.add(
            RestrictedCallerRow(
                phone="13800000000",
                until=RECEIVED + timedelta(days=3),
                reason="abusive calls",
                created_at=RECEIVED - timedelta(days=27),
            )
        )

    facts = await run(acts.open_ticket, registration())
    assert facts.refusal == NotAcceptedReason.RESTRICTED_CALLER
    assert "abusive calls" in facts.refusal_basis and "2026-10-03 10:00" in facts.refusal_basis

    later = await run(acts.open_ticket, registration(received_at=RECEIVED + timedelta(days=3)))
    assert later.refusal is None  # `until` is exclusive: the restriction has ended
    # Another caller is not affected.
    assert (await run(acts.open_ticket, registration(requester={"phone": "13900000000"}))).refusal is None


# -- plan_deadlines ------------------------------------------------------------------------------------


def answer_plan(anchor: datetime) -> PlanRequest:
    return PlanRequest(items=[PlanItem(name="answer", anchor_at=anchor, period=wd(10))])


async def test_plan_deadlines_counts_across_national_day(sessions: Sessions, acts: HotlineActivities) -> None:
    await seed_reference_data(sessions)
    planned = await run(acts.plan_deadlines, answer_plan(RECEIVED))  # A17.2 complaint, 10 WD
    assert planned["answer"].due_at == datetime(2026, 10, 20, 16, 0, tzinfo=UTC)
    assert planned["answer"].provisional is False


async def test_plan_deadlines_sees_a_newly_loaded_year(sessions: Sessions, acts: HotlineActivities) -> None:
    await seed_reference_data(sessions)
    anchor = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)  # 10 WD runs into 2027

    before = (await run(acts.plan_deadlines, answer_plan(anchor)))["answer"]
    # 2027 not loaded: Monday–Friday less the statutory days assumed, 2027-01-01 (元旦) not counted.
    assert before.provisional
    assert before.due_at == datetime(2027, 1, 12, 16, 0, tzinfo=UTC)

    # A notice that (hypothetically) keeps 1 January a working day replaces the computed days.
    notice = YearCalendar(year=2027, holidays=[], adjusted_workdays=[], source="test notice")
    await load_calendar_year(sessions, notice)
    after = (await run(acts.plan_deadlines, answer_plan(anchor)))["answer"]
    assert not after.provisional
    assert after.due_at == datetime(2027, 1, 11, 16, 0, tzinfo=UTC)

    # A corrected notice for a year already loaded (same row count) is seen too.
    corrected = notice.model_copy(update={"holidays": [date(2027, 1, 1), date(2027, 1, 4)]})
    await load_calendar_year(sessions, corrected)
    again = (await run(acts.plan_deadlines, answer_plan(anchor)))["answer"]
    assert again.due_at == datetime(2027, 1, 13, 16, 0, tzinfo=UTC)
    assert await count(sessions, CalendarYearRow) == 24


# -- project_ticket ------------------------------------------------------------------------------------


async def test_project_ticket_writes_the_list_columns(sessions: Sessions, acts: HotlineActivities) -> None:
    state = ticket_state(events=2, notify=["unit:wj-housing", "requester"])
    await run(acts.project_ticket, state)

    async with sessions() as session:
        row = await session.get(TicketRow, state.ticket_no)
    assert row is not None
    assert (row.category, row.channel, row.stage, row.card, row.rule_set_key, row.revision) == (
        "complaint",
        "phone",
        "registered",
        "green",
        CITY.key,
        1,
    )
    assert row.registered_at == RECEIVED and row.registered_at.tzinfo is not None
    assert row.requester_phone == "13800000000" and row.co_units == []
    assert row.state == state.model_dump(mode="json", exclude={"timeline"})  # timeline: its own table
    events = await rows(sessions, TimelineEventRow)
    assert [(e["seq"], e["at"], e["data"]) for e in events] == [
        (1, RECEIVED.replace(minute=1), {"seq": 1, "when": "2026-09-30T02:00:00Z"}),
        (2, RECEIVED.replace(minute=2), {"seq": 2, "when": "2026-09-30T02:00:00Z"}),
    ]
    notices = await rows(sessions, NoticeRow)
    assert [n["id"] for n in notices] == [
        f"{state.ticket_no}-ev-1:requester",
        f"{state.ticket_no}-ev-1:unit:wj-housing",
        f"{state.ticket_no}-ev-2:requester",
        f"{state.ticket_no}-ev-2:unit:wj-housing",
    ]
    assert all(n["delivered_at"] is None for n in notices)


async def test_project_ticket_twice_leaves_the_same_rows(sessions: Sessions, acts: HotlineActivities) -> None:
    notice = FileTerminationNotice(actor=OPERATOR, notice_ref="ref-1", served_at=RECEIVED)
    state = ticket_state(events=3, notify=["hotline", "linkage:110"], termination=notice)
    await run(acts.project_ticket, state)
    first = await snapshot(sessions)
    await run(acts.project_ticket, state)
    assert await snapshot(sessions) == first
    assert (len(first["tickets"]), len(first["events"]), len(first["notices"]), len(first["terminated"])) == (
        1,
        3,
        6,
        1,
    )


async def test_a_stale_revision_does_not_overwrite(sessions: Sessions, acts: HotlineActivities) -> None:
    old = ticket_state(revision=1, events=1, notify=["requester"])
    new = ticket_state(revision=2, events=2, notify=["requester"], stage=Stage.DISPATCHED)
    await run(acts.project_ticket, new)
    await run(acts.project_ticket, old)  # a retry of an earlier projection delivered late

    async with sessions() as session:
        row = await session.get(TicketRow, new.ticket_no)
    assert row is not None
    assert (row.revision, row.stage) == (2, "dispatched")
    assert row.state == new.model_dump(mode="json", exclude={"timeline"})
    assert await count(sessions, TimelineEventRow) == 2
    assert await count(sessions, NoticeRow) == 2


async def test_events_and_notices_are_added_once(sessions: Sessions, acts: HotlineActivities) -> None:
    await run(acts.project_ticket, ticket_state(revision=1, events=1, notify=["unit:a", "requester"]))
    async with sessions.begin() as session:  # a sender delivered one notice
        await session.execute(update(NoticeRow).values(delivered_at=RECEIVED + timedelta(minutes=5)))
    await run(acts.project_ticket, ticket_state(revision=2, events=3, notify=["unit:a", "requester"]))
    await run(acts.project_ticket, ticket_state(revision=2, events=3, notify=["unit:a", "requester"]))

    events = await rows(sessions, TimelineEventRow)
    assert [e["seq"] for e in events] == [1, 2, 3]
    notices = await rows(sessions, NoticeRow)
    assert len(notices) == 6
    # Re-projection never resets an outbox row.
    delivered = {n["id"] for n in notices if n["delivered_at"] is not None}
    assert delivered == {"T-20260930-0001-ev-1:requester", "T-20260930-0001-ev-1:unit:a"}


async def test_concurrent_projections_leave_one_row_per_key(
    sessions: Sessions, acts: HotlineActivities
) -> None:
    state = ticket_state(events=4, notify=["hotline", "requester"])
    await asyncio.gather(*(run(acts.project_ticket, state) for _ in range(5)))

    assert await count(sessions, TicketRow) == 1
    assert await count(sessions, TimelineEventRow) == 4
    assert await count(sessions, NoticeRow) == 8


async def test_concurrent_out_of_order_revisions_keep_the_newest(
    sessions: Sessions, acts: HotlineActivities
) -> None:
    states = [ticket_state(revision=r, events=r, notify=["requester"]) for r in range(1, 7)]
    random.Random(12345).shuffle(states)
    await asyncio.gather(*(run(acts.project_ticket, s) for s in states))

    async with sessions() as session:
        row = await session.get(TicketRow, "T-20260930-0001")
    assert row is not None and row.revision == 6
    assert await count(sessions, TimelineEventRow) == 6
    assert await count(sessions, NoticeRow) == 6


async def test_open_ticket_numbers_lists_tickets_still_running(
    sessions: Sessions, acts: HotlineActivities
) -> None:
    stages = {
        "T-0001": Stage.HANDLING,
        "T-0002": Stage.CONCLUDED,
        "T-0003": Stage.NOT_ACCEPTED,
        "T-0004": Stage.ARCHIVED,
        "T-0005": Stage.REGISTERED,
        "T-0006": Stage.RATING,
    }
    for ticket_no, stage in stages.items():
        await run(acts.project_ticket, ticket_state(ticket_no, stage=stage))
    assert await open_ticket_numbers(sessions) == ["T-0001", "T-0005", "T-0006"]


async def test_instants_round_trip_as_utc(sessions: Sessions, acts: HotlineActivities) -> None:
    """SQLite would store an Asia/Shanghai time as if it were UTC without the UtcDateTime type."""
    local = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    state = ticket_state()
    state = state.model_copy(
        update={"registration": state.registration.model_copy(update={"received_at": local})}
    )
    await run(acts.project_ticket, state)
    async with sessions() as session:
        row = await session.get(TicketRow, state.ticket_no)
        earlier = await session.scalar(
            select(func.count())
            .select_from(TicketRow)
            .where(TicketRow.registered_at < RECEIVED + timedelta(seconds=1))
        )
    assert row is not None and row.registered_at == RECEIVED and row.registered_at.utcoffset() == timedelta(0)
    assert earlier == 1


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",  # nothing listens on port 1
        "sqlite+aiosqlite:///{tmp_path}",  # a folder where the database file should be: cannot be opened
    ],
    ids=["postgresql", "sqlite"],
)
async def test_a_database_that_does_not_answer_is_one_retryable_failure(url: str, tmp_path: Path) -> None:
    """What Temporal UI shows on the pending activity and the worker logs on each retry: a typed, retryable
    DATABASE_UNAVAILABLE with one line of message, not the driver's traceback (activities/hotline.py
    database_answers). Business errors keep their own types and stay non-retryable."""
    engine = make_engine(url.format(tmp_path=tmp_path))
    try:
        acts = HotlineActivities(make_session_maker(engine))
        for call, arg in (
            (acts.project_ticket, ticket_state()),
            (acts.open_ticket, registration()),
            (acts.plan_deadlines, PlanRequest(items=[], red_after_working_days=2)),
        ):
            with pytest.raises(ApplicationError) as raised:
                await run(call, arg)
            failure = raised.value
            assert (failure.type, failure.non_retryable) == ("DATABASE_UNAVAILABLE", False), call
            assert failure.message.startswith("the application database does not answer: ")
            assert "\n" not in failure.message and failure.__cause__ is None and failure.__suppress_context__
    finally:
        await engine.dispose()


async def test_a17_4_a_default_shipped_as_a_new_version_governs_before_it_is_seeded(
    sessions: Sessions, acts: HotlineActivities
) -> None:
    """A17.4: a database seeded before provincial@2 holds only provincial@1 (the city's 10 WD); new tickets take
    the packaged provincial@2 (15 WD for a complaint); those opened under @1 keep it in their state."""
    older = PROVINCIAL.model_copy(update={"version": 1, "answer_limits": CITY.answer_limits})
    await load_rule_set(sessions, older)
    facts = await run(acts.open_ticket, registration(channel=Channel.PROVINCIAL_PLATFORM))
    assert facts.rule_set == PROVINCIAL and facts.rule_set.answer_limits[Category.COMPLAINT] == wd(15)


async def test_a33_a_county_s_own_set_is_found_up_the_unit_tree(
    sessions: Sessions, acts: HotlineActivities
) -> None:
    """A33: dispatched at registration to a unit under a county (kind `county`) that has its own set, the
    ticket opens under that set; a unit outside it, or a platform's ticket (A17.4), does not."""
    now = datetime.now(UTC)
    for unit_id, tier, kind, parent in (("WJ", 1, "county", None), ("WJ-URBAN", 2, "department", "WJ")):
        await create_unit(
            sessions, unit_id=unit_id, name=unit_id, tier=tier, kind=kind, parent_id=parent, now=now
        )
    await create_unit(
        sessions, unit_id="SG-HRSS", name="市人社局", tier=2, kind="department", parent_id=None, now=now
    )
    county = county_rule_set("440203", "武江区 rules", county_unit_id="WJ")
    await load_rule_set(sessions, county)
    await load_rule_set(sessions, county.model_copy(update={"version": 2, "sign_for": wd(2)}))

    facts = await run(acts.open_ticket, registration(dispatch_to="WJ-URBAN"))
    assert facts.rule_set.key == "county-440203@2"
    assert (await run(acts.open_ticket, registration(dispatch_to="SG-HRSS"))).rule_set == CITY
    platform = registration(dispatch_to="WJ-URBAN", channel=Channel.PROVINCIAL_PLATFORM)
    assert (await run(acts.open_ticket, platform)).rule_set == PROVINCIAL
