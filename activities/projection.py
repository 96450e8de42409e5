"""Writing one projection of a ticket into the read model: a handful of prebuilt statements.

A projection runs for every action and every card change, inside the workflow task that made it (a local
activity), so what it costs in the worker is added to every unit's answer. Built per call, with the values
inside the statement, the three statements cost ~8 ms of Python in SQLAlchemy alone (bench B2 and a
py-spy profile: cache keys over the values, ORM bulk-insert bookkeeping, a compile on most calls). Built
once per dialect against the tables, with the values passed as parameters, they compile once, and a
list of rows goes to the driver as one executemany.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Delete, Table, Update, bindparam, delete, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from db.figure_models import FigureEventRow, RunningLimitRow
from db.models import (
    NoticeRow,
    TerminatedMatterRow,
    TicketRow,
    TicketUnitRow,
    TimelineEventRow,
)
from db.session import dialect_insert
from domain.figure_events import RATING_KINDS, RESPONDED, SUPERSEDED_AT, ProjectedEvent, Settle, figure_rows
from domain.matters import notice_prior_ticket_no
from domain.ticket import ANSWER, SIGN_FOR, TicketState
from domain.timeline import Dispatched, EventKind

_TICKETS = cast(Table, TicketRow.__table__)
_EVENTS = cast(Table, TimelineEventRow.__table__)
_NOTICES = cast(Table, NoticeRow.__table__)
_TERMINATED = cast(Table, TerminatedMatterRow.__table__)
_UNITS = cast(Table, TicketUnitRow.__table__)
_LIMITS = cast(Table, RunningLimitRow.__table__)
_FIGURES = cast(Table, FigureEventRow.__table__)
_Insert = postgresql.Insert | sqlite.Insert


@dataclass(frozen=True)
class _Statements:
    upsert_ticket: _Insert
    insert_events: _Insert
    insert_notices: _Insert
    file_termination: _Insert
    clear_units: Delete
    insert_units: _Insert
    clear_limits: Delete
    insert_limits: _Insert
    insert_figures: _Insert
    settle: dict[str, Update]


@cache
def _statements(dialect: str) -> _Statements:
    """ON CONFLICT is spelled the same on both backends, but each has its own Insert class."""
    ticket = dialect_insert(dialect, _TICKETS)
    termination = dialect_insert(dialect, _TERMINATED)
    return _Statements(
        # A ticket row is replaced only by an equal or higher revision: a stale retry leaves it alone.
        upsert_ticket=ticket.on_conflict_do_update(
            index_elements=[_TICKETS.c.ticket_no],
            set_={c.name: ticket.excluded[c.name] for c in _TICKETS.c if c.name != "ticket_no"},
            where=_TICKETS.c.revision <= ticket.excluded.revision,
        ),
        insert_events=dialect_insert(dialect, _EVENTS).on_conflict_do_nothing(),
        insert_notices=dialect_insert(dialect, _NOTICES).on_conflict_do_nothing(),
        file_termination=termination.on_conflict_do_update(
            index_elements=[_TERMINATED.c.ticket_no],
            # filed_at stays as first recorded.
            set_={k: termination.excluded[k] for k in ("prior_ticket_no", "notice_ref", "served_at")},
        ),
        clear_units=delete(_UNITS).where(_UNITS.c.ticket_no == bindparam("ticket_no")),
        insert_units=dialect_insert(dialect, _UNITS),
        clear_limits=delete(_LIMITS).where(_LIMITS.c.ticket_no == bindparam("ticket_no")),
        insert_limits=dialect_insert(dialect, _LIMITS),
        insert_figures=dialect_insert(dialect, _FIGURES).on_conflict_do_nothing(),
        settle={
            column: update(_FIGURES)
            .where(
                _FIGURES.c.ticket_no == bindparam("t_no"),
                _FIGURES.c.seq < bindparam("before"),
                # Literal kinds: an expanding IN cannot go in an executemany.
                text("kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"),
                _FIGURES.c[column].is_(None),
            )
            .values({column: bindparam("value")})
            for column, kinds in ((RESPONDED, ["dispatched"]), (SUPERSEDED_AT, list(RATING_KINDS)))
        },
    )


async def write_projection(conn: AsyncConnection, state: TicketState) -> None:
    """The ticket row, its new events and their notices, and the A18 register; inside the caller's
    transaction. Every write is keyed, so a retried or concurrent duplicate changes nothing."""
    statements = _statements(conn.dialect.name)
    # The upsert comes first: on PostgreSQL it locks the ticket row, so concurrent projections of one
    # ticket run one after another; on SQLite it takes the write lock before anything else.
    written = (await conn.execute(statements.upsert_ticket, ticket_values(state))).rowcount
    # The workflow sends only the events it has not projected yet (the whole timeline only on its first
    # projection after a continue-as-new or a rebuild), so no read first: ON CONFLICT DO NOTHING absorbs
    # a duplicate.
    if events := event_rows(state):
        await conn.execute(statements.insert_events, events)
        # The events the reports count, narrow (A26, A27), and what each settles of earlier ones.
        figures, settles = figure_facts(state.ticket_no, state.registration.domain, events)
        if figures:
            await conn.execute(statements.insert_figures, figures)
        for column in (RESPONDED, SUPERSEDED_AT):
            params = [
                {"t_no": state.ticket_no, "before": s.seq, "value": s.value}
                for s in settles
                if s.column == column
            ]
            if params:
                await conn.execute(statements.settle[column], params)
    if notices := notice_rows(state):
        await conn.execute(statements.insert_notices, notices)
    if written:
        # The units the ticket involves now, replaced whole: a re-dispatch or a designation changes them.
        await conn.execute(statements.clear_units, {"ticket_no": state.ticket_no})
        if units := unit_rows(state):
            await conn.execute(statements.insert_units, units)
        # Its running limits, replaced whole too: a limit met, extended or re-planned changes them.
        await conn.execute(statements.clear_limits, {"ticket_no": state.ticket_no})
        if limits := limit_rows(state):
            await conn.execute(statements.insert_limits, limits)
    if written and state.termination is not None:
        await conn.execute(statements.file_termination, termination_values(state))


def ticket_values(state: TicketState) -> dict[str, Any]:
    reg = state.registration
    sign_for, answer = state.clocks.get(SIGN_FOR), state.clocks.get(ANSWER)
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
        "rule_set_lapsed": state.rule_set_lapsed(),
        "requester_name": reg.requester.name,
        "requester_phone": reg.requester.phone,
        "requester_confidential": reg.requester.confidential,
        "content": reg.content,
        "location": reg.location,
        "domain": reg.domain,
        "registered_at": reg.received_at,
        "registered_by": reg.registered_by.id,
        "concluded_at": state.concluded_at,
        "joined_to": state.joined_to,
        "answer_met_at": answer.met_at if answer else None,
        "answer_card": answer.card.value if answer else None,
        "revision": state.revision,
        # The timeline lives in timeline_events; the workflow sends only events not yet projected.
        "state": state.model_dump(mode="json", exclude={"timeline"}),
        "updated_at": datetime.now(UTC),
    }


def unit_rows(state: TicketState) -> list[dict[str, Any]]:
    """A6: the units the ticket involves now: its lead, the sub-unit it was forwarded to, its co-units."""
    assignment = state.assignment
    if assignment is None:
        return []
    # One row per unit, its strongest role: a unit's queue then lists a ticket once.
    roles = {assignment.lead_unit: "lead"}
    if assignment.forwarded_to:
        roles.setdefault(assignment.forwarded_to, "forwarded")
    for u in assignment.co_units:
        roles.setdefault(u, "co")
    is_open = state.concluded_at is None
    registered_at = state.registration.received_at
    return [
        {
            "ticket_no": state.ticket_no,
            "unit": u,
            "role": r,
            "registered_at": registered_at,
            "is_open": is_open,
            "confidential": state.registration.requester.confidential,
        }
        for u, r in roles.items()
    ]


def figure_facts(
    ticket_no: str, domain: str, events: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[Settle]]:
    """domain/figure_events.py over the event rows being written (their holders already resolved)."""
    projected = (ProjectedEvent(e["seq"], e["at"], e["kind"], e["data"], e["unit"]) for e in events)
    return figure_rows(ticket_no, domain, projected)


def limit_rows(state: TicketState) -> list[dict[str, Any]]:
    """A17, A22: the limits still running — not met, on a ticket still open — with what the dashboard lists
    beside each (its holder, A6; its confidentiality, A32)."""
    if state.concluded_at is not None:
        return []
    assignment = state.assignment
    return [
        {
            "ticket_no": state.ticket_no,
            "clock": clock.name,
            "due_at": clock.due_at,
            "red_at": clock.red_at,
            "charged_to": clock.charged_to,
            "stage": state.stage.value,
            "lead_unit": state.lead_unit,
            "forwarded_to": assignment.forwarded_to if assignment else None,
            "confidential": state.registration.requester.confidential,
        }
        for clock in state.clocks.values()
        if clock.met_at is None
    ]


def event_rows(state: TicketState) -> list[dict[str, Any]]:
    holders = event_holders(state)
    return [
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
            "unit": holder,
            "notify": list(e.notify),
        }
        for e, holder in zip(state.timeline, holders, strict=True)
    ]


def event_holders(state: TicketState) -> list[str | None]:
    """The unit holding the ticket at each event to project (A6, A25): the lead of the latest dispatch
    before it. The events sent are the timeline's newest; every dispatch appended one assignment, so the
    holder before the first of them is the assignment that many places back (none for a whole timeline)."""
    dispatches = sum(1 for e in state.timeline if e.kind == EventKind.DISPATCHED)
    before = len(state.assignments) - dispatches - 1
    holder = state.assignments[before].lead_unit if before >= 0 else None
    holders = []
    for e in state.timeline:
        holders.append(holder)
        if e.kind == EventKind.DISPATCHED:
            holder = e.data.get(Dispatched.key("lead_unit"), holder)
    return holders


def notice_rows(state: TicketState) -> list[dict[str, Any]]:
    return [
        {
            "id": NoticeRow.key(e.id, recipient),
            "ticket_no": state.ticket_no,
            "event_id": e.id,
            "recipient": recipient,
            "kind": e.kind,
            "created_at": e.at,
            "delivered_at": None,
            "seq": e.seq,
        }
        for e in state.timeline
        for recipient in dict.fromkeys(e.notify)  # one notice per recipient, in order
    ]


def termination_values(state: TicketState) -> dict[str, Any]:
    """A18: register the notice so a later ticket on the same matter is screened out."""
    notice = state.termination
    assert notice is not None
    return {
        "ticket_no": state.ticket_no,
        "prior_ticket_no": notice_prior_ticket_no(state.registration, notice),
        "notice_ref": notice.notice_ref,
        "served_at": notice.served_at,
        "filed_at": state.concluded_at or max((e.at for e in state.timeline), default=notice.served_at),
    }
