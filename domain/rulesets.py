"""Time limits as data (A17, A33): a versioned rule set, captured when a ticket starts.

The regulation fixes the answer limits (A17.1–A17.3), the return and survey windows (A14.1–A14.3), the
card thresholds (A22) and the rating window (A24). It does not fix a unit's sign-for limit or the hotline's
own limits (reviews, coordination, callback): those are rule-set values the office sets, with the defaults
below, documented in README.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.vocabulary import Category, Channel


class Period(BaseModel):
    """Either working days (civil-law counting, see domain/calendar.py) or natural hours."""

    model_config = ConfigDict(frozen=True)
    working_days: int | None = Field(None, ge=0, le=60)
    hours: float | None = Field(None, gt=0, le=24 * 60)

    @model_validator(mode="after")
    def _exactly_one(self) -> Period:
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("a period is either working_days or hours")
        return self

    def describe(self) -> str:
        return (
            f"{self.working_days} working days" if self.working_days is not None else f"{self.hours:g} hours"
        )


def wd(n: int) -> Period:
    return Period(working_days=n)


def hours(n: float) -> Period:
    return Period(hours=n)


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_.:-]{1,63}$")
    version: int = Field(1, ge=1)
    title: str
    basis: str = ""
    # A17.1 / A17.2: handled and answered within N working days of receipt.
    answer_limits: dict[Category, Period]
    # A17.3: an emergency is handled within 2 hours and concluded within 2 working days.
    emergency_handle: Period = hours(2)
    emergency_conclude: Period = wd(2)
    # Not fixed by the regulation: the unit signs for (签收) a ticket within this.
    sign_for: Period = wd(1)
    emergency_sign_for: Period = hours(0.5)
    # A14.1 / A14.2: a return within 1 WD of receipt; A14.3: survey within 1 WD, return within 2 WD of it.
    return_window: Period = wd(1)
    survey_start_window: Period = wd(1)
    survey_return_window: Period = wd(2)
    # A22: yellow from the moment a limit passes; red more than this many WD past it.
    red_after_working_days: int = Field(2, ge=1, le=10)
    # A24: the requester answers the rating within 24 natural hours.
    rating_window: Period = hours(24)
    # The hotline's own limits, which the regulation does not fix: the office sets them. Each is a clock
    # charged to the hotline office (domain/clocks.py FAMILIES), carded and reported like a unit's.
    return_review: Period = wd(1)  # A14.1: the hotline reviews a return
    extension_review: Period = wd(1)  # A17: … an extension
    closure_review: Period = wd(2)  # A20, A14.4, A18: … a closure, a finding or a termination notice
    coordination: Period = wd(3)  # A14.5: the hotline convenes the units and designates the lead
    callback: Period = wd(1)  # A24: the hotline calls a dissatisfied requester back
    # A23: a line acknowledges a hand-over within this, or the hotline's duty officer is alerted.
    linkage_ack: Period = hours(5 / 60)
    # A17: at most one extension; A24: one redo.
    max_extensions: int = Field(1, ge=0, le=1)
    max_redos: int = Field(1, ge=0, le=1)
    # A21: how long a concluded ticket stays open for supplementary answers before it is archived.
    supplement_window_days: int = Field(90, ge=1, le=3650)
    # A11: natural days a disruptive caller is restricted.
    restriction_days: int = Field(30, ge=1, le=365)
    # A35 「本细则自印发之日起施行，有效期 3 年」: the local dates the rules it carries are in force (None: open).
    # A ticket registered after `valid_until` still opens under it, flagged to the office (`lapsed_on`), which
    # loads the successor as a new version.
    valid_from: date | None = None
    valid_until: date | None = None
    # A33: the county (its unit id, kind `county`) whose own rules these are. A ticket led by a unit in that
    # county's tree takes the latest version without the operator naming it (rule_set_id_for).
    county_unit_id: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _every_category_has_a_limit(self) -> RuleSet:
        missing = set(Category) - set(self.answer_limits)
        if missing:
            raise ValueError(f"answer_limits lacks {sorted(m.value for m in missing)}")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until lies before valid_from")
        return self

    def in_force_on(self, day: date) -> bool:
        """A35: whether these rules were in force on a local date."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def answer_limit(self, category: Category, emergency: bool) -> Period:
        return self.emergency_conclude if emergency else self.answer_limits[category]

    def sign_for_limit(self, emergency: bool) -> Period:
        return self.emergency_sign_for if emergency else self.sign_for


