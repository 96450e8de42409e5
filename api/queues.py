"""A unit's queue at scale (A6, bench B5): read off `ticket_units` in index order, a tree one unit at a time.

A unit's rows are at most one per ticket (its strongest role), indexed by (unit, registered_at), with a
partial index of the open ones: one unit's page is read newest first and stops at the page's end. A tree
(a member unit and its sub-units) is the same per unit, merged: a ticket on the tree's page is on the page
of some unit of the tree that involves it (every ticket before it there is before it in the tree too), so
each unit's first `offset + limit` tickets hold the tree's page. `total` counts up to TOTAL_CAP the same
way: each unit's first TOTAL_CAP + 1, made distinct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, not_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TicketRow, TicketUnitRow

# A page's `total` counts up to this many tickets; past it, `total_capped` says so.
TOTAL_CAP = 1_000
ROLES = {"lead": ("lead", "forwarded"), "co": ("co",), None: ("lead", "forwarded", "co")}


@dataclass(frozen=True)
class QueueFilter:
    """What narrows a queue: the caller's clearance (A32), the role, open or concluded, and any condition
    on the ticket row (stage, card, …). Without the last, the queue is read from ticket_units' index alone."""

    cleared: bool
    role: Literal["lead", "co"] | None
    open: bool | None
    tickets: Sequence[ColumnElement[bool]]


def _of_unit(unit: str, f: QueueFilter) -> Select[Any]:
    tu = TicketUnitRow
    conditions = [
        tu.unit == unit,
        *([] if f.role is None else [tu.role.in_(ROLES[f.role])]),
        # The open rows have a partial index of their own (a unit's working queue).
        *([] if f.open is None else [tu.is_open if f.open else not_(tu.is_open)]),
        *([] if f.cleared else [not_(tu.confidential)]),
    ]
    query = select(tu.ticket_no, tu.registered_at).where(*conditions)
    if f.tickets:
        query = query.join(TicketRow, TicketRow.ticket_no == tu.ticket_no).where(*f.tickets)
    return query


def _newest(query: Select[Any]) -> Select[Any]:
    return query.order_by(TicketUnitRow.registered_at.desc(), TicketUnitRow.ticket_no)


async def queue_page(
    session: AsyncSession, units: frozenset[str], f: QueueFilter, limit: int, offset: int
) -> tuple[int, list[TicketRow]]:
    """(total up to TOTAL_CAP + 1, the page) of the tickets these units are involved in, newest first."""
    if not units:
        return 0, []
    branches = [_of_unit(u, f) for u in sorted(units)]
    if len(branches) == 1:
        counted = select(func.count()).select_from(branches[0].limit(TOTAL_CAP + 1).subquery())
        keys = (await session.execute(_newest(branches[0]).limit(limit).offset(offset))).all()
    else:
        capped = union_all(*(select(b.limit(TOTAL_CAP + 1).subquery()) for b in branches)).subquery()
        counted = select(func.count(capped.c.ticket_no.distinct()))
        firsts = union_all(*(select(_newest(b).limit(offset + limit).subquery()) for b in branches))
        merged = {no: at for no, at in await session.execute(firsts)}
        # Newest first, then by number: the order of a single unit's page.
        ordered = sorted(sorted(merged.items()), key=lambda k: k[1], reverse=True)
        keys = ordered[offset : offset + limit]
    total = int(await session.scalar(counted) or 0)
    page = [no for no, _ in keys]
    rows = {
        r.ticket_no: r for r in await session.scalars(select(TicketRow).where(TicketRow.ticket_no.in_(page)))
    }
    return total, [rows[no] for no in page if no in rows]
