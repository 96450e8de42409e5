"""Counting time: an unloaded year counts the statutory holidays the national rule fixes
(《全国年节及纪念日放假办法》, 国务院令第795号 from 2025, 第644号 2014–2024), computed, not listed."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from domain.calendar import WorkingCalendar, load_seed
from domain.holidays import statutory_holidays

OFFICIAL = {y.year: frozenset(y.holidays) for y in load_seed()}


@pytest.mark.parametrize("year", range(2014, 2027))
def test_the_computed_days_are_official_holidays_in_every_seeded_year(year: int) -> None:
    """Each notice keeps the rule's days and adds bridging days: computed ⊆ official (seed from
    chinesecalendar), for 2025 and 2026 under 795号 and for 2014–2024 under 644号."""
    computed = statutory_holidays(year)
    assert computed <= OFFICIAL[year], sorted(computed - OFFICIAL[year])
    assert len(computed) == (13 if year >= 2025 else 11) - _overlaps(year)


def _overlaps(year: int) -> int:
    # 中秋 on 1–3 October (2020: 1 October) is one day, not two.
    return 1 if year == 2020 else 0


def test_the_chinesecalendar_package_agrees_for_2025_and_2026() -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")
    for year in (2025, 2026):
        for day in statutory_holidays(year):
            assert chinese_calendar.is_holiday(day), day


def test_2027_as_the_rule_fixes_it() -> None:
    """元旦; 春节 除夕 (Feb 5) to 初三; 清明 the solar term; 劳动节 May 1–2; 端午 lunar 5/5; 中秋 lunar 8/15;
    国庆 Oct 1–3."""
    assert sorted(statutory_holidays(2027)) == [
        date(2027, 1, 1),
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
        date(2027, 4, 5),
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 6, 9),
        date(2027, 9, 15),
        date(2027, 10, 1),
        date(2027, 10, 2),
        date(2027, 10, 3),
    ]


def test_qingming_follows_the_solar_term() -> None:
    assert date(2025, 4, 4) in statutory_holidays(2025) and date(2025, 4, 5) not in statutory_holidays(2025)
    assert date(2026, 4, 5) in statutory_holidays(2026) and date(2026, 4, 4) not in statutory_holidays(2026)


def test_a_loaded_notice_replaces_the_computed_days() -> None:
    seeded = WorkingCalendar(load_seed())
    # 2026's notice: 2026-01-02 (Friday) is a bridging holiday the rule does not name; the notice decides.
    assert not seeded.is_working_day(date(2026, 1, 2))
    # An unloaded 2027: Friday 1 January is off; Monday 4 January, which only a notice could bridge, works.
    assert not seeded.is_working_day(date(2027, 1, 1)) and seeded.is_working_day(date(2027, 1, 4))
    # A year outside the rule's computed span keeps Monday–Friday.
    assert statutory_holidays(2013) == frozenset() and statutory_holidays(2101) == frozenset()


def test_the_workflow_side_never_imports_the_lunar_library() -> None:
    """Domain modules pass through into the workflow sandbox; the library is imported only when an
    activity (or the API) computes an unloaded year."""
    code = (
        "import sys, workflows.ticket, domain.calendar, domain.holidays; "
        "assert 'borax' not in sys.modules, 'borax imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
