"""A14 派单目录 in the database: the catalogue read whole (it is small: a few hundred rows), its revision, the
audit row every change writes, and the one-time seed of Shaoguan's areas and the matter-type tree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.catalogue_models import AreaRow, CatalogueChangeRow, DispatchEntryRow, MatterTypeRow
from domain.catalogue_data import MATTER_TYPES, shaoguan_areas
from domain.dispatch_catalogue import Area, Catalogue, Entry, MatterType


def matter_of(row: MatterTypeRow) -> MatterType:
    return MatterType(code=row.code, name=row.name, note=row.note)


def area_of(row: AreaRow) -> Area:
    return Area(id=row.id, name=row.name, kind=row.kind, parent_id=row.parent_id, aliases=list(row.aliases))


def entry_of(row: DispatchEntryRow) -> Entry:
    return Entry(
        matter_code=row.matter_code,
        area_id=row.area_id,
        lead_unit=row.lead_unit,
        co_units=list(row.co_units),
        note=row.note,
    )


async def read_catalogue(session: AsyncSession) -> Catalogue:
    return Catalogue.of(
        [matter_of(r) for r in await session.scalars(select(MatterTypeRow))],
        [area_of(r) for r in await session.scalars(select(AreaRow))],
        [entry_of(r) for r in await session.scalars(select(DispatchEntryRow))],
    )


async def catalogue_revision(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(CatalogueChangeRow.revision))) or 0)


# (database, revision, its time) -> the catalogue then: every change writes a new revision, so a suggestion
# reads one row, not the whole catalogue (12 ms on SQLite for the seeded one), unless it changed.
_READ: dict[tuple[int, int, datetime | None], Catalogue] = {}


async def current_catalogue(session: AsyncSession) -> tuple[Catalogue, int]:
    """The catalogue and its revision, read again only when a change has been made since."""
    latest = (
        await session.execute(
            select(CatalogueChangeRow.revision, CatalogueChangeRow.at)
            .order_by(CatalogueChangeRow.revision.desc())
            .limit(1)
        )
    ).one_or_none()
    revision, at = (latest.revision, latest.at) if latest else (0, None)
    key = (id(session.bind), revision, at)
    if key not in _READ:
        if len(_READ) > 16:
            _READ.clear()
        _READ[key] = await read_catalogue(session)
    return _READ[key], revision


async def record_change(
    session: AsyncSession,
    *,
    at: datetime,
    credential_id: int | None,
    subject: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> int:
    """Audit one change in the change's own transaction; the new revision."""
    row = CatalogueChangeRow(
        at=at, credential_id=credential_id, subject=subject, key=key, before=before, after=after
    )
    session.add(row)
    await session.flush()
    return row.revision


async def seed_catalogue(session_maker: async_sessionmaker[AsyncSession]) -> bool:
    """Seed the areas and matter types once, into a catalogue that never had a change: after that the
    catalogue is the office's, and what it deleted stays deleted. Entries name units, which differ per
    deployment: the demo adds its own (operations/demo.py). False: it had been seeded or changed already
    (by another process starting at the same time, too)."""
    try:
        return await _seed(session_maker)
    except IntegrityError:
        return False  # another process seeded it first


async def _seed(session_maker: async_sessionmaker[AsyncSession]) -> bool:
    now = datetime.now(UTC)
    async with session_maker.begin() as session:
        if await catalogue_revision(session) > 0:
            return False
        areas = shaoguan_areas()
        session.add_all(
            MatterTypeRow(code=m.code, name=m.name, note=m.note, updated_at=now) for m in MATTER_TYPES
        )
        # Parents before their children: the areas' foreign key is checked row by row on PostgreSQL.
        for kind in ("city", "county", "town"):
            session.add_all(
                AreaRow(
                    id=a.id,
                    name=a.name,
                    kind=a.kind,
                    parent_id=a.parent_id,
                    aliases=a.aliases,
                    updated_at=now,
                )
                for a in areas
                if a.kind == kind
            )
            await session.flush()
        await record_change(
            session,
            at=now,
            credential_id=None,
            subject="seed",
            key="shaoguan",
            before=None,
            after={"matter_types": len(MATTER_TYPES), "areas": len(areas)},
        )
    return True


async def put_entries(
    session_maker: async_sessionmaker[AsyncSession], entries: list[Entry], now: datetime
) -> None:
    """Entries loaded by no one's credential (the demo's), each audited like an office change."""
    async with session_maker.begin() as session:
        for entry in entries:
            values = entry.model_dump() | {"updated_at": now}
            session.add(DispatchEntryRow(**values))
            await record_change(
                session,
                at=now,
                credential_id=None,
                subject="entry",
                key=f"{entry.matter_code}@{entry.area_id}",
                before=None,
                after=entry.model_dump(mode="json"),
            )
