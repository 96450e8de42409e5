"""The knowledge base's search index in SQL (knowledge_terms), kept fresh as points are uploaded,
corrected (A29) and withdrawn, and the search over it (A12).

A search reads the postings of the question's terms (each with its field's length), then ranks in Python
(api/kb/ranking.py): the same integers in, the same order out, on SQLite and PostgreSQL. An expired point
(its `expires_on` passed) keeps its postings and drops out by the day the search is asked on; a withdrawn
one loses them. A point indexed by an older analyzer, or written where the index was not (a seed, a
migration), is indexed by the next search before it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.chinese import loaded
from api.kb.analyzer import ANALYZER_VERSION, BODY, GRAMS, TITLE, index_text
from api.kb.question import SynonymMatcher, concepts_of
from api.kb.ranking import Collection, Concept, query_terms, rank
from db.api_models import KnowledgePointRow, KnowledgeSynonymGroupRow, KnowledgeTermRow

STALE_BATCH = 500
# Postings one search reads at most (api/kb/index.py `_within_budget`).
POSTINGS_BUDGET = 4_000
# Bound on the terms of one question: a 200-character question of distinct words stays one IN list.
MAX_TERMS = 400


async def index_point(session: AsyncSession, point: KnowledgePointRow) -> None:
    """(Re)index the point's current text; a withdrawn point is taken out."""
    await loaded()
    await session.execute(delete(KnowledgeTermRow).where(KnowledgeTermRow.point_id == point.id))
    if point.withdrawn_at is not None:
        point.title_terms = point.body_terms = point.gram_terms = 0
        point.indexed_by = ANALYZER_VERSION
        return
    text = index_text(point.title, point.body)
    lengths = {TITLE: text.title_terms, BODY: text.body_terms, GRAMS: text.gram_terms}
    if text.frequencies:
        await session.execute(
            KnowledgeTermRow.__table__.insert(),
            [
                {"term": term, "point_id": point.id, "field": field, "tf": tf, "length": lengths[field]}
                for (term, field), tf in text.frequencies.items()
            ],
        )
    point.title_terms, point.body_terms, point.gram_terms = text.title_terms, text.body_terms, text.gram_terms
    point.indexed_by = ANALYZER_VERSION


async def refresh_stale(session: AsyncSession) -> int:
    """Index the points the current analyzer has not indexed; returns how many."""
    done = 0
    while True:
        stale = list(
            await session.scalars(
                select(KnowledgePointRow)
                .where(KnowledgePointRow.indexed_by < ANALYZER_VERSION)
                .order_by(KnowledgePointRow.id)
                .limit(STALE_BATCH)
            )
        )
        for point in stale:
            await index_point(session, point)
        await session.flush()
        done += len(stale)
        if len(stale) < STALE_BATCH:
            return done


def live(today: date) -> ColumnElement[bool]:
    """A point the search offers: not withdrawn, not past its last day (A28.2/A28.3)."""
    point = KnowledgePointRow
    return and_(point.withdrawn_at.is_(None), or_(point.expires_on.is_(None), point.expires_on >= today))


OfficeGroups = tuple[tuple[str, tuple[str, ...]], ...]  # (group id, terms), by id
_cache: tuple[OfficeGroups, SynonymMatcher] | None = None


async def office_groups(session: AsyncSession) -> OfficeGroups:
    """The office's synonym groups as they stand now (A12), which the search and repeat detection (A10.6,
    api/repeat_words.py) both read at every use: a change applies to the next one."""
    rows = await session.execute(
        select(KnowledgeSynonymGroupRow.id, KnowledgeSynonymGroupRow.terms)
        .where(KnowledgeSynonymGroupRow.removed_at.is_(None))
        .order_by(KnowledgeSynonymGroupRow.id)
    )
    return tuple((group_id, tuple(terms)) for group_id, terms in rows)


async def synonyms(session: AsyncSession) -> SynonymMatcher:
    """The office's groups for the search, compiled again only when they changed."""
    global _cache
    key = await office_groups(session)
    if _cache is None or _cache[0] != key:
        _cache = (key, SynonymMatcher.of(terms for _, terms in key))
    return _cache[1]


@dataclass(frozen=True)
class Found:
    total: int
    ranked: list[tuple[str, float]]  # (point id, score), best first, the whole result
    concepts: list[Concept]
    terms_read: list[str]  # the terms whose postings were read (POSTINGS_BUDGET)


async def search(
    session: AsyncSession,
    question: str,
    today: date,
    *,
    kind: str | None = None,
    unit_id: str | None = None,
) -> Found:
    """Every live point matching the question, best first. `kind` and `unit_id` narrow the result; the
    collection the terms are weighed against stays the whole live knowledge base."""
    await loaded()
    concepts = concepts_of(question, await synonyms(session))
    terms = sorted(query_terms(concepts))[:MAX_TERMS]
    if not terms:
        return Found(0, [], concepts, [])
    point, posting = KnowledgePointRow, KnowledgeTermRow
    counts = await session.execute(
        select(posting.term, func.count()).where(posting.term.in_(terms)).group_by(posting.term)
    )
    read = _within_budget({term: n for term, n in counts})
    # Core, not the ORM: thousands of plain rows, no entities to build.
    rows = await (await session.connection()).execute(
        select(posting.term, posting.point_id, posting.field, posting.tf, posting.length).where(
            posting.term.in_(read)
        )
    )
    # A withdrawn point has no postings; an expired one keeps them until it is corrected or withdrawn.
    expired = set(
        await session.scalars(select(point.id).where(point.expires_on < today, point.withdrawn_at.is_(None)))
    )
    postings = [(t, p, f, tf, n) for t, p, f, tf, n in rows if p not in expired]
    ranked = rank(concepts, postings, await _collection(session, today))
    if kind is not None or unit_id is not None:
        wanted = select(point.id).where(live(today))
        if kind is not None:
            wanted = wanted.where(point.kind == kind)
        if unit_id is not None:
            wanted = wanted.where(point.unit_id == unit_id)
        allowed = set(await session.scalars(wanted))
        ranked = [r for r in ranked if r[0] in allowed]
    return Found(len(ranked), ranked, concepts, read)


def _within_budget(counts: dict[str, int]) -> list[str]:
    """The terms whose postings are read: rarest first (they weigh most), while the rows fit in
    POSTINGS_BUDGET. A question whose terms all fit is ranked exactly; past the budget its commonest terms,
    those in a large share of the points, are left out. Ties by term, so both databases read alike."""
    read, total = [], 0
    for term, n in sorted(counts.items(), key=lambda item: (item[1], item[0])):
        if read and total + n > POSTINGS_BUDGET:
            break
        read.append(term)
        total += n
    return read


async def _collection(session: AsyncSession, today: date) -> Collection:
    point = KnowledgePointRow
    count, title_n, body_n, gram_n = (
        await session.execute(
            select(
                func.count(),
                func.sum(point.title_terms),
                func.sum(point.body_terms),
                func.sum(point.gram_terms),
            ).where(live(today))
        )
    ).one()
    n = int(count or 0)
    means = {
        field: (int(total or 0) / n if n else 0.0)
        for field, total in ((TITLE, title_n), (BODY, body_n), (GRAMS, gram_n))
    }
    return Collection(points=n, mean_lengths=means)
