"""Alembic migrations (db/migrations) on SQLite and, when configured, on PostgreSQL.

`upgrade head` must build exactly the schema of the models (db/models.py, db/api_models.py): a model
changed without a migration fails here. `downgrade base` must undo it all.

PostgreSQL: set HOTLINE_TEST_DATABASE_URL (see tests/support.py). Each test migrates a fresh schema of
its own, on a connection whose search_path names it, handed to Alembic as `config.attributes["connection"]`.
SQLite goes the way `alembic upgrade head` and `make run` go: env.py opens its own engine from the URL.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, inspect
from sqlalchemy.engine import Connection

import db.api_models  # noqa: F401 - the API's tables are on the same Base
from db.models import Base
from tests.support import Backend, Database, empty_database

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"
ALEMBIC = Path(sys.prefix) / "bin" / "alembic"


@pytest.fixture
async def database(backend: Backend, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database: no tables, not even Alembic's."""
    async with empty_database(backend, tmp_path / "data" / "hotline.db") as empty:
        yield empty


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = url
    return config


async def alembic(database: Database, run: Callable[..., None], *args: Any) -> None:
    """Run an Alembic command (command.upgrade, command.downgrade ...) against the test database."""
    config = alembic_config(database.url)
    if database.dialect == "sqlite":
        # env.py runs its own event loop (asyncio.run): off this one, in a thread.
        await asyncio.to_thread(run, config, *args)
        return

    def on_connection(connection: Connection) -> None:
        config.attributes["connection"] = connection
        run(config, *args)

    async with database.engine.begin() as conn:
        await conn.run_sync(on_connection)


async def differences(database: Database, metadata: MetaData = Base.metadata) -> list[Any]:
    """What autogenerate would put in a new revision: empty when the database matches the models."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.engine.connect() as conn:
        return await conn.run_sync(compare)


async def tables_and_revision(database: Database) -> tuple[set[str], str | None]:
    def read(connection: Connection) -> tuple[set[str], str | None]:
        return set(inspect(connection).get_table_names()), MigrationContext.configure(
            connection
        ).get_current_revision()

    async with database.engine.connect() as conn:
        return await conn.run_sync(read)


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def test_upgrade_head_builds_exactly_the_models(database: Database) -> None:
    await alembic(database, command.upgrade, "head")

    assert await differences(database) == []
    tables, revision = await tables_and_revision(database)
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert revision == head()


async def test_downgrade_base_removes_everything_and_upgrade_rebuilds_it(database: Database) -> None:
    await alembic(database, command.upgrade, "head")
    await alembic(database, command.downgrade, "base")
    assert await tables_and_revision(database) == ({"alembic_version"}, None)

    await alembic(database, command.upgrade, "head")
    assert await differences(database) == []


async def test_a_model_change_without_a_migration_is_caught(database: Database) -> None:
    """The check above can fail: a column the migrations do not create shows up as a difference."""
    await alembic(database, command.upgrade, "head")
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["tickets"].append_column(Column("district", String(64), nullable=True))

    diff = await differences(database, changed)
    assert [(d[0], d[2], d[3].name) for d in diff] == [("add_column", "tickets", "district")]


def test_the_alembic_command_line_migrates_the_configured_database(tmp_path: Path) -> None:
    """What the compose `migrate` service runs: `alembic upgrade head`, the URL from HOTLINE_DATABASE_URL;
    then `alembic check`, the CI-friendly form of the comparison above, with `-x url=`."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'hotline.db'}"
    environment = os.environ | {"HOTLINE_DATABASE_URL": url}

    def alembic_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ALEMBIC), *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    upgraded = alembic_cli("upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "fresh" / "hotline.db").exists()
    checked = alembic_cli("-x", f"url={url}", "check")
    assert checked.returncode == 0, checked.stderr
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr
    # Offline: the SQL a DBA would review for PostgreSQL, no database needed.
    sql = alembic_cli("-x", "url=postgresql+asyncpg://nobody@nowhere/hotline", "upgrade", "head", "--sql")
    assert sql.returncode == 0, sql.stderr
    assert "CREATE TABLE tickets" in sql.stdout


async def test_0005_fills_in_the_registrar_of_tickets_projected_before_it(database: Database) -> None:
    """0005 adds tickets.registered_by; rows already there take it from their stored state, so an
    integrator's earlier registrations are listed too (SQLite's json_extract, PostgreSQL's ->>)."""
    from sqlalchemy import text

    await alembic(database, command.upgrade, "0004")
    row = {
        "no": "GD12345-20261127-0000AAAA",
        "state": '{"registration": {"registered_by": {"kind": "integrator", "id": "cred-7"}}}',
    }
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tickets (ticket_no, category, channel, emergency, stage, co_units, card, provisional,"
                " rule_set_key, requester_name, requester_phone, requester_confidential, content, location,"
                " domain, registered_at, revision, state, updated_at) VALUES (:no, 'help', 'app', false,"
                " 'registered', '[]', 'green', false, 'city@1', '', '', false, 'c', '', '', CURRENT_TIMESTAMP,"
                " 1, :state, CURRENT_TIMESTAMP)"
            ),
            row,
        )
    await alembic(database, command.upgrade, "head")
    async with database.engine.connect() as conn:
        registrar = await conn.scalar(text("SELECT registered_by FROM tickets WHERE ticket_no = :no"), row)
    assert registrar == "cred-7"


