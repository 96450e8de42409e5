"""The requester's page says every stage, outcome and rating option in Chinese, and times as Shanghai's."""

from __future__ import annotations

from datetime import UTC, datetime

from api.pages import labels
from domain.calendar import SHANGHAI
from domain.vocabulary import Category, NotAcceptedReason, Outcome, RatingOption, Stage


def test_every_stage_outcome_reason_category_and_option_has_a_label() -> None:
    assert set(labels.STAGES) == set(Stage)
    assert set(labels.OUTCOMES) == set(Outcome)
    assert set(labels.NOT_ACCEPTED_REASONS) == set(NotAcceptedReason)
    assert set(labels.CATEGORIES) == set(Category)
    assert list(labels.RATING_OPTIONS) == list(RatingOption)  # A24: best first, as the form lists them


def test_times_read_as_shanghai_wall_clock() -> None:
    assert labels.shanghai(datetime(2026, 12, 1, 1, 5, tzinfo=UTC)) == "2026年12月1日 09:05"
    assert labels.shanghai(None) == ""


def test_a_limit_ends_at_24_00_of_its_last_day() -> None:
    assert labels.deadline(datetime(2026, 12, 17, 0, 0, tzinfo=SHANGHAI)) == "2026年12月16日 24:00"
    assert labels.deadline(datetime(2026, 12, 17, 9, 30, tzinfo=SHANGHAI)) == "2026年12月17日 09:30"
    assert labels.deadline(datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI)) == "2026年12月31日 24:00"


def test_an_event_without_a_label_reads_as_progress_not_as_a_code() -> None:
    assert labels.event("deadlines_recomputed") == "办理进展"
    assert labels.event("dispatched") == "已派至承办单位"