def _city_limits() -> dict[Category, Period]:
    return {
        Category.CONSULTATION: wd(2),  # A17.1
        Category.HELP: wd(10),  # A17.2
        Category.COMPLAINT: wd(10),
        Category.REPORT: wd(10),
        Category.SUGGESTION: wd(10),
    }


# A35: 印发 2022-11-04 (韶府办发函〔2022〕174号), 有效期 3 年: in force to 2025-11-03. Version 2 records the
# validity (version 1 carried none); a ticket registered after it is flagged, never refused (A35 lapsed_on).
CITY = RuleSet(
    id="city",
    version=2,
    title="韶关市12345热线管理细则 (city)",
    basis="韶府办发函〔2022〕174号",
    answer_limits=_city_limits(),
    valid_from=date(2022, 11, 4),
    valid_until=date(2025, 11, 3),
)
# A17.4 「省级平台通过 12345 热线交办的诉求，按省级有关规定办理」: the Guangdong measures set 2 WD for
# consultations, 10 WD for help requests and suggestions, 15 WD for complaints and reports. Version 1 shipped
# the city's values (10 WD for complaints): tickets that opened under it keep them (the set is in their state).
PROVINCIAL = RuleSet(
    id="provincial",
    version=2,
    title="广东省12345政务服务便民热线管理办法 (provincial platform tickets)",
    basis="A17.4: 《广东省12345政务服务便民热线管理办法》（粤办函〔2022〕230号）",
    answer_limits={
        Category.CONSULTATION: wd(2),
        Category.HELP: wd(10),
        Category.SUGGESTION: wd(10),
        Category.COMPLAINT: wd(15),
        Category.REPORT: wd(15),
    },
)
# A17.5: the national platform's own rules; seeded with the city's values until the office loads its figures.
NATIONAL = RuleSet(
    id="national", title="National platform tickets", basis="A17.5", answer_limits=_city_limits()
)
DEFAULT_RULE_SETS = (CITY, PROVINCIAL, NATIONAL)

# A17.4 / A17.5: platform tickets follow the platform's rules; every other channel the city's.
RULE_SET_BY_CHANNEL = {Channel.PROVINCIAL_PLATFORM: PROVINCIAL.id, Channel.NATIONAL_PLATFORM: NATIONAL.id}


def rule_set_id_for(channel: Channel, chosen: str | None = None) -> str:
    """The rule set a new ticket keeps for life: the one registration chose, else its channel's (A17.4 /
    A17.5: a platform's ticket follows the platform's rules wherever it is handled, a county's own rules being
    made "根据本细则"), else the city's. Before the city's, the records may find the set of the county its
    lead is in (A33, activities/hotline.py and the first dispatch)."""
    return chosen or RULE_SET_BY_CHANNEL.get(channel, CITY.id)


def lapsed_on(rule_set: RuleSet, day: date) -> bool:
    """A35: a ticket registered on this local date under rules past their validity (flagged to the office)."""
    return rule_set.valid_until is not None and day > rule_set.valid_until


def county_rule_set(county_code: str, title: str, **overrides: object) -> RuleSet:
    """A33: a county's own rules, starting from the city's."""
    data = (
        CITY.model_dump()
        | {"id": f"county-{county_code}", "version": 1, "title": title, "basis": "A33"}
        | {"valid_from": None, "valid_until": None}
        | overrides
    )
    return RuleSet.model_validate(data)


# One instance per rule set version in a process (issue 17, B3): every ticket holds the rule set it was
# registered under (A35), a worker caches a thousand tickets, and a RuleSet is ~12 KiB of objects. Frozen, so
# equal ones may be one object; bounded, so one-off rule sets (bench B4) do not grow it without end.
_SHARED: dict[tuple[str, int], RuleSet] = {}
_SHARED_MAX = 256


def shared(rule_set: RuleSet) -> RuleSet:
    """The process's instance equal to `rule_set` (the first one seen), or `rule_set` itself."""
    key = (rule_set.id, rule_set.version)
    held = _SHARED.get(key)
    if held is rule_set or (held is not None and held == rule_set):
        return held
    if held is None and len(_SHARED) < _SHARED_MAX:
        _SHARED[key] = rule_set
    return rule_set
