"""What an action needs true of the records before its workflow update: the database-backed preconditions.

The workflow judges everything its own state decides (domain/verdicts.py); what only the read model and
the registries know (which units exist and where they sit, who has cleared staff, whether an earlier
ticket was concluded, a knowledge point's upload time) the API checks here, before the update. Each
`Prepare` hook also completes the command's fields in place; api/routes/actions.py names one per action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth import Caller
from api.errors import conflict, invalid, not_your_action
from api.privacy import Relation
from api.runtime import Runtime
from api.ticket_access import Actionable
from api.unit_tree import MEMBER_TIER, unit_scope
from db.api_models import CredentialRow, KnowledgePointRow, KnowledgePointVersionRow, UnitRow
from db.filing_models import LEADER_ROLES, FiledPersonRow
from db.models import RestrictedCallerRow, TicketRow
from db.rule_sets import county_rule_set
from domain.commands import FiledSignatory, KnowledgePoint, Registration
from domain.matters import CONCLUDED_MATTER, prior_ticket_no
from domain.phones import phone_key


@dataclass(frozen=True)
class Acting:
    """One action under way: who acts, on which ticket, and what the API learnt of it before the update."""

    runtime: Runtime
    caller: Caller
    ticket_no: str
    ticket: Actionable


# Server-side completion of the command's fields (in place), after the checks every action makes.
Prepare = Callable[[Acting, dict[str, Any]], Awaitable[None]]


# -- units (A4–A6, A32) -----------------------------------------------------------------------------------
async def require_units(
    session: AsyncSession,
    unit_ids: Iterable[str | None],
    *,
    lead: str | None = None,
    confidential: bool = False,
) -> None:
    """A4–A6: a ticket goes only to units the hotline has registered: an unknown id is the caller's mistake.
    `lead`: the unit the hotline sends the ticket to, to lead it, which must be a member unit (A6), and for
    a `confidential` request one with cleared staff (A32)."""
    wanted = {u for u in [lead, *unit_ids] if u is not None}
    if not wanted:
        return
    rows = (
        await session.execute(
            select(UnitRow.id, UnitRow.tier, UnitRow.deactivated_at).where(UnitRow.id.in_(wanted))
        )
    ).all()
    tiers = {row.id: row.tier for row in rows}
    missing = sorted(wanted - set(tiers))
    if missing:
        raise invalid("UNKNOWN_UNIT", f"no such unit: {', '.join(missing)}")
    deactivated = sorted(row.id for row in rows if row.deactivated_at is not None)
    if deactivated:
        # 422 like an unknown unit: naming it is the caller's mistake, whatever the ticket's stage.
        raise invalid("UNIT_DEACTIVATED", f"deactivated, it receives no tickets: {', '.join(deactivated)}")
    if lead is not None and tiers[lead] != MEMBER_TIER:
        raise invalid(
            "NOT_A_MEMBER_UNIT",
            f"the hotline dispatches to member units (tier 2); {lead} is tier {tiers[lead]}: a sub-unit "
            "gets a ticket forwarded from the unit above it",
            "A6",
        )
    if lead is not None and confidential:
        await require_cleared_staff(session, lead)


async def require_sub_centre(session: AsyncSession, unit_id: str | None) -> None:
    """A8: a call is transferred to a sub-centre (a unit of kind `sub_centre`), named as `dispatch_to`."""
    kind = await session.scalar(select(UnitRow.kind).where(UnitRow.id == unit_id)) if unit_id else None
    if kind != "sub_centre":
        raise invalid(
            "NOT_A_SUB_CENTRE", "a transferred call names the sub-centre it went to as `dispatch_to`", "A8"
        )


async def require_cleared_staff(session: AsyncSession, unit_id: str) -> None:
    """A32: a confidential request "travels through a dedicated channel handled by designated staff". A unit
    with no cleared staff could not even see the ticket it is given, and its limits would run to red."""
    cleared = await session.scalar(
        select(CredentialRow.id)
        .where(
            CredentialRow.unit_id == unit_id,
            CredentialRow.confidential_clearance.is_(True),
            CredentialRow.revoked_at.is_(None),
        )
        .limit(1)
    )
    if cleared is None:
        raise conflict(
            "NO_CLEARED_STAFF",
            f"{unit_id} has no staff cleared for confidential requests; issue one a cleared credential first",
            "A32",
        )


async def require_subunit(session: AsyncSession, unit_id: str, sub_unit: str, *, confidential: bool) -> None:
    """A6: a unit forwards only to a unit below it, never sideways or up; a confidential request only to
    one with cleared staff (A32)."""
    await require_units(session, [sub_unit])
    if sub_unit == unit_id or sub_unit not in await unit_scope(session, unit_id):
        raise invalid("NOT_A_SUBUNIT", f"{sub_unit} is not a sub-unit of {unit_id}", "A6")
    if confidential:
        await require_cleared_staff(session, sub_unit)


# -- prepare hooks ----------------------------------------------------------------------------------------
async def contact_time(acting: Acting, data: dict[str, Any]) -> None:
    """A20: a contact attempt recorded without `at` happened now."""
    if data.get("at") is None:
        data["at"] = await acting.runtime.clock()


async def _cited_point(
    runtime: Runtime, point_id: str, version: int | None, rule: str, *, live: bool
) -> KnowledgePoint:
    """A29: the point and the version of its text an action relies on (the current one unless named),
    with the times A16.6 weighs; all from the knowledge base, none from the caller."""
    async with runtime.session_maker() as session:
        point = await session.get(KnowledgePointRow, point_id)
        if point is None:
            raise invalid("UNKNOWN_KNOWLEDGE_POINT", f"no knowledge point {point_id}", rule)
        if live and point.withdrawn_at is not None:
            # A12: an answer given today does not rest on a point its unit withdrew as wrong (A29).
            raise invalid("KNOWLEDGE_POINT_WITHDRAWN", f"{point_id} was withdrawn", rule)
        cited = await session.get(KnowledgePointVersionRow, (point_id, version or point.version))
    current = KnowledgePoint(id=point.id, uploaded_at=point.uploaded_at, corrected_at=point.corrected_at)
    if cited is None:
        if version in (None, point.version):
            # A point written outside the API (a seed) has no version rows: its text as it stands.
            since = current.applicable_since()
            return current.model_copy(update={"version": point.version, "version_written_at": since})
        raise invalid("UNKNOWN_KNOWLEDGE_POINT_VERSION", f"{point_id} has no version {version}", rule)
    return current.model_copy(update={"version": cited.version, "version_written_at": cited.written_at})


async def refusal_point(acting: Acting, data: dict[str, Any]) -> None:
    """A16.6: the refusal relies on a KB point; its upload time comes from the KB, not from the caller."""
    point_id = data.pop("knowledge_point_id", None)
    version = data.pop("knowledge_point_version", None)
    if point_id is None:
        if version is not None:
            raise invalid("KNOWLEDGE_POINT_REQUIRED", "a version is cited with its knowledge point", "A16.6")
        return
    data["knowledge_point"] = await _cited_point(acting.runtime, point_id, version, "A16.6", live=False)


async def review_of_return(acting: Acting, data: dict[str, Any]) -> None:
    """A14.1: an approval without `redispatch_to` sends the ticket to the unit the return suggested; for a
    confidential request that unit, too, must have cleared staff (A32). Then A16.6's knowledge point."""
    if data.get("approve") and not data.get("redispatch_to") and acting.ticket.confidential:
        async with acting.runtime.session_maker() as session:
            state = await _stored_state(session, acting.ticket_no)
            pending = [r for r in state.get("returns", []) if r.get("id") == data.get("return_id")]
            suggested = pending[-1]["application"].get("suggested_unit") if pending else None
            if suggested:
                await require_cleared_staff(session, suggested)
    await refusal_point(acting, data)


