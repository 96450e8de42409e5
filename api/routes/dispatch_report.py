"""A14 派单目录: how often operators override the catalogue's suggestion, per matter type and per operator.

From `dispatch_suggestions` (each registration that named a suggestion records its choice there), for the
registrations in the period. The office's only: it names operators. A high override rate for a matter type
says its entry is wrong or too broad; many `unsuggested` say the catalogue has a gap there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy import func, select

from api.deps import OperatorDep, SessionDep
from api.errors import responses
from api.figures.common import Period
from api.routes.reports import PERIOD, _period
from api.views import View
from db.api_models import CredentialRow
from db.catalogue_models import DispatchSuggestionRow, MatterTypeRow
from domain.vocabulary import DispatchDecision

router = APIRouter(prefix="/reports", tags=["reports"])


class Choices(View):
    """Registrations that named a suggestion, by what the operator did (domain/vocabulary.py DispatchDecision)."""

    registrations: int
    confirmed: int
    overridden: int
    undispatched: int
    unsuggested: int
    override_rate: float | None = Field(
        description="overridden / (confirmed + overridden), to 4 places; null when no lead was suggested and "
        "chosen."
    )

    @classmethod
    def of(cls, counts: dict[str, int]) -> Choices:
        by = {d.value: counts.get(d.value, 0) for d in DispatchDecision}
        judged = by["confirmed"] + by["overridden"]
        rate = round(by["overridden"] / judged, 4) if judged else None
        return cls(registrations=sum(by.values()), override_rate=rate, **by)


class MatterChoices(Choices):
    matter_code: str
    matter_name: str


class OperatorChoices(Choices):
    credential_id: int
    operator: str


class DispatchOverrides(View):
    period: Period
    total: Choices
    by_matter_type: list[MatterChoices]
    by_operator: list[OperatorChoices]


def _grouped(rows: Any) -> dict[Any, dict[str, int]]:
    grouped: dict[Any, dict[str, int]] = {}
    for key, decision, n in rows:
        grouped.setdefault(key, {})[decision] = n
    return grouped


@router.get(
    "/dispatch-overrides",
    response_model=DispatchOverrides,
    responses=responses(401, 403, 422, 503),
    summary="How often the dispatch suggestion is overridden (operator)",
    description="A14: registrations in the period that named a dispatch suggestion, by what the operator "
    f"did with it, per matter type and per operator. {PERIOD}",
)
async def dispatch_overrides(
    caller: OperatorDep, session: SessionDep, period: Annotated[Period, Depends(_period)]
) -> DispatchOverrides:
    s = DispatchSuggestionRow
    decided = (s.decision.is_not(None), period.holds(s.decided_at))

    async def count_by(column: Any) -> dict[Any, dict[str, int]]:
        query = select(column, s.decision, func.count()).where(*decided).group_by(column, s.decision)
        return _grouped((await session.execute(query)).all())

    by_matter = await count_by(s.matter_code)
    by_operator = await count_by(s.made_by)
    names = dict((await session.execute(select(MatterTypeRow.code, MatterTypeRow.name))).all())
    operators = dict(
        (
            await session.execute(
                select(CredentialRow.id, CredentialRow.name).where(CredentialRow.id.in_(by_operator))
            )
        ).all()
    )
    total: dict[str, int] = {}
    for counts in by_matter.values():
        for decision, n in counts.items():
            total[decision] = total.get(decision, 0) + n
    return DispatchOverrides(
        period=period,
        total=Choices.of(total),
        by_matter_type=[
            MatterChoices(matter_code=code, matter_name=names.get(code, ""), **Choices.of(c).model_dump())
            for code, c in sorted(by_matter.items())
        ],
        by_operator=[
            OperatorChoices(credential_id=cid, operator=operators.get(cid, ""), **Choices.of(c).model_dump())
            for cid, c in sorted(by_operator.items())
        ],
    )
