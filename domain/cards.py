"""A22: green on time, yellow from the moment a limit passes until N working days past it, red beyond."""

from __future__ import annotations

from datetime import datetime

from domain.vocabulary import CARD_SEVERITY, Card


def card_at(due_at: datetime, red_at: datetime, at: datetime) -> Card:
    if at < due_at:
        return Card.GREEN
    if at < red_at:
        return Card.YELLOW
    return Card.RED


def worst(cards: list[Card]) -> Card:
    return max(cards, key=CARD_SEVERITY.__getitem__, default=Card.GREEN)