async def answering_point(acting: Acting, data: dict[str, Any]) -> None:
    """A12: the answer cites a point of the knowledge base, if any: one that exists and is not withdrawn,
    and the version of it the operator read (A29; the current one unless named)."""
    version = data.pop("knowledge_point_version", None)
    if point_id := data.get("knowledge_point_id"):
        data["knowledge_point"] = await _cited_point(acting.runtime, point_id, version, "A12", live=True)
    elif version is not None:
        raise invalid("KNOWLEDGE_POINT_REQUIRED", "a version is cited with its knowledge point", "A12")


async def subunit(acting: Acting, data: dict[str, Any]) -> None:
    """A6: the caller's unit forwards to a unit below it (A32: with cleared staff, if confidential)."""
    unit_id = acting.caller.unit_id
    assert unit_id is not None
    async with acting.runtime.session_maker() as session:
        await require_subunit(session, unit_id, data["sub_unit"], confidential=acting.ticket.confidential)


async def filed_sign_off(acting: Acting, data: dict[str, Any]) -> None:
    """A15 「由承办单位分管领导或经授权的有关负责同志签批」: the signer is found on the returning unit's register
    (A5): a filed leader, or a signatory a filed leader (still on file) authorised. Not found, the sign-off
    goes as written and the workflow's verdict decides (refused from verdicts 4: A15_SIGN_OFF_FILED)."""
    sign_off = dict(data["signed_off_by"])
    unit_id = acting.caller.unit_id
    async with acting.runtime.session_maker() as session:
        signer = await filed_signer(session, unit_id, sign_off["name"]) if unit_id else None
    data["signed_off_by"] = sign_off | {"filed": signer}