async def test_0010_removes_the_nonce_of_registration_claims(database: Database) -> None:
    """0010: a registration claim kept the nonce its requester's secrets derive from; afterwards it keeps
    its key as a SHA-256 digest (as api/registration.py now looks it up) and no nonce. Other claims, and
    claims without a nonce, are left as they were."""
    import hashlib
    import json

    from sqlalchemy import text

    await alembic(database, command.upgrade, "0009")
    registration = {"ticket_no": "GD12345-20261127-0000AAAA", "content": "路灯不亮"}
    rows = [
        ("reg-1", "register:cred-1", {"registration": registration, "nonce": "n0nce-of-reg-1"}),
        ("sign-1", "sign_for:cred-2", {}),
    ]
    async with database.engine.begin() as conn:
        for key, scope, payload in rows:
            await conn.execute(
                text(
                    "INSERT INTO idempotency_keys (key, scope, request_hash, ticket_no, payload, created_at)"
                    " VALUES (:key, :scope, :hash, :no, :payload, CURRENT_TIMESTAMP)"
                ),
                {"key": key, "scope": scope, "hash": "0" * 64, "no": None, "payload": json.dumps(payload)},
            )
    await alembic(database, command.upgrade, "head")
    async with database.engine.connect() as conn:
        found = {
            scope: (key, json.loads(payload) if isinstance(payload, str) else payload)
            for key, scope, payload in (
                await conn.execute(text("SELECT key, scope, CAST(payload AS TEXT) FROM idempotency_keys"))
            ).all()
        }
    assert found["register:cred-1"] == (
        hashlib.sha256(b"reg-1").hexdigest(),
        {"registration": registration, "secrets_withheld": True},
    )
    assert found["sign_for:cred-2"] == ("sign-1", {})
    assert "n0nce-of-reg-1" not in json.dumps(found)


async def test_0011_adds_the_requester_links_and_its_downgrade_removes_them(database: Database) -> None:
    """0011: requester_links (A19/A24), digests only; down to 0010 leaves every other table as it was."""
    await alembic(database, command.upgrade, "0010")
    before, _ = await tables_and_revision(database)
    await alembic(database, command.upgrade, "0011")
    tables, revision = await tables_and_revision(database)
    assert (tables - before, revision) == ({"requester_links"}, "0011")

    def columns(connection: Connection) -> dict[str, bool]:
        return {c["name"]: c["nullable"] for c in inspect(connection).get_columns("requester_links")}

    async with database.engine.connect() as conn:
        assert await conn.run_sync(columns) == {
            "token_hash": False,
            "ticket_no": False,
            "purpose": False,
            "rating_round": True,
            "issued_at": False,
            "expires_at": False,
            "used_at": True,
        }
    await alembic(database, command.downgrade, "0010")
    assert await tables_and_revision(database) == (before, "0010")


