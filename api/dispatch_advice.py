"""A14 派单目录 at registration: the suggestion an operator asks for, stored as shown, and its use by the
registration that follows, which records what the operator chose (confirmed or overridden).

A suggestion is stored, not recomputed at registration: the catalogue may change between the two, and what
counts is what the operator was shown. A registration names it by id (`dispatch_suggestion_id`); it must be
the caller's own and is used once, by one ticket. A registration without one works as it always did.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller
from api.chinese import simplified
from api.errors import conflict, invalid
from db.api_models import UnitRow
from db.catalogue import current_catalogue
from db.catalogue_models import DispatchSuggestionRow
from domain.commands import DispatchAdvice, Registration
from domain.dispatch_catalogue import AreaMatch, Catalogue, Suggestion, decision, locate, suggest

SUGGESTION_ID_PATTERN = r"^ds-[0-9a-f]{24}$"


async def deactivated_units(session: AsyncSession) -> frozenset[str]:
    return frozenset(await session.scalars(select(UnitRow.id).where(UnitRow.deactivated_at.is_not(None))))


def require_matter(catalogue: Catalogue, code: str) -> None:
    if code not in catalogue.matter_types:
        raise invalid("UNKNOWN_MATTER_TYPE", f"the dispatch catalogue has no matter type {code}", "A14")


async def make_suggestion(
    session: AsyncSession, caller: Caller, matter_code: str, location: str, content: str, now: datetime
) -> tuple[DispatchSuggestionRow, Catalogue, AreaMatch, Suggestion]:
    """Locate the area, look the lead up (domain/dispatch_catalogue.py `suggest`, its precedence), and store
    the suggestion as shown. The caller's session commits it."""
    catalogue, revision = await current_catalogue(session)
    require_matter(catalogue, matter_code)
    # The area names are kept in Simplified Chinese: a caller's 武江區 is folded before it is matched.
    where = locate(catalogue, simplified(location), simplified(content))
    found = suggest(catalogue, matter_code, where.area_id, await deactivated_units(session))
    row = DispatchSuggestionRow(
        id=f"ds-{secrets.token_hex(12)}",
        made_at=now,
        made_by=caller.credential_id,
        catalogue_revision=revision,
        matter_code=matter_code,
        area_id=where.area_id,
        reason=found.reason.value,
        lead_unit=found.lead_unit,
        co_units=found.co_units,
    )
    session.add(row)
    return row, catalogue, where, found


async def advice_for(
    session: AsyncSession, caller: Caller, suggestion_id: str, dispatch_to: str | None
) -> DispatchAdvice:
    """The registration's record of the suggestion it follows. 422 UNKNOWN_SUGGESTION for an id that is not
    the caller's (whoever's it is: ids are not probed). Whether it is still unused is judged as the
    registration is claimed (`use_suggestion`), so a retry of the same registration still finds it."""
    row = await session.scalar(
        select(DispatchSuggestionRow).where(
            DispatchSuggestionRow.id == suggestion_id, DispatchSuggestionRow.made_by == caller.credential_id
        )
    )
    if row is None:
        raise invalid("UNKNOWN_SUGGESTION", f"no dispatch suggestion {suggestion_id} of yours", "A14")
    return DispatchAdvice(
        suggestion_id=row.id,
        matter_code=row.matter_code,
        area_id=row.area_id,
        suggested_lead=row.lead_unit,
        suggested_co_units=list(row.co_units),
        decision=decision(row.lead_unit, dispatch_to),
        catalogue_revision=row.catalogue_revision,
    )


async def use_suggestion(session: AsyncSession, registration: Registration, now: datetime) -> None:
    """Record the operator's choice on the suggestion, in the registration's claim transaction; a suggestion
    already used by another ticket is 409 SUGGESTION_USED (and nothing of this registration is stored)."""
    advice = registration.dispatch_advice
    if advice is None:
        return
    values: dict[str, Any] = {
        "ticket_no": registration.ticket_no,
        "chosen_lead": registration.dispatch_to,
        "chosen_co_units": list(registration.co_units),
        "decision": advice.decision.value,
        "decided_at": now,
    }
    result = await session.execute(
        update(DispatchSuggestionRow)
        .where(DispatchSuggestionRow.id == advice.suggestion_id, DispatchSuggestionRow.ticket_no.is_(None))
        .values(values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict(
            "SUGGESTION_USED",
            f"dispatch suggestion {advice.suggestion_id} was used by another registration: ask for a new one",
            "A14",
        )