async def filed_signer(session: AsyncSession, unit_id: str, name: str) -> FiledSignatory | None:
    authoriser = aliased(FiledPersonRow)
    query = (
        select(FiledPersonRow.id, FiledPersonRow.role, authoriser.name.label("authoriser"))
        .outerjoin(authoriser, authoriser.id == FiledPersonRow.authorised_by)
        .where(
            FiledPersonRow.unit_id == unit_id,
            FiledPersonRow.name == name.strip(),
            FiledPersonRow.withdrawn_at.is_(None),
            or_(
                FiledPersonRow.role.in_(LEADER_ROLES),
                and_(FiledPersonRow.role == "authorised_signatory", authoriser.withdrawn_at.is_(None)),
            ),
        )
        .order_by(FiledPersonRow.role == "authorised_signatory", FiledPersonRow.id)  # a leader first
        .limit(1)
    )
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    return FiledSignatory(person_id=row.id, role=row.role, authorised_by=row.authoriser or "")


async def prior_matter(acting: Acting, data: dict[str, Any]) -> None:
    """A18: the notice names an earlier ticket of the same requester, concluded by law (「已依法办理完毕」);
    whether it is the same matter with nothing new the hotline decides when it reviews the notice (filed
    with 12345, 「在12345热线备案」). The workflow cannot look another ticket up, so the API checks the read
    model before the update, for the unit handling this ticket only. Whatever is wrong with the number
    cited — unknown, still open, another requester's — the unit hears the same answer, so it cannot probe
    which tickets exist, how they ended or whose they are."""
    if acting.ticket.relation != Relation.HANDLER:
        raise not_your_action()
    async with acting.runtime.session_maker() as session:
        this = (
            await session.execute(
                select(TicketRow.state, TicketRow.requester_phone, TicketRow.registered_at).where(
                    TicketRow.ticket_no == acting.ticket_no
                )
            )
        ).one_or_none()
        registration = ((this.state if this else None) or {}).get("registration")
        prior_no = data.get("prior_ticket_no") or (
            prior_ticket_no(Registration.model_validate(registration)) if registration else None
        )
        if prior_no is None or this is None:
            return  # the workflow's verdict answers PRIOR_TICKET_REQUIRED
        if prior_no == acting.ticket_no:
            raise invalid("PRIOR_IS_THIS_TICKET", "name the earlier ticket, not this one", "A18")
        prior = (
            await session.execute(
                select(TicketRow.outcome, TicketRow.requester_phone, TicketRow.registered_at).where(
                    TicketRow.ticket_no == prior_no
                )
            )
        ).one_or_none()
    if not _same_requesters_concluded_matter(this, prior):
        raise invalid(
            "PRIOR_TICKET_NOT_ELIGIBLE",
            "name an earlier ticket of the same requester on this matter, concluded by law",
            "A18",
        )


def _same_requesters_concluded_matter(this: Any, prior: Any) -> bool:
    """A18: the earlier ticket was concluded (closed, answered, itself terminated), registered before this
    one, by the same requester: a notice is served on the requester, so one without a number to match
    (anonymous) is never the same requester."""
    if prior is None or prior.outcome not in CONCLUDED_MATTER or prior.registered_at >= this.registered_at:
        return False
    mine, theirs = phone_key(this.requester_phone or ""), phone_key(prior.requester_phone or "")
    return bool(mine) and mine == theirs


async def _stored_state(session: AsyncSession, ticket_no: str) -> dict[str, Any]:
    """The ticket's state as last projected into the read model (empty before its first projection)."""
    state = await session.scalar(select(TicketRow.state).where(TicketRow.ticket_no == ticket_no))
    return state or {}


# -- rule sets (A33) --------------------------------------------------------------------------------------
async def county_rules(acting: Acting, data: dict[str, Any]) -> None:
    """A33: the own rules of the county the lead is in, for the workflow to apply at a first dispatch
    (domain/stages/dispatch.py county_rules decides whether they apply: not to a platform's ticket, nor to
    one whose set the operator named)."""
    async with acting.runtime.session_maker() as session:
        found = await county_rule_set(session, data.get("lead_unit"))
    data["county_rule_set"] = found


async def active_restriction(session: AsyncSession, phone: str, at: datetime) -> RestrictedCallerRow | None:
    """A11: the number's restriction in force at `at` (the number in its one spelling), shown to the operator
    taking the call. Here, not beside the restriction routes: registration imports it, and the routes
    package imports registration."""
    return await session.scalar(
        select(RestrictedCallerRow).where(RestrictedCallerRow.phone == phone, RestrictedCallerRow.until > at)
    )