async def test_0016_fills_in_the_queues_units_the_holders_and_the_answer_figures(database: Database) -> None:
    """0016 (bench B5): rows projected before it get what the projection now writes: one ticket_units row
    per unit (its strongest role), the unit holding the ticket at each event (the lead of the latest
    dispatch before it, A6), and the answer limit's met instant and card from the stored state."""
    from sqlalchemy import text

    await alembic(database, command.upgrade, "0012")
    no = "GD12345-20261127-0000AAAA"
    state = (
        '{"clocks": {"answer": {"met_at": "2026-11-28T02:30:00.250000Z", "card": "yellow"}, '
        '"sign_for": {"met_at": null, "card": "green"}}}'
    )
    events = [
        (1, "registered", "{}"),
        (2, "dispatched", '{"lead_unit": "WJ", "co_units": [], "designated": false, "redo": false}'),
        (3, "return_approved", "{}"),
        (4, "dispatched", '{"lead_unit": "SG-POWER", "co_units": [], "designated": false, "redo": false}'),
        (5, "closure_applied", "{}"),
    ]
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tickets (ticket_no, category, channel, emergency, stage, lead_unit, co_units,"
                " forwarded_to, card, provisional, rule_set_key, requester_name, requester_phone,"
                " requester_confidential, content, location, domain, registered_at, revision, state, updated_at)"
                " VALUES (:no, 'help', 'app', false, 'closure_review', 'SG-POWER', :co, 'SG-POWER-1', 'yellow',"
                " false, 'city@1', '', '', false, 'c', '', '', CURRENT_TIMESTAMP, 1, :state, CURRENT_TIMESTAMP)"
            ),
            # A co-unit that is also the forwarded-to sub-unit keeps one row, as forwarded.
            {"no": no, "co": '["WJ", "SG-POWER-1"]', "state": state},
        )
        for seq, kind, data in events:
            await conn.execute(
                text(
                    "INSERT INTO timeline_events (id, ticket_no, seq, at, kind, actor, data)"
                    " VALUES (:id, :no, :seq, CURRENT_TIMESTAMP, :kind, 'a', :data)"
                ),
                {"id": f"e{seq}", "no": no, "seq": seq, "kind": kind, "data": data},
            )
    await alembic(database, command.upgrade, "head")
    async with database.engine.connect() as conn:
        units = (await conn.execute(text("SELECT unit, role, is_open FROM ticket_units ORDER BY unit"))).all()
        holders = (await conn.execute(text("SELECT unit FROM timeline_events ORDER BY seq"))).scalars().all()
        met, card = (await conn.execute(text("SELECT answer_met_at, answer_card FROM tickets"))).one()
    assert [tuple(u) for u in units] == [
        ("SG-POWER", "lead", True),
        ("SG-POWER-1", "forwarded", True),
        ("WJ", "co", True),
    ]
    assert holders == [None, None, "WJ", "WJ", "SG-POWER"]
    assert card == "yellow" and str(met).startswith("2026-11-28")


