"""Time limits as data (A17, A33): a versioned rule set, captured when a ticket starts.

The regulation fixes the answer limits (A17.1–A17.3), the return and survey windows (A14.1–A14.3), the
card thresholds (A22) and the rating window (A24). It does not fix a unit's sign-for limit or the hotline's
own limits (reviews, coordination, callback): those are rule-set values the office sets, with the defaults
below, documented in README.
"""

from __future__ import annotations

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

    @model_validator(mode="after")
    def _every_category_has_a_limit(self) -> RuleSet:
        missing = set(Category) - set(self.answer_limits)
        if missing:
            raise ValueError(f"answer_limits lacks {sorted(m.value for m in missing)}")
        return self

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


CITY = RuleSet(
    id="city",
    title="韶关市12345热线管理细则 (city)",
    basis="韶府办发函〔2022〕174号",
    answer_limits=_city_limits(),
)
# A17.4 / A17.5: the provincial and national platforms' own rules. Seeded with the city's values; the
# hotline office loads the platforms' current figures through the API as a new version.
PROVINCIAL = RuleSet(
    id="provincial", title="Provincial platform tickets", basis="A17.4", answer_limits=_city_limits()
)
NATIONAL = RuleSet(
    id="national", title="National platform tickets", basis="A17.5", answer_limits=_city_limits()
)
DEFAULT_RULE_SETS = (CITY, PROVINCIAL, NATIONAL)

# A17.4 / A17.5: platform tickets follow the platform's rules; every other channel the city's.
RULE_SET_BY_CHANNEL = {Channel.PROVINCIAL_PLATFORM: PROVINCIAL.id, Channel.NATIONAL_PLATFORM: NATIONAL.id}


def rule_set_id_for(channel: Channel, chosen: str | None = None) -> str:
    """The rule set a new ticket keeps for life: the one registration chose (A33: a county's), else its
    channel's (A17.4 / A17.5), else the city's."""
    return chosen or RULE_SET_BY_CHANNEL.get(channel, CITY.id)


def county_rule_set(county_code: str, title: str, **overrides: object) -> RuleSet:
    """A33: a county's own rules, starting from the city's."""
    data = CITY.model_dump() | {"id": f"county-{county_code}", "title": title, "basis": "A33"} | overrides
    return RuleSet.model_validate(data)
