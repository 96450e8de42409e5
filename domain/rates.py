"""The three rates of national 12345 practice (the "三率" of the 接诉即办 assessments, since 国务院办公厅
《关于进一步优化地方政务服务便民热线的指导意见》, 国办发〔2020〕53号): the response rate (响应率), the resolution
rate (解决率) and the satisfaction rate (满意率), as arithmetic on counts; api/figures/rates.py counts them.
The city's regulation names none of them (A26, A27 ask for bulletins and an assessment): what each counts
is this service's reading, written out in docs/reports.md.

Each rate is numerator ÷ denominator over the bulletin's half-open period `[from, to)`, shown to 4 places;
with a zero denominator it is null (nothing to measure), never 0 or 1. docs/reports.md writes out what each
counts.

- **Response rate (响应率)**: of the receipts a unit had in the period (dispatches to it, A14; a redo is no
  receipt, A24), those it signed for (签收) within the sign-for limit: signed for before that limit's card
  turned (A22). A receipt not yet signed for counts in the denominator only.
- **Resolution rate (解决率)**: of the tickets whose final rating in the period answered "was the matter
  resolved" (是否解决, A24), those the requester said were resolved. A defaulted rating, or one from a client
  that did not ask, answers nothing and is left out of both.
- **Satisfaction rate (满意率)**: of the tickets rated in the period (their final rating there, a defaulted
  one read as basically satisfied, A24), those rated very satisfied, satisfied or basically satisfied. The
  handling stage (办理环节) is the unit's; the acceptance stage (受理环节) is the hotline's intake.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.vocabulary import DISSATISFIED, RatingOption

RATE_PLACES = 4
# A24: the options that count as satisfied in 满意率: 非常满意, 满意, 基本满意.
SATISFIED_OPTIONS = frozenset(RatingOption) - DISSATISFIED


class Rate(BaseModel):
    numerator: int
    denominator: int
    value: float | None = Field(description="numerator ÷ denominator, 0–1, to 4 places; null when 0 ÷ 0.")


def rate(numerator: int, denominator: int) -> Rate:
    if not 0 <= numerator <= denominator:
        raise ValueError(f"a rate needs 0 <= numerator <= denominator, not {numerator}/{denominator}")
    value = round(numerator / denominator, RATE_PLACES) if denominator else None
    return Rate(numerator=numerator, denominator=denominator, value=value)


class Rates(BaseModel):
    response: Rate = Field(
        description="响应率: receipts in the period signed for within the sign-for limit ÷ receipts in the "
        "period (redos are no receipt)."
    )
    resolution: Rate = Field(
        description="解决率: tickets whose final rating in the period says resolved ÷ those whose final "
        "rating answered 是否解决."
    )
    satisfaction: Rate = Field(
        description="满意率: tickets whose final handling rating in the period is very satisfied, satisfied "
        "or basically satisfied (a defaulted rating counts as basically satisfied) ÷ tickets rated."
    )


class RateCounts(BaseModel):
    """The counts behind a unit's Rates, summed over units for the city's."""

    received: int = 0
    responded: int = 0
    resolution_asked: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0

    def add(self, other: RateCounts) -> RateCounts:
        return RateCounts(**{k: getattr(self, k) + getattr(other, k) for k in RateCounts.model_fields})

    def rates(self) -> Rates:
        return Rates(
            response=rate(self.responded, self.received),
            resolution=rate(self.resolved, self.resolution_asked),
            satisfaction=rate(self.satisfied, self.rated),
        )
