"""The ticket workflow's activities (STYLE patterns 6 and 7): the only code that reads or writes SQL for it.

One session per call; every write is keyed by ticket number or event id, so a retry or a duplicate
delivery changes nothing. Business errors are non-retryable `ApplicationError`s; a database outage raises
as it is, and Temporal retries.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.models import (
    CalendarYearRow,
    NoticeRow,
    RestrictedCallerRow,
    RuleSetRow,
    TerminatedMatterRow,
    TicketRow,
    TimelineEventRow,
)
from db.session import insert_for
from domain.calendar import SHANGHAI, WorkingCalendar
from domain.commands import Registration
from domain.deadlines import PlannedDeadline, PlanRequest, plan
from domain.rulesets import DEFAULT_RULE_SETS, RuleSet
from domain.ticket import SIGN_FOR, ActivityNames, OpeningFacts, TicketState
from domain.vocabulary import Channel, NotAcceptedReason

UNKNOWN_RULE_SET = "UNKNOWN_RULE_SET"

# A17.4 / A17.5: platform tickets follow the platform's rules; every other channel the city's.
RULE_SET_BY_CHANNEL = {Channel.PROVINCIAL_PLATFORM: "provincial", Channel.NATIONAL_PLATFORM: "national"}
CITY_RULE_SET = "city"
_DEFAULTS = {r.id: r for r in DEFAULT_RULE_SETS}

# Rows per multi-row INSERT: well under SQLite's bound-parameter limit for an 8-column table.
_CHUNK = 500


class HotlineActivities:
    def __init__(self, session_maker: async_sessionmaker[AsyncSession]) -> None:
        self._session_maker = session_maker
        # SQLite has one writer: concurrent write transactions from this process would meet in its busy
        # handler, which sleeps up to 100 ms per retry, and a burst of projections (a timer storm, 100
        # actions at once) would crawl. Queued here instead, they run back to back. PostgreSQL: no queue.
        bind = session_maker.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._one_writer: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if sqlite else contextlib.nullcontext()
        )
        # (row count, latest loaded_at) of calendar_years -> the calendar built from them.
        self._calendar: tuple[tuple[int, datetime | None], WorkingCalendar] | None = None

    # -- open_ticket ----------------------------------------------------------------------------------
    @activity.defn(name=ActivityNames.OPEN_TICKET)
    async def open_ticket(self, registration: Registration) -> OpeningFacts:
        """The rule set the ticket keeps for life, and a refusal the records alone decide (A18, A11)."""
        async with self._session_maker() as session:
            rule_set = await self._rule_set(session, registration)
            terminated = await self._terminated_matter(session, registration.repeat_of)
            if terminated is not None:
                return OpeningFacts(
                    rule_set=rule_set,
                    refusal=NotAcceptedReason.TERMINATED_MATTER,
                    refusal_basis=(
                        f"A18: the matter was terminated by written notice {terminated.notice_ref} "
                        f"served {_local_day(terminated.served_at)} (ticket {terminated.ticket_no})"
                    ),
                )
            restriction = await self._restriction(session, registration)
            if restriction is not None:
                reason = f": {restriction.reason}" if restriction.reason else ""
                return OpeningFacts(
                    rule_set=rule_set,
                    refusal=NotAcceptedReason.RESTRICTED_CALLER,
                    refusal_basis=f"A11: caller restricted until {_local_minute(restriction.until)}{reason}",
                )
            return OpeningFacts(rule_set=rule_set)

    @staticmethod
    async def _rule_set(session: AsyncSession, registration: Registration) -> RuleSet:
        rule_set_id = registration.rule_set_id or RULE_SET_BY_CHANNEL.get(registration.channel, CITY_RULE_SET)
        stored = await session.scalar(
            select(RuleSetRow)
            .where(RuleSetRow.id == rule_set_id)
            .order_by(RuleSetRow.version.desc())
            .limit(1)
        )
        if stored is not None:
            return stored.to_rule_set()
        if rule_set_id in _DEFAULTS:
            return _DEFAULTS[rule_set_id]
        raise ApplicationError("unknown rule set", rule_set_id, type=UNKNOWN_RULE_SET, non_retryable=True)

    @staticmethod
    async def _terminated_matter(session: AsyncSession, repeat_of: str | None) -> TerminatedMatterRow | None:
        """A18: the earlier ticket filed a termination notice, or is the matter one was filed on."""
        if repeat_of is None:
            return None
        return await session.scalar(
            select(TerminatedMatterRow)
            .where(
                or_(
                    TerminatedMatterRow.ticket_no == repeat_of,
                    TerminatedMatterRow.prior_ticket_no == repeat_of,
                )
            )
            .order_by(TerminatedMatterRow.served_at.desc())
            .limit(1)
        )

    @staticmethod
    async def _restriction(session: AsyncSession, registration: Registration) -> RestrictedCallerRow | None:
        """A11: the caller is restricted at the moment the request was received."""
        phone = registration.requester.phone
        if not phone:
            return None
        return await session.scalar(
            select(RestrictedCallerRow).where(
                RestrictedCallerRow.phone == phone, RestrictedCallerRow.until > registration.received_at
            )
        )

    # -- plan_deadlines -------------------------------------------------------------------------------
    @activity.defn(name=ActivityNames.PLAN_DEADLINES)
    async def plan_deadlines(self, request: PlanRequest) -> dict[str, PlannedDeadline]:
        return plan(await self._working_calendar(), request)

    async def _working_calendar(self) -> WorkingCalendar:
        """The calendar from `calendar_years`, rebuilt only when a year was added or reloaded."""
        async with self._session_maker() as session:
            count, latest = (
                await session.execute(select(func.count(), func.max(CalendarYearRow.loaded_at)))
            ).one()
            version = (count, latest)
            if self._calendar is not None and self._calendar[0] == version:
                return self._calendar[1]
            rows = await session.scalars(select(CalendarYearRow))
            calendar = WorkingCalendar(row.to_year() for row in rows)
        self._calendar = (version, calendar)
        return calendar

    # -- project_ticket -------------------------------------------------------------------------------
    @activity.defn(name=ActivityNames.PROJECT_TICKET)
    async def project_ticket(self, state: TicketState) -> None:
        """Write the ticket's state into the read model, in one transaction.

        Idempotent and safe under retries, out-of-order delivery and concurrent calls: the ticket row is
        replaced only by an equal or higher revision (one atomic upsert); events, notices and the A18
        register are inserted by key with ON CONFLICT DO NOTHING, so a duplicate cannot exist and a
        racing duplicate is absorbed instead of raised.
        """
        async with self._one_writer, self._session_maker.begin() as session:
            # The upsert comes first: on PostgreSQL it locks the ticket row, so concurrent projections of
            # one ticket run one after another; on SQLite it takes the write lock before any read.
            written = await self._upsert_ticket(session, state)
            await self._insert_events(session, state)
            await self._insert_notices(session, state)
            if written and state.termination is not None:
                await self._file_termination(session, state)

    @staticmethod
    async def _upsert_ticket(session: AsyncSession, state: TicketState) -> bool:
        """True when the row now holds this state (a stale revision leaves the newer one in place)."""
        values = _ticket_values(state)
        stmt = insert_for(session, TicketRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[TicketRow.ticket_no],
            set_={k: stmt.excluded[k] for k in values if k != "ticket_no"},
            where=TicketRow.revision <= stmt.excluded.revision,
        )
        result = await session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    @staticmethod
    async def _insert_events(session: AsyncSession, state: TicketState) -> None:
        rows = [
            {
                "id": e.id,
                "ticket_no": state.ticket_no,
                "seq": e.seq,
                "at": e.at,
                "kind": e.kind,
                "actor": e.actor,
                "rule": e.rule,
                # JSON mode: a datetime or enum inside `data` becomes its JSON form on every backend.
                "data": e.model_dump(mode="json", include={"data"})["data"],
            }
            for e in state.timeline
        ]
        await _insert_absent(session, TimelineEventRow, rows)

    @staticmethod
    async def _insert_notices(session: AsyncSession, state: TicketState) -> None:
        rows = [
            {
                "id": NoticeRow.key(e.id, recipient),
                "ticket_no": state.ticket_no,
                "event_id": e.id,
                "recipient": recipient,
                "kind": e.kind,
                "created_at": e.at,
                "delivered_at": None,
            }
            for e in state.timeline
            for recipient in dict.fromkeys(e.notify)  # one notice per recipient, in order
        ]
        await _insert_absent(session, NoticeRow, rows)

    @staticmethod
    async def _file_termination(session: AsyncSession, state: TicketState) -> None:
        """A18: register the notice so a later ticket on the same matter is screened out."""
        notice = state.termination
        assert notice is not None
        filed_at = state.concluded_at or max((e.at for e in state.timeline), default=notice.served_at)
        values = {
            "ticket_no": state.ticket_no,
            "prior_ticket_no": notice.prior_ticket_no or state.registration.repeat_of,
            "notice_ref": notice.notice_ref,
            "served_at": notice.served_at,
            "filed_at": filed_at,
        }
        stmt = insert_for(session, TerminatedMatterRow).values(values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[TerminatedMatterRow.ticket_no],
                # filed_at stays as first recorded.
                set_={k: stmt.excluded[k] for k in ("prior_ticket_no", "notice_ref", "served_at")},
            )
        )


def _ticket_values(state: TicketState) -> dict[str, Any]:
    reg = state.registration
    sign_for = state.clocks.get(SIGN_FOR)
    return {
        "ticket_no": state.ticket_no,
        "category": reg.category.value,
        "channel": reg.channel.value,
        "emergency": reg.emergency,
        "stage": state.stage.value,
        "outcome": state.outcome.value if state.outcome else None,
        "lead_unit": state.lead_unit,
        "co_units": state.co_units,
        "forwarded_to": state.assignment.forwarded_to if state.assignment else None,
        "card": state.card().value,
        "sign_for_due_at": sign_for.due_at if sign_for else None,
        "answer_due_at": state.answer_due_at(),
        "provisional": state.provisional(),
        "rule_set_key": state.rule_set.key,
        "requester_name": reg.requester.name,
        "requester_phone": reg.requester.phone,
        "requester_confidential": reg.requester.confidential,
        "content": reg.content,
        "location": reg.location,
        "domain": reg.domain,
        "registered_at": reg.received_at,
        "concluded_at": state.concluded_at,
        "revision": state.revision,
        # The timeline lives in timeline_events; the workflow sends only events not yet projected.
        "state": state.model_dump(mode="json", exclude={"timeline"}),
        "updated_at": datetime.now(UTC),
    }


async def _insert_absent(
    session: AsyncSession, model: type[TimelineEventRow | NoticeRow], rows: Sequence[dict[str, Any]]
) -> None:
    # The workflow sends only the events it has not projected yet (the whole timeline only on its first
    # projection after a continue-as-new or a rebuild), so no read first: ON CONFLICT DO NOTHING absorbs a
    # retried or concurrent duplicate, and a projection is three statements.
    for chunk in _chunks(rows, _CHUNK):
        await session.execute(insert_for(session, model).values(chunk).on_conflict_do_nothing())


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    return (rows[i : i + size] for i in range(0, len(rows), size))


def _local_day(at: datetime) -> str:
    return at.astimezone(SHANGHAI).date().isoformat()


def _local_minute(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + " Asia/Shanghai"
