"""The hotline office's own limits (A14.1, A14.5, A17, A20, A24): reviewing a return, an extension or a
closure, calling back a dissatisfied requester, coordinating a dispute. Each starts when what it answers
arrives — the application, the callback due, the dispute — and counts from that instant; the clock table
(domain/clocks.py FAMILIES) meets it when the office acts and charges its card to the hotline, never to the
unit. The regulation fixes none of these limits: the office sets them in the rule set (domain/rulesets.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain import clocks
from domain.deadlines import PlanItem, PlannedDeadline
from domain.ticket import Clock, TicketState
from domain.timeline import EventKind
from domain.vocabulary import Stage


def awaiting_the_office(state: TicketState) -> dict[str, datetime]:
    """What the office has been asked and not yet answered: each limit's clock name and its anchor."""
    asked: dict[str, datetime] = {}
    if (ret := state.pending_return()) is not None:
        asked[f"return_review:{ret.id}"] = ret.applied_at
    if state.stage == Stage.EXTENSION_REVIEW and (ext := state.pending_extension()) is not None:
        asked[f"extension_review:{len(state.extensions)}"] = ext.applied_at
    if (closure := state.pending_closure()) is not None:
        asked[f"closure_review:{closure.id}"] = closure.applied_at
    if (coordination := state.open_coordination()) is not None:
        asked[f"coordination:{len(state.coordinations)}"] = coordination.raised_at
    rating = state.current_rating()
    if state.stage == Stage.CALLBACK and rating is not None:
        due = next((e for e in reversed(state.timeline) if e.kind == EventKind.CALLBACK_DUE), None)
        if due is not None:
            asked[f"callback:{rating.round}"] = due.at
    return asked


def office_plan(state: TicketState) -> list[PlanItem]:
    """The office limits to start now: asked of the office, and not yet counting."""
    rs, reg = state.rule_set, state.registration
    items = []
    for name, anchor in awaiting_the_office(state).items():
        period = clocks.spec_of(name).period(rs, reg)
        if name not in state.clocks and period is not None:
            items.append(PlanItem(name=name, anchor_at=anchor, period=period))
    return items


def start_office_clocks(state: TicketState, planned: Mapping[str, PlannedDeadline]) -> None:
    """Start the planned limits; a card already due turns when the ticket next publishes (A22)."""
    for item in office_plan(state):
        p = planned[item.name]
        state.clocks[item.name] = Clock(
            name=item.name,
            period=item.period,
            anchor_at=item.anchor_at,
            due_at=p.due_at,
            red_at=p.red_at,
            provisional=p.provisional,
            charged_to=clocks.spec_of(item.name).charged_to.value,
        )
