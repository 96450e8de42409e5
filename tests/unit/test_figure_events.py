"""domain/figure_events.py: which events the reports count, what they carry, and what later events settle
(A22, A24, A26). The SQL side, projection by projection on each database: tests/db/test_figure_events.py."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.figure_events import ProjectedEvent, figure_rows, settled
from domain.ticket import ANSWER, SIGN_FOR
from domain.vocabulary import DEFAULTED_RATING


def e(seq: int, kind: str, unit: str | None = "WJ", **data: object) -> ProjectedEvent:
    return ProjectedEvent(seq, datetime(2026, 11, 2, seq, tzinfo=UTC), kind, dict(data), unit)


def dispatch(seq: int, lead: str, redo: bool = False) -> ProjectedEvent:
    return e(seq, "dispatched", None, lead_unit=lead, co_units=[], designated=False, redo=redo)


def test_a22_a26_cards_counted_are_yellow_and_red_with_their_basis_and_whose_they_are() -> None:
    rows, _ = figure_rows(
        "T1",
        "城市照明",
        [
            e(1, "card_changed", clock=ANSWER, before="green", after="yellow"),
            e(2, "card_changed", clock=SIGN_FOR, before="green", after="yellow"),
            e(3, "card_changed", clock=ANSWER, before="red", after="green"),  # an extension lifted it
            e(
                4,
                "card_changed",
                clock="linkage_ack:110",
                before="yellow",
                after="red",
                charged_to="hotline",
            ),
        ],
    )
    assert [(r["seq"], r["card"], r["statutory"], r["charged_to"]) for r in rows] == [
        (1, "yellow", True, None),  # A17's answer limit: the regulation's
        (2, "yellow", False, None),  # the sign-for limit: the office set it
        (4, "red", False, "hotline"),  # the hotline's own (A23): the bulletin leaves it out
    ]


def test_a24_a_receipt_is_responded_only_when_signed_for_before_its_card_or_the_next_dispatch() -> None:
    rows = settled(
        *figure_rows(
            "T1",
            "城市照明",
            [
                dispatch(1, "WJ"),
                e(2, "signed_for"),  # responded
                dispatch(3, "ZJ"),
                e(4, "card_changed", "ZJ", clock=SIGN_FOR, before="green", after="yellow"),
                e(5, "signed_for", "ZJ"),  # after its card: not responded
                dispatch(6, "SG"),
                dispatch(7, "WJ"),  # SG never signed: not responded
                dispatch(8, "WJ", redo=True),  # A24 redo: flagged, not a receipt the rate counts
            ],
        )
    )
    receipts = [(r["seq"], r["unit"], r["redo"], r["responded"]) for r in rows if r["kind"] == "dispatched"]
    assert receipts == [
        (1, "WJ", False, True),
        (3, "ZJ", False, False),
        (6, "SG", False, False),
        (7, "WJ", False, False),  # the redo came before any sign-for
        (8, "WJ", True, None),
    ]


def test_a24_the_second_rating_supersedes_the_first_and_a_default_counts_as_basically_satisfied() -> None:
    rows = settled(
        *figure_rows(
            "T1",
            "人民调解",
            [
                e(
                    1,
                    "rated",
                    round=1,
                    acceptance={"option": "satisfied"},
                    handling={"option": "dissatisfied"},
                ),
                e(2, "callback_recorded"),
                e(3, "rating_defaulted", round=2),
            ],
        )
    )
    assert [(r["kind"], r["option"], r["acceptance"], r["domain"]) for r in rows] == [
        ("rated", "dissatisfied", "satisfied", "人民调解"),
        ("callback_recorded", None, None, None),
        ("rating_defaulted", DEFAULTED_RATING.value, DEFAULTED_RATING.value, "人民调解"),
    ]
    assert (
        rows[0]["superseded_at"] == datetime(2026, 11, 2, 3, tzinfo=UTC) and rows[2]["superseded_at"] is None
    )


def test_settling_twice_changes_nothing() -> None:
    events = [dispatch(1, "WJ"), e(2, "signed_for"), dispatch(3, "ZJ")]
    rows, settles = figure_rows("T1", "", events)
    once = [dict(r) for r in settled(rows, settles)]
    assert settled(rows, settles) == once
