"""The statutory holidays the national rule itself fixes (《全国年节及纪念日放假办法》), for a year whose
State Council notice is not loaded yet ("Counting time": the calendar of such a year is provisional).

The rule fixes the days; each year's notice then adds what it alone decides: the 调休 weekend workdays and
the bridging days that join a holiday to a weekend. So a computed year still counts as provisional, but a
limit running over 1 January or the Spring Festival of a coming year no longer counts those days.

Pure computation. The lunar calendar (borax) is imported inside `statutory_holidays`, never at module
import: domain modules are passed through into the workflow sandbox, and the workflow never calls this (the
calendar reaches it only through the `plan_deadlines` activity, domain/deadlines.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# 国务院令第795号 (2024-11-10, in force 2025-01-01): 春节 4 days (除夕 to 初三), 劳动节 2 days.
STATE_COUNCIL_DECREE_795 = 2025
# 国务院令第644号 (2013-12-11, in force 2014-01-01): 春节 3 days (初一 to 初三), 劳动节 1 day.
STATE_COUNCIL_DECREE_644 = 2014
# The lunar calendar the library knows (borax: lunar years 1900–2100).
FIRST_COMPUTED_YEAR, LAST_COMPUTED_YEAR = STATE_COUNCIL_DECREE_644, 2100


def statutory_holidays(year: int) -> frozenset[date]:
    """Every day off that the national rule in force in `year` names; empty outside 2014–2100 (before 644号
    the seed's notices cover every year a ticket can reach)."""
    if not FIRST_COMPUTED_YEAR <= year <= LAST_COMPUTED_YEAR:
        return frozenset()
    return _computed(year)


@lru_cache(maxsize=256)
def _computed(year: int) -> frozenset[date]:
    # Lazy: see the module docstring. borax is pure Python, so the first call costs milliseconds.
    from borax.calendars.lunardate import LunarDate, TermUtils

    def lunar(month: int, day: int) -> date:
        solar: date = LunarDate(year, month, day).to_solar_date()
        return solar

    spring_festival = lunar(1, 1)
    decree_795 = year >= STATE_COUNCIL_DECREE_795
    spring_days = range(-1, 3) if decree_795 else range(3)  # 除夕–初三 / 初一–初三
    labour_days = (1, 2) if decree_795 else (1,)
    qingming: date = TermUtils.nth_term_day(year, term_name="清明")  # the solar term: 4 or 5 April
    days = {
        date(year, 1, 1),  # 元旦
        *(spring_festival + timedelta(days=n) for n in spring_days),  # 春节
        qingming,  # 清明节
        *(date(year, 5, d) for d in labour_days),  # 劳动节
        lunar(5, 5),  # 端午节
        lunar(8, 15),  # 中秋节
        *(date(year, 10, d) for d in (1, 2, 3)),  # 国庆节
    }
    # 除夕 of lunar year `year` lies in January or February of the same Gregorian year: nothing leaks out.
    return frozenset(d for d in days if d.year == year)
