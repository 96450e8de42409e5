"""A14 派单目录: the dispatch catalogue the office edits at run time, its audit, and the suggestion an operator
asks for while registering. Operators only: the catalogue is the hotline's dispatching knowledge (A12, A14).

Precedence (domain/dispatch_catalogue.py `suggest`): the more specific matter type first, then the more
specific area; the first entry found decides. Every change writes a numbered audit row
(`GET /dispatch-catalogue/changes`); a suggestion records the revision it was made under.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep
from api.dispatch_advice import make_suggestion
from api.errors import conflict, invalid, responses
from api.preconditions import require_units
from api.views import View
from db.catalogue import area_of, catalogue_revision, entry_of, matter_of, read_catalogue, record_change
from db.catalogue_models import AreaRow, CatalogueChangeRow, DispatchEntryRow, MatterTypeRow
from db.session import count_rows
from domain.commands import Words
from domain.dispatch_catalogue import (
    AREA_ID_PATTERN,
    MATTER_CODE_PATTERN,
    Area,
    AreaKind,
    Entry,
    MatterType,
    PlaceName,
    SuggestionReason,
    UnitRef,
    area_problem,
    parent_code,
)

router = APIRouter(tags=["dispatch catalogue"])

Code = Annotated[
    str, Path(pattern=MATTER_CODE_PATTERN, description="GB/T 39666's shape.", examples=["050101"])
]
AreaIdPath = Annotated[str, Path(pattern=AREA_ID_PATTERN, examples=["440203-xilian"])]


class MatterTypeIn(BaseModel):
    model_config = BODY_CONFIG
    name: Words = Field(min_length=1, max_length=50, examples=["路灯照明"])
    note: Words = Field("", max_length=200)


class AreaIn(BaseModel):
    model_config = BODY_CONFIG
    name: PlaceName = Field(examples=["西联镇"])
    kind: AreaKind = Field(examples=["town"])
    parent_id: str | None = Field(None, pattern=AREA_ID_PATTERN, examples=["440203"])
    aliases: list[PlaceName] = Field(default_factory=list, max_length=20, examples=[["西联"]])


class EntryIn(BaseModel):
    model_config = BODY_CONFIG
    lead_unit: UnitRef = Field(examples=["WJ"], description="A6: a member unit (tier 2), to lead.")
    co_units: list[UnitRef] = Field(default_factory=list, max_length=20, examples=[["SG-POWER"]])
    note: Words = Field("", max_length=200)


class MatterTypeOut(View, MatterType):
    parent_code: str | None


class CatalogueOut(View):
    revision: int = Field(description="The number of the latest change (`GET /dispatch-catalogue/changes`).")
    matter_types: list[MatterTypeOut]
    areas: list[Area]
    entries: list[Entry]


class ChangeOut(View):
    revision: int
    at: datetime
    credential_id: int | None = Field(description="Who made it; none for the seed.")
    subject: str = Field(examples=["entry"], description="`matter_type`, `area`, `entry` or `seed`.")
    key: str = Field(examples=["050101@440203"])
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ChangePage(View):
    total: int
    limit: int
    offset: int
    items: list[ChangeOut]


class SuggestionIn(BaseModel):
    model_config = BODY_CONFIG
    matter_code: str = Field(pattern=MATTER_CODE_PATTERN, examples=["050101"])
    location: Words = Field("", max_length=200, examples=["武江区西联镇沐溪大道"])
    content: Words = Field(
        "",
        max_length=4000,
        examples=["沐溪大道路灯坏了一个多星期"],
        description="Read only if the place names no area.",
    )


class SuggestionOut(View):
    suggestion_id: str = Field(
        examples=["ds-0123456789abcdef01234567"],
        description="Name it as the registration's `dispatch_suggestion_id` to record the choice.",
    )
    catalogue_revision: int
    matter_code: str
    matter_name: str
    area_id: str | None = Field(description="The area matched; the city when the words named none.")
    area_name: str | None
    matched: list[str] = Field(description="The place names found in the words, in order.")
    ambiguous_between: list[str] = Field(
        description="Areas equally named: the match is their common ancestor."
    )
    reason: SuggestionReason
    lead_unit: str | None = Field(description="None: no suggestion (`reason` says why).")
    co_units: list[str]
    entry_matter_code: str | None = Field(description="The entry that decided: its matter type …")
    entry_area_id: str | None = Field(description="… and its area.")


def _matter_out(matter: MatterType) -> MatterTypeOut:
    return MatterTypeOut(**matter.model_dump(), parent_code=parent_code(matter.code))


async def _audit(session: AsyncSession, caller: OperatorDep, now: datetime, subject: str, key: str, before: BaseModel | None, after: BaseModel | None) -> None:  # fmt: skip
    await record_change(
        session,
        at=now,
        credential_id=caller.credential_id,
        subject=subject,
        key=key,
        before=before.model_dump(mode="json") if before else None,
        after=after.model_dump(mode="json") if after else None,
    )


@dataclass(frozen=True)
class _Part:
    """One kind of catalogue row as it is put and taken out: its audit subject, its table, how a row reads as
    the item, and what still needs one (409 `in_use` while any of `uses(key)` finds a row)."""

    subject: str
    model: type[Any]
    shown: Callable[[Any], BaseModel]
    in_use: str = ""
    uses: Callable[[Any], list[Select[Any]]] = lambda key: []
    busy: str = ""  # the 409's message, `{}` the item's key


_MATTER_TYPES = _Part(
    "matter_type", MatterTypeRow, matter_of, "MATTER_TYPE_IN_USE",
    lambda code: [
        select(MatterTypeRow.code).where(MatterTypeRow.code.like(f"{code}__")),
        select(DispatchEntryRow.matter_code).where(DispatchEntryRow.matter_code == code),
    ],
    "{} has sub-types or entries: remove them first",
)  # fmt: skip
_AREAS = _Part(
    "area", AreaRow, area_of, "AREA_IN_USE",
    lambda area_id: [
        select(AreaRow.id).where(AreaRow.parent_id == area_id),
        select(DispatchEntryRow.area_id).where(DispatchEntryRow.area_id == area_id),
    ],
    "{} has areas under it or entries: remove them first",
)  # fmt: skip
_ENTRIES = _Part("entry", DispatchEntryRow, entry_of)


async def _put(runtime: RuntimeDep, caller: OperatorDep, now: datetime, part: _Part, key: Any, named: str, item: BaseModel, check: Callable[[AsyncSession], Awaitable[None]]) -> None:  # fmt: skip
    """Insert or update one item, `check` first (its 422s), and audit it under the key `named` with the item
    as it was (none: it is new)."""
    async with runtime.session_maker.begin() as session:
        await check(session)
        values = item.model_dump() | {"updated_at": now}
        row = await session.get(part.model, key)
        before = None if row is None else part.shown(row)
        if row is None:
            session.add(part.model(**values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        await _audit(session, caller, now, part.subject, named, before, item)


async def _take_out(runtime: RuntimeDep, caller: OperatorDep, now: datetime, part: _Part, key: Any, named: str) -> None:  # fmt: skip
    """Delete a row nothing else needs, and audit it; one not there is taken out all the same, unaudited."""
    async with runtime.session_maker.begin() as session:
        row = await session.get(part.model, key)
        if row is None:
            return
        uses = part.uses(key)
        if uses and await session.scalar(select(or_(*(exists(use) for use in uses)))):
            raise conflict(part.in_use, part.busy.format(named), "A14")
        before = part.shown(row)
        await session.delete(row)
        await _audit(session, caller, now, part.subject, named, before, None)


@router.get(
    "/dispatch-catalogue",
    response_model=CatalogueOut,
    responses=responses(401, 403, 503),
    summary="The dispatch catalogue (operator)",
    description="A14: the matter-type tree, the areas with the names callers say, and the entries "
    "(matter type × area → lead and co-units), with the catalogue's revision.",
)
async def read(caller: OperatorDep, session: SessionDep) -> CatalogueOut:
    catalogue = await read_catalogue(session)
    return CatalogueOut(
        revision=await catalogue_revision(session),
        matter_types=[_matter_out(m) for _, m in sorted(catalogue.matter_types.items())],
        areas=sorted(catalogue.areas.values(), key=lambda a: a.id),
        entries=[e for _, e in sorted(catalogue.entries.items())],
    )


@router.put(
    "/dispatch-catalogue/matter-types/{code}",
    response_model=MatterTypeOut,
    responses=responses(401, 403, 422, 503),
    summary="Put a matter type in the tree (operator)",
    description="Its parent is the code less its last two digits (`050101` under `0501`), and must exist "
    "(422 `PARENT_MATTER_TYPE_MISSING`). Audited.",
)
async def put_matter_type(code: Code, body: MatterTypeIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> MatterTypeOut:  # fmt: skip
    matter = MatterType(code=code, **body.model_dump())

    async def parent_first(session: AsyncSession) -> None:
        parent = parent_code(code)
        if parent is not None and await session.get(MatterTypeRow, parent) is None:
            raise invalid("PARENT_MATTER_TYPE_MISSING", f"put matter type {parent} first", "A14")

    await _put(runtime, caller, now, _MATTER_TYPES, code, code, matter, parent_first)
    return _matter_out(matter)


@router.delete(
    "/dispatch-catalogue/matter-types/{code}",
    status_code=204,
    responses=responses(401, 403, 409, 422, 503),
    summary="Take a matter type out of the tree (operator)",
    description="409 `MATTER_TYPE_IN_USE` while it has sub-types or entries. One not in the tree is taken "
    "out all the same (nothing is audited).",
)
async def delete_matter_type(code: Code, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> None:
    await _take_out(runtime, caller, now, _MATTER_TYPES, code, code)


@router.put(
    "/dispatch-catalogue/areas/{area_id}",
    response_model=Area,
    responses=responses(401, 403, 422, 503),
    summary="Put an area in the catalogue (operator)",
    description="The city is the root; a county sits under it, a town under a county (422 `AREA_MISPLACED`). "
    "`aliases`: what callers also say (武江 for 武江区). Audited.",
)
async def put_area(area_id: AreaIdPath, body: AreaIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> Area:  # fmt: skip
    area = Area(id=area_id, **body.model_dump())

    async def in_its_place(session: AsyncSession) -> None:
        problem = area_problem(await read_catalogue(session), area)
        if problem is not None:
            raise invalid("AREA_MISPLACED", problem, "A14")

    await _put(runtime, caller, now, _AREAS, area_id, area_id, area, in_its_place)
    return area


@router.delete(
    "/dispatch-catalogue/areas/{area_id}",
    status_code=204,
    responses=responses(401, 403, 409, 422, 503),
    summary="Take an area out of the catalogue (operator)",
    description="409 `AREA_IN_USE` while areas sit under it or entries name it. One not there is taken out "
    "all the same (nothing is audited).",
)
async def delete_area(area_id: AreaIdPath, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> None:
    await _take_out(runtime, caller, now, _AREAS, area_id, area_id)


@router.put(
    "/dispatch-catalogue/entries/{code}/{area_id}",
    response_model=Entry,
    responses=responses(401, 403, 422, 503),
    summary="Who leads a matter type in an area (operator)",
    description="A14: the lead (a member unit, A6: 422 `NOT_A_MEMBER_UNIT`) and its default co-units for the "
    "matter type and its sub-types in the area and the areas under it, unless a more specific entry says "
    "otherwise (the more specific matter type first, then the more specific area). 422 "
    "`UNKNOWN_MATTER_TYPE`, `UNKNOWN_AREA`, `UNKNOWN_UNIT`, `UNIT_DEACTIVATED`, `LEAD_AMONG_CO_UNITS`. Audited.",
)
async def put_entry(code: Code, area_id: AreaIdPath, body: EntryIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> Entry:  # fmt: skip
    entry = Entry(matter_code=code, area_id=area_id, **body.model_dump())
    entry = entry.model_copy(update={"co_units": list(dict.fromkeys(entry.co_units))})
    if entry.lead_unit in entry.co_units:
        raise invalid("LEAD_AMONG_CO_UNITS", "the lead is not its own co-unit", "A14")

    async def known(session: AsyncSession) -> None:
        if await session.get(MatterTypeRow, code) is None:
            raise invalid("UNKNOWN_MATTER_TYPE", f"the dispatch catalogue has no matter type {code}", "A14")
        if await session.get(AreaRow, area_id) is None:
            raise invalid("UNKNOWN_AREA", f"the dispatch catalogue has no area {area_id}", "A14")
        await require_units(session, entry.co_units, lead=entry.lead_unit)

    await _put(runtime, caller, now, _ENTRIES, (code, area_id), f"{code}@{area_id}", entry, known)
    return entry


@router.delete(
    "/dispatch-catalogue/entries/{code}/{area_id}",
    status_code=204,
    responses=responses(401, 403, 422, 503),
    summary="Take an entry out of the catalogue (operator)",
    description="The matter type in that area falls to the next entry by precedence. Idempotent.",
)
async def delete_entry(code: Code, area_id: AreaIdPath, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> None:  # fmt: skip
    await _take_out(runtime, caller, now, _ENTRIES, (code, area_id), f"{code}@{area_id}")


@router.get(
    "/dispatch-catalogue/changes",
    response_model=ChangePage,
    responses=responses(401, 403, 422, 503),
    summary="Every change to the dispatch catalogue, newest first (operator)",
)
async def changes(
    caller: OperatorDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ChangePage:
    query = select(CatalogueChangeRow)
    total = await count_rows(session, query)
    rows = await session.scalars(
        query.order_by(CatalogueChangeRow.revision.desc()).limit(limit).offset(offset)
    )
    return ChangePage(
        total=total,
        limit=limit,
        offset=offset,
        items=[ChangeOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.post(
    "/registrations/dispatch-suggestion",
    response_model=SuggestionOut,
    responses=responses(401, 403, 422, 503),
    summary="Suggest the lead for a matter type and place (operator)",
    description="A14, while registering: the area the place names (its content if the place names none; "
    "the city if neither does), and the lead and co-units the catalogue gives it. `lead_unit` null is no "
    "suggestion: `reason` `not_covered` (no entry for the matter type or its parents there or above) or "
    "`lead_deactivated` (the entry names a unit taken off the hotline). Stored as shown: name its "
    "`suggestion_id` in the registration (`dispatch_suggestion_id`) and the ticket records whether its "
    "lead was confirmed or overridden. 422 `UNKNOWN_MATTER_TYPE`.",
)
async def dispatch_suggestion(body: SuggestionIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> SuggestionOut:  # fmt: skip
    async with runtime.session_maker.begin() as session:
        row, catalogue, where, found = await make_suggestion(
            session, caller, body.matter_code, body.location, body.content, now
        )
    area = catalogue.areas.get(where.area_id or "")
    return SuggestionOut(
        suggestion_id=row.id,
        catalogue_revision=row.catalogue_revision,
        matter_code=body.matter_code,
        matter_name=catalogue.matter_types[body.matter_code].name,
        area_id=where.area_id,
        area_name=area.name if area else None,
        matched=where.matched,
        ambiguous_between=where.ambiguous_between,
        **found.model_dump(),
    )
