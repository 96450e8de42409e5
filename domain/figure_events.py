"""The events the bulletin (A26) and the assessment (A27) count, as narrow rows with what they are counted by.

The reports used to read the period's timeline events and pick their JSON apart: at a province's scale
(bench B5, 1,000,000 tickets) a month's receipts, cards and ratings are ~3 GB of event rows, and the
response rate and the final ratings each needed a window over them. Here each counted event becomes one
narrow row as it is projected (activities/projection.py), already carrying the unit charged, the card and
whether its limit is statutory, the rating's options, and — settled by a later event of the same ticket —
whether a receipt was signed for in time and whether a rating was superseded. The same builder backfills
the rows of events projected before it (migration 0023), so both are equal.

- A receipt (a dispatch, not a redo: A24 sends a redo back to the unit, signed for at once) is *responded*
  (响应, domain/rates.py) when the next of its ticket's dispatches, sign-fors and sign-for cards is a
  sign-for: the unit signed before its sign-for limit turned and before the ticket went elsewhere.
- A rating is *superseded* at the instant of its ticket's next rating (A24: the second rating is final): in a
  period, a rating is final when it is not superseded before the period ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.clocks import STATUTORY_CARDED
from domain.ticket import SIGN_FOR
from domain.timeline import RATING_SETTLED, CardChanged, Dispatched, EventKind, Rated, StageRatingPayload
from domain.vocabulary import DEFAULTED_RATING, Card

# timeline kind -> the bulletin figure it counts (A14–A17, A24).
EVENT_FIGURES = {
    EventKind.RETURN_APPLIED.value: "returns_applied",
    EventKind.RETURN_APPROVED.value: "returns_approved",
    EventKind.RETURN_REFUSED.value: "returns_refused",
    EventKind.OVERDUE_RETURN.value: "overdue_returns",
    EventKind.EXTENSION_APPLIED.value: "extensions_applied",
    EventKind.EXTENSION_APPROVED.value: "extensions_approved",
    EventKind.REDO_ORDERED.value: "redos",
    EventKind.CALLBACK_RECORDED.value: "callbacks",
}
RATING_KINDS = tuple(k.value for k in RATING_SETTLED)
CARDS_COUNTED = (Card.YELLOW.value, Card.RED.value)
RESPONDED = "responded"
SUPERSEDED_AT = "superseded_at"


@dataclass(frozen=True)
class ProjectedEvent:
    """A timeline event as the projection writes it, with the unit holding the ticket then (A6)."""

    seq: int
    at: datetime
    kind: str
    data: dict[str, Any]
    unit: str | None


@dataclass(frozen=True)
class Settle:
    """A later event settles the ticket's earlier rows of `kinds` still unsettled in `column`."""

    seq: int
    kinds: tuple[str, ...]
    column: str
    value: bool | datetime


def figure_rows(
    ticket_no: str, domain: str, events: Iterable[ProjectedEvent]
) -> tuple[list[dict[str, Any]], list[Settle]]:
    """The counted rows of `events` (in timeline order), and what each of them settles of earlier rows —
    applied in order, each to rows before its own seq, so a replayed projection settles nothing twice."""
    rows: list[dict[str, Any]] = []
    settles: list[Settle] = []
    for e in events:
        kind = str(e.kind)
        row: dict[str, Any] | None = None
        if kind in EVENT_FIGURES:
            row = _row(ticket_no, e, e.unit)
        elif kind == EventKind.CARD_CHANGED:
            clock, after = e.data.get(CardChanged.key("clock")), e.data.get(CardChanged.key("after"))
            if clock == SIGN_FOR:
                settles.append(Settle(e.seq, (EventKind.DISPATCHED.value,), RESPONDED, False))
            if after in CARDS_COUNTED:
                row = _row(ticket_no, e, e.unit) | {
                    "card": after,
                    "statutory": clock in STATUTORY_CARDED,
                    "charged_to": e.data.get(CardChanged.key("charged_to")),
                }
        elif kind == EventKind.DISPATCHED:
            # A receipt goes to the dispatch's lead; one still unanswered when the ticket goes elsewhere
            # was not signed for in time.
            settles.append(Settle(e.seq, (kind,), RESPONDED, False))
            lead = e.data.get(Dispatched.key("lead_unit"), e.unit)
            row = _row(ticket_no, e, lead) | {"redo": bool(e.data.get(Dispatched.key("redo")))}
        elif kind == EventKind.SIGNED_FOR:
            settles.append(Settle(e.seq, (EventKind.DISPATCHED.value,), RESPONDED, True))
        elif kind in RATING_KINDS:
            settles.append(Settle(e.seq, RATING_KINDS, SUPERSEDED_AT, e.at))
            row = _row(ticket_no, e, e.unit) | {
                "option": _option(kind, e.data, "handling"),
                "acceptance": _option(kind, e.data, "acceptance"),
                "resolved": e.data.get(Rated.key("resolved")),
                "domain": domain,
            }
        if row is not None:
            rows.append(row)
    return rows, settles


_COLUMNS = (
    "card",
    "statutory",
    "charged_to",
    "redo",
    RESPONDED,
    "option",
    "acceptance",
    "resolved",
    "domain",
    SUPERSEDED_AT,
)


def _row(ticket_no: str, e: ProjectedEvent, unit: str | None) -> dict[str, Any]:
    # Every column present (executemany wants one shape), unset ones null.
    return {
        "ticket_no": ticket_no,
        "seq": e.seq,
        "at": e.at,
        "kind": str(e.kind),
        "unit": unit,
    } | dict.fromkeys(_COLUMNS)


def _option(kind: str, data: dict[str, Any], stage: str) -> str | None:
    # A24: a defaulted rating counts as DEFAULTED_RATING (`rating_defaulted` carries no option).
    if kind == EventKind.RATING_DEFAULTED:
        return DEFAULTED_RATING.value
    given = data.get(Rated.key(stage)) or {}
    return given.get(StageRatingPayload.key("option"))


def settled(rows: list[dict[str, Any]], settles: Iterable[Settle]) -> list[dict[str, Any]]:
    """A whole timeline's rows with what its own later events settle, applied in order: what the projection's
    statements leave in the table (a backfill, a generated read model)."""
    for s in settles:
        for row in rows:
            if row["seq"] < s.seq and row["kind"] in s.kinds and row[s.column] is None:
                row[s.column] = s.value
    return rows
