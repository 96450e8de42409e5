"""Reference data: the State Council holiday notices ("Counting time"), the rule sets (A17, A33) and the
dispatch catalogue's areas and matter types (A14)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.api_models import KnowledgeSynonymGroupRow
from db.catalogue import seed_catalogue
from db.models import CalendarYearRow, RuleSetRow, TicketRow
from db.session import insert_for
from domain.calendar import WorkingCalendar, YearCalendar, load_seed
from domain.knowledge_words import SEED_SYNONYM_GROUPS
from domain.rulesets import DEFAULT_RULE_SETS, RuleSet
from domain.vocabulary import OPEN_STAGES, Stage

log = logging.getLogger(__name__)

# Tickets whose deadlines no longer move: not accepted, concluded, archived.
_SETTLED_STAGES = sorted(frozenset(Stage) - OPEN_STAGES)


async def seed_reference_data(session_maker: async_sessionmaker[AsyncSession]) -> None:
    """Insert the packaged 2004–2026 notices, the default rule sets and the knowledge base's default
    synonym groups where absent (a seeded group the office has not removed takes the code's terms); safe to
    repeat.

    A year or rule-set version already in the table is left as it is: the office may have corrected it.
    """
    now = datetime.now(UTC)
    async with session_maker.begin() as session:
        rows = [CalendarYearRow.values_of(year, now) for year in load_seed()]
        await session.execute(insert_for(session, CalendarYearRow).values(rows).on_conflict_do_nothing())
        # A12: the default synonym groups, by id; one the office removed is kept marked, so not re-added.
        groups = [
            {"id": group_id, "terms": list(terms), "added_at": now}
            for group_id, terms in SEED_SYNONYM_GROUPS.items()
        ]
        await session.execute(
            insert_for(session, KnowledgeSynonymGroupRow).values(groups).on_conflict_do_nothing()
        )
        # A seeded group still in use takes the code's terms: the office adds and removes groups but never
        # edits one, so its terms are an older seed's (repeats, A10.6, fold by them too).
        for group_id, terms in SEED_SYNONYM_GROUPS.items():
            await session.execute(
                update(KnowledgeSynonymGroupRow)
                .where(KnowledgeSynonymGroupRow.id == group_id, KnowledgeSynonymGroupRow.removed_at.is_(None))
                .values(terms=list(terms))
            )
    for rule_set in DEFAULT_RULE_SETS:
        try:
            await load_rule_set(session_maker, rule_set)
        except ValueError as exc:
            # The code's default changed without a new version; the stored one keeps governing tickets.
            log.warning("default rule set not seeded: %s", exc)
    # A14: Shaoguan's areas and the matter-type tree, once (the office edits them after).
    await seed_catalogue(session_maker)


async def load_calendar_year(session_maker: async_sessionmaker[AsyncSession], year: YearCalendar) -> None:
    """Insert or replace one year's notice (a new year's, or a corrected one)."""
    values = CalendarYearRow.values_of(year, datetime.now(UTC))
    async with session_maker.begin() as session:
        stmt = insert_for(session, CalendarYearRow).values(values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[CalendarYearRow.year],
                set_={k: stmt.excluded[k] for k in values if k != "year"},
            )
        )


async def read_working_calendar(session: AsyncSession) -> WorkingCalendar:
    """The working calendar from every loaded State Council notice (`calendar_years`)."""
    return WorkingCalendar(row.to_year() for row in await session.scalars(select(CalendarYearRow)))


async def load_rule_set(session_maker: async_sessionmaker[AsyncSession], rule_set: RuleSet) -> None:
    """Insert a rule-set version. A version is immutable (tickets keep theirs for life): loading the same
    (id, version) again with the same content is a no-op, with other content a ValueError."""
    body = rule_set.model_dump(mode="json")
    async with session_maker.begin() as session:
        result = await session.execute(
            insert_for(session, RuleSetRow)
            .values(id=rule_set.id, version=rule_set.version, body=body, created_at=datetime.now(UTC))
            .on_conflict_do_nothing()
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return
        stored = await session.get(RuleSetRow, (rule_set.id, rule_set.version))
        if stored is not None and stored.to_rule_set() != rule_set:
            raise ValueError(f"rule set {rule_set.key} exists with other content; load it as a new version")


async def open_ticket_numbers(session_maker: async_sessionmaker[AsyncSession]) -> list[str]:
    """Tickets still running their limits: signalled to re-plan after a calendar year is loaded."""
    async with session_maker() as session:
        result = await session.scalars(
            select(TicketRow.ticket_no)
            .where(TicketRow.stage.not_in(_SETTLED_STAGES))
            .order_by(TicketRow.ticket_no)
        )
        return list(result)