async def test_0023_lists_the_open_tickets_running_limits(database: Database) -> None:
    """0023 (bench B5, the dashboard): each open ticket's limits not yet met become running_limits rows, with
    the ticket's holder, stage and confidentiality (A6, A32); a met limit and a concluded ticket give none."""
    from sqlalchemy import text

    await alembic(database, command.upgrade, "0020")
    clocks = (
        '{"clocks": {"sign_for": {"name": "sign_for", "met_at": "2026-11-27T03:00:00Z", '
        '"due_at": "2026-11-27T10:00:00Z", "red_at": "2026-11-30T16:00:00Z", "card": "green"}, '
        '"answer": {"name": "answer", "met_at": null, "due_at": "2026-12-10T16:00:00Z", '
        '"red_at": "2026-12-13T16:00:00Z", "card": "green", "charged_to": "lead_unit"}}}'
    )
    insert = text(
        "INSERT INTO tickets (ticket_no, category, channel, emergency, stage, lead_unit, co_units,"
        " forwarded_to, card, provisional, rule_set_key, requester_name, requester_phone,"
        " requester_confidential, content, location, domain, registered_at, concluded_at, revision, state,"
        " updated_at) VALUES (:no, 'help', 'app', false, :stage, 'WJ', '[]', :forwarded, 'green', false,"
        " 'city@1', '', '', :secret, 'c', '', '', CURRENT_TIMESTAMP, :concluded, 1, :state, CURRENT_TIMESTAMP)"
    )
    async with database.engine.begin() as conn:
        for no, stage, forwarded, secret, concluded in (
            ("GD12345-20261127-0000AAAA", "handling", "WJ-URBAN", True, None),
            ("GD12345-20261127-0000BBBB", "concluded", None, False, datetime(2026, 11, 28, 1, tzinfo=UTC)),
        ):
            await conn.execute(
                insert,
                {
                    "no": no,
                    "stage": stage,
                    "forwarded": forwarded,
                    "secret": secret,
                    "concluded": concluded,
                    "state": clocks,
                },
            )
        # Events projected before 0023: the reports' figure rows are built from them, settled in order.
        events = [
            (
                1,
                "dispatched",
                '{"lead_unit": "WJ", "co_units": [], "designated": false, "redo": false}',
                None,
            ),
            (2, "signed_for", "{}", "WJ"),
            (
                3,
                "rated",
                (
                    '{"round": 1, "acceptance": {"option": "satisfied"}, '
                    '"handling": {"option": "dissatisfied"}, "resolved": false}'
                ),
                "WJ",
            ),
            (4, "rating_defaulted", '{"round": 2}', "WJ"),
        ]
        for seq, kind, data, unit in events:
            await conn.execute(
                text(
                    "INSERT INTO timeline_events (id, ticket_no, seq, at, kind, actor, data, unit)"
                    " VALUES (:id, 'GD12345-20261127-0000AAAA', :seq, :at, :kind, 'a', :data, :unit)"
                ),
                {
                    "id": f"e{seq}",
                    "seq": seq,
                    "at": datetime(2026, 11, 27, seq, tzinfo=UTC),
                    "kind": kind,
                    "data": data,
                    "unit": unit,
                },
            )
    await alembic(database, command.upgrade, "head")
    async with database.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT ticket_no, clock, due_at, charged_to, stage, lead_unit, forwarded_to, confidential "
                    "FROM running_limits"
                )
            )
        ).all()
        figures = (
            await conn.execute(
                text(
                    "SELECT seq, kind, unit, responded, option, acceptance, resolved, domain, superseded_at "
                    "FROM figure_events ORDER BY seq"
                )
            )
        ).all()
    assert [tuple(f)[:8] for f in figures] == [
        (1, "dispatched", "WJ", True, None, None, None, None),
        (3, "rated", "WJ", None, "dissatisfied", "satisfied", False, ""),
        (4, "rating_defaulted", "WJ", None, "basically_satisfied", "basically_satisfied", None, ""),
    ]
    assert str(figures[1][8]).startswith("2026-11-27 04:00:00") and figures[2][8] is None
    assert len(rows) == 1
    no, clock, due_at, charged_to, stage, lead, forwarded, secret = rows[0]
    assert (no, clock, charged_to, stage, lead, forwarded, bool(secret)) == (
        "GD12345-20261127-0000AAAA",
        "answer",
        "lead_unit",
        "handling",
        "WJ",
        "WJ-URBAN",
        True,
    )
    assert str(due_at).startswith("2026-12-10 16:00:00")
