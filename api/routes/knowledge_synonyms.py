"""The office's synonym groups for the knowledge-base search (A12): the words callers say and the words the
units write for one thing (路灯/照明/道路照明). Kept in the database, read by every search, so a change
applies to the next search in every API process, without a restart. Seeded with general hotline
vocabulary (domain/knowledge_words.py); a removed group stays marked, so reseeding never brings it back.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep, StaffDep
from api.errors import ApiError, invalid, responses
from api.kb.analyzer import meaningful, normalise
from api.views import View
from db.api_models import KnowledgeSynonymGroupRow
from domain.commands import ShortText

router = APIRouter(prefix="/knowledge-synonyms", tags=["knowledge base"])

MAX_GROUPS = 2_000


class SynonymGroupIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    terms: list[Annotated[ShortText, Field(min_length=1, max_length=30)]] = Field(
        min_length=2, max_length=30, examples=[["井盖", "窨井盖", "下水道盖"]]
    )

    @field_validator("terms")
    @classmethod
    def distinct_words(cls, terms: list[str]) -> list[str]:
        # Compared as the search reads them: Traditional and Simplified spellings are one word.
        folded = [normalise(t.strip()) for t in terms]
        if any(not meaningful(t) for t in folded):
            raise ValueError("each term is a word the search can use, not only a stop word or punctuation")
        if len(set(folded)) < len(folded):
            raise ValueError("the terms of a group are distinct")
        return [t.strip() for t in terms]


class SynonymGroupOut(View):
    id: str = Field(examples=["seed-lighting"])
    terms: list[str]
    added_at: datetime


class SynonymGroupPage(View):
    total: int
    items: list[SynonymGroupOut]


GroupId = Annotated[str, Path(min_length=1, max_length=64, examples=["seed-lighting"])]


@router.get(
    "",
    response_model=SynonymGroupPage,
    responses=responses(401, 403, 503),
    summary="The synonym groups the search uses (staff)",
)
async def list_groups(caller: StaffDep, session: SessionDep) -> SynonymGroupPage:
    rows = list(
        await session.scalars(
            select(KnowledgeSynonymGroupRow)
            .where(KnowledgeSynonymGroupRow.removed_at.is_(None))
            .order_by(KnowledgeSynonymGroupRow.id)
        )
    )
    return SynonymGroupPage(
        total=len(rows), items=[SynonymGroupOut.model_validate(r, from_attributes=True) for r in rows]
    )


@router.post(
    "",
    status_code=201,
    response_model=SynonymGroupOut,
    responses=responses(401, 403, 422, 503),
    summary="Add a synonym group (operator)",
    description="A12: the next search finds a point written with any of the terms for a question that "
    "says another. A word may sit in several groups.",
)
async def add_group(
    group: SynonymGroupIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> SynonymGroupOut:
    async with runtime.session_maker.begin() as session:
        count = await session.scalar(
            select(func.count()).where(KnowledgeSynonymGroupRow.removed_at.is_(None))
        )
        if (count or 0) >= MAX_GROUPS:
            raise invalid("TOO_MANY_SYNONYM_GROUPS", f"at most {MAX_GROUPS} synonym groups", "A12")
        row = KnowledgeSynonymGroupRow(
            id=f"syn-{secrets.token_hex(6)}", terms=group.terms, added_at=now, added_by=caller.credential_id
        )
        session.add(row)
    return SynonymGroupOut.model_validate(row, from_attributes=True)


@router.delete(
    "/{group_id}",
    status_code=204,
    responses=responses(401, 403, 404, 422, 503),
    summary="Remove a synonym group (operator)",
    description="The next search no longer uses it. A seeded group removed is not seeded again.",
)
async def remove_group(group_id: GroupId, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> Response:
    async with runtime.session_maker.begin() as session:
        row = await session.get(KnowledgeSynonymGroupRow, group_id, with_for_update=True)
        if row is None or row.removed_at is not None:
            raise ApiError(404, "SYNONYM_GROUP_NOT_FOUND", f"no synonym group {group_id}", "A12")
        row.removed_at, row.removed_by = now, caller.credential_id
    return Response(status_code=204)
