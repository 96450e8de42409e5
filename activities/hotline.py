"""The ticket workflow's activities (STYLE patterns 6 and 7): the only code that reads or writes SQL for it.

One session per call; every write is keyed by ticket number or event id, so a retry or a duplicate
delivery changes nothing. Business errors are non-retryable `ApplicationError`s; a database outage is a
retryable one (`DATABASE_UNAVAILABLE`, `database_answers`), and Temporal retries until the database answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.projection import write_projection
from db.models import (
    CalendarYearRow,
    RestrictedCallerRow,
    TerminatedMatterRow,
)
from db.rule_sets import county_rule_set, latest_rule_set
from db.seed import read_working_calendar
from domain.calendar import SHANGHAI, WorkingCalendar
from domain.commands import Registration
from domain.deadlines import PlannedDeadline, PlanRequest, plan
from domain.matters import prior_ticket_no
from domain.phones import phone_key
from domain.rulesets import RULE_SET_BY_CHANNEL, RuleSet, rule_set_id_for
from domain.ticket import ActivityNames, OpeningFacts, TicketState
from domain.vocabulary import Channel, NotAcceptedReason

UNKNOWN_RULE_SET = "UNKNOWN_RULE_SET"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"


@contextlib.asynccontextmanager
async def database_answers() -> AsyncIterator[None]:
    """A database that does not answer becomes one retryable DATABASE_UNAVAILABLE failure with a one-line
    message: what Temporal UI shows on the pending activity, and what the worker logs on every retry of an
    outage, instead of forty frames of driver traceback each time."""
    try:
        yield
    except (OSError, OperationalError, InterfaceError) as err:
        first_line = (str(err).splitlines() or [""])[0][:300]
        raise ApplicationError(
            f"the application database does not answer: {type(err).__name__}: {first_line}",
            type=DATABASE_UNAVAILABLE,
        ) from None


class HotlineActivities:
    def __init__(
        self, session_maker: async_sessionmaker[AsyncSession], *, rating_by_message: bool = False
    ) -> None:
        self._session_maker = session_maker
        # A24: the rating request goes by message (an SMS gateway is configured): its window runs from the
        # receipt the dispatcher reports, recorded in each ticket's opening.
        self._rating_by_message = rating_by_message
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
        async with database_answers(), self._session_maker() as session:
            rule_set = await self._rule_set(session, registration)
            terminated = await self._terminated_matter(session, prior_ticket_no(registration))
            if terminated is not None:
                return OpeningFacts(
                    rule_set=rule_set,
                    refusal=NotAcceptedReason.TERMINATED_MATTER,
                    # A18, in its own words (the requester reads it): no longer accepted, and pointed to
                    # the remedies the law gives.
                    refusal_basis=(
                        f"该事项已依法办理完毕，承办单位已出具书面事项终结告知书（{terminated.notice_ref}，"
                        f"{_local_day(terminated.served_at)}送达，工单号{terminated.ticket_no}），"
                        "12345热线不再受理；您如有异议，可向承办单位申请行政复议或提出诉讼。"
                    ),
                )
            restriction = await self._restriction(session, registration)
            if restriction is not None:
                reason = f"（{restriction.reason}）" if restriction.reason else ""
                return OpeningFacts(
                    rule_set=rule_set,
                    refusal=NotAcceptedReason.RESTRICTED_CALLER,
                    # A11's own words: the requester reads it.
                    refusal_basis=f"本号码被限制占用12345电话资源至{_local_minute(restriction.until)}{reason}；"
                    "您可通过网站、APP或小程序反映诉求。",
                )
            return OpeningFacts(rule_set=rule_set, rating_by_message=self._rating_by_message)

    @staticmethod
    async def _rule_set(session: AsyncSession, registration: Registration) -> RuleSet:
        """The set named, else the platform's (A17.4/A17.5), else that of the county whose unit the ticket
        is dispatched to at registration (A33), else the city's; each at its latest version."""
        county = None
        if registration.rule_set_id is None and registration.channel not in RULE_SET_BY_CHANNEL:
            county = await county_rule_set(session, registration.dispatch_to)
        if county is not None:
            return county
        rule_set_id = rule_set_id_for(registration.channel, registration.rule_set_id)
        found = await latest_rule_set(session, rule_set_id)
        if found is None:
            raise ApplicationError("unknown rule set", rule_set_id, type=UNKNOWN_RULE_SET, non_retryable=True)
        return found

    @staticmethod
    async def _terminated_matter(session: AsyncSession, prior_no: str | None) -> TerminatedMatterRow | None:
        """A18: the earlier ticket filed a termination notice, or is the matter one was filed on."""
        if prior_no is None:
            return None
        return await session.scalar(
            select(TerminatedMatterRow)
            .where(
                or_(
                    TerminatedMatterRow.ticket_no == prior_no,
                    TerminatedMatterRow.prior_ticket_no == prior_no,
                )
            )
            .order_by(TerminatedMatterRow.served_at.desc())
            .limit(1)
        )

    @staticmethod
    async def _restriction(session: AsyncSession, registration: Registration) -> RestrictedCallerRow | None:
        """A11: the caller is restricted at the moment the request was received.

        A11 restricts "占用12345电话资源", the phone line: the same person writing through the website, the
        app or the mini-program is not refused, and an emergency (A17.3, A23) is never refused for it."""
        phone = registration.requester.phone
        if not phone or registration.channel != Channel.PHONE or registration.emergency:
            return None
        return await session.scalar(
            select(RestrictedCallerRow).where(
                RestrictedCallerRow.phone == phone_key(phone),
                RestrictedCallerRow.until > registration.received_at,
            )
        )

    # -- plan_deadlines -------------------------------------------------------------------------------
    @activity.defn(name=ActivityNames.PLAN_DEADLINES)
    async def plan_deadlines(self, request: PlanRequest) -> dict[str, PlannedDeadline]:
        return plan(await self._working_calendar(), request)

    async def _working_calendar(self) -> WorkingCalendar:
        """The calendar from `calendar_years`, rebuilt only when a year was added or reloaded.

        While the database is away the calendar already read is used: planning a limit (a review's, an
        order's, F3) must not wait for the database, and a year loaded meanwhile reaches every open ticket
        as a `calendar_changed` signal, which replans what has not passed."""
        try:
            async with database_answers(), self._session_maker() as session:
                version = (
                    await session.execute(select(func.count(), func.max(CalendarYearRow.loaded_at)))
                ).one()
        except Exception:  # the database away, however its driver says so (asyncpg, SQLAlchemy, OS)
            if self._calendar is not None:
                activity.logger.warning("the calendar as last read: the database does not answer")
                return self._calendar[1]
            raise
        if self._calendar is not None and self._calendar[0] == tuple(version):
            return self._calendar[1]
        async with database_answers(), self._session_maker() as session:
            calendar = await read_working_calendar(session)
        self._calendar = (tuple(version), calendar)
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
        async with database_answers(), self._one_writer, self._session_maker.begin() as session:
            await write_projection(await session.connection(), state)


def _local_day(at: datetime) -> str:
    return at.astimezone(SHANGHAI).date().isoformat()


def _local_minute(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + "（北京时间）"
