"""Operator commands, against the database and Temporal named by the HOTLINE_* settings.

    python -m operations create-unit --id U1 --name "武江区人民政府" --tier 2 [--parent P] [--kind county]
    python -m operations issue-credential --role unit_staff --unit U1 --name "clerk" [--confidential]
    python -m operations issue-credential --role integrator --line 110 --name "110 指挥中心"
    python -m operations revoke-credential --id 7
    python -m operations deactivate-unit --id U1
    python -m operations load-calendar notice-2027.json
    python -m operations rebuild-read-model [--all-task-queues]
    python -m operations purge-idempotency-keys [--older-than-hours 168]
    python -m operations deliver
    python -m operations seed-catalogue

A credential's token is printed once and never stored: keep it. A calendar file holds one State Council
notice ({"year", "holidays", "adjusted_workdays", "source"}, ISO dates) or a list of them; loading tells
every open ticket to recompute the deadlines it has not yet passed. `seed-catalogue` puts Shaoguan's areas
and the matter-type tree into an empty dispatch catalogue (A14; once: the office edits it after). `rebuild-read-model` projects every
ticket workflow into the read model again (a worker must be running: it answers the queries).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

from pydantic import TypeAdapter, ValidationError

from config import Settings, get_settings
from db.session import make_engine, make_session_maker
from domain.calendar import YearCalendar
from operations.credentials import (
    Role,
    UnitError,
    UnitKind,
    create_unit,
    deactivate_unit,
    issue_credential,
    revoke_credential,
)


class CommandFailed(Exception):
    """The command ran but did not finish its work; the message says what is left."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m operations", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    unit = commands.add_parser("create-unit", help="register a member unit (A4–A6)")
    unit.add_argument("--id", required=True)
    unit.add_argument("--name", required=True)
    unit.add_argument("--tier", type=int, choices=(1, 2, 3), required=True)
    unit.add_argument("--parent", default=None, help="the unit above it (a lower tier number)")
    unit.add_argument("--kind", choices=get_args(UnitKind), default="other")

    cred = commands.add_parser("issue-credential", help="issue a bearer token (printed once)")
    cred.add_argument("--role", choices=get_args(Role), required=True)
    cred.add_argument(
        "--unit", default=None, help="required for unit_staff and county_office (the county, A4)"
    )
    cred.add_argument("--name", required=True)
    cred.add_argument(
        "--confidential", action="store_true", help="A32: may see requesters who asked for confidentiality"
    )
    cred.add_argument("--line", choices=["110", "119", "120", "122"], help="A23: an integrator for this line")

    revoke = commands.add_parser("revoke-credential", help="revoke a credential by id")
    revoke.add_argument("--id", type=int, required=True)

    deactivate = commands.add_parser(
        "deactivate-unit", help="take a unit off the hotline: revoke its credentials, no new tickets"
    )
    deactivate.add_argument("--id", required=True)

    calendar = commands.add_parser("load-calendar", help="load State Council holiday notice(s) and replan")
    calendar.add_argument("file", type=Path)

    rebuild = commands.add_parser(
        "rebuild-read-model", help="project every ticket workflow into the read model again"
    )
    rebuild.add_argument(
        "--all-task-queues",
        action="store_true",
        help="every ticket workflow, not only those of HOTLINE_TASK_QUEUE (their workers must be running)",
    )
    purge = commands.add_parser(
        "purge-idempotency-keys",
        help="forget Idempotency-Keys older than the retention (the API also does this every hour)",
    )
    purge.add_argument(
        "--older-than-hours", type=float, default=None, help="default: HOTLINE_IDEMPOTENCY_RETENTION_HOURS"
    )
    commands.add_parser(
        "deliver",
        help="run the outbox dispatcher (webhooks, SMS, feed) until SIGTERM; several may run on PostgreSQL",
    )
    commands.add_parser(
        "seed-catalogue", help="seed the dispatch catalogue's areas and matter types, once (A14 派单目录)"
    )
    return parser


def read_notices(path: Path) -> list[YearCalendar]:
    data = json.loads(path.read_text("utf-8"))
    return TypeAdapter(list[YearCalendar]).validate_python(data if isinstance(data, list) else [data])


async def _run(args: argparse.Namespace, settings: Settings) -> str:
    engine = make_engine(settings.database_url)
    sessions = make_session_maker(engine)
    try:
        if args.command == "create-unit":
            row = await create_unit(
                sessions,
                unit_id=args.id,
                name=args.name,
                tier=args.tier,
                kind=args.kind,
                parent_id=args.parent,
            )
            return f"unit {row.id} (tier {row.tier}{', under ' + row.parent_id if row.parent_id else ''})"
        if args.command == "issue-credential":
            issued = await issue_credential(
                sessions,
                role=args.role,
                name=args.name,
                unit_id=args.unit,
                confidential_clearance=args.confidential,
                line=args.line,
            )
            return f"credential {issued.id}: {issued.token}\n(shown once; only its digest is stored)"
        if args.command == "revoke-credential":
            return "revoked" if await revoke_credential(sessions, args.id) else "no such active credential"
        if args.command == "deactivate-unit":
            row, revoked = await deactivate_unit(sessions, args.id)
            return f"unit {row.id} deactivated at {row.deactivated_at:%Y-%m-%d %H:%M:%S}; {revoked} credentials revoked"
        if args.command == "load-calendar":
            # Imported here: the Temporal client is needed by this command only.
            from operations.calendar import load_year_and_replan
            from worker import connect

            notices = read_notices(args.file)
            try:  # before storing: a year loaded without replanning is worse than none
                client = await connect(settings)
            except RuntimeError as err:
                raise OSError(f"cannot connect to Temporal at {settings.temporal_address}: {err}") from None
            lines = []
            for notice in notices:
                told = await load_year_and_replan(sessions, client, notice)
                lines.append(
                    f"year {notice.year} loaded ({notice.source or 'no source'}); {told} tickets replan"
                )
            return "\n".join(lines)
        if args.command == "rebuild-read-model":
            from operations.rebuild import RebuildIncomplete, rebuild_read_model, ticket_workflows
            from worker import connect

            try:
                client = await connect(settings)
            except RuntimeError as err:
                raise OSError(f"cannot connect to Temporal at {settings.temporal_address}: {err}") from None
            query = ticket_workflows(None if args.all_task_queues else settings.task_queue)
            try:
                projected = await rebuild_read_model(client, sessions, query=query)
            except RebuildIncomplete as err:
                raise CommandFailed(f"incomplete: {err}") from None
            # A terminated ticket was projected with the stage it had: mark it again at once.
            from activities.reconcile import reconcile_ended_outside

            ended = await reconcile_ended_outside(client, sessions)
            return f"{projected} tickets projected" + (
                f"; {len(ended)} ended outside the service" if ended else ""
            )
        if args.command == "purge-idempotency-keys":
            from operations.idempotency import purge_idempotency_keys

            hours = (
                settings.idempotency_retention_hours
                if args.older_than_hours is None
                else args.older_than_hours
            )
            if hours <= 0:
                raise ValueError("--older-than-hours must be positive")
            purged = await purge_idempotency_keys(sessions, datetime.now(UTC) - timedelta(hours=hours))
            return f"{purged} Idempotency-Keys older than {hours:g} hours forgotten"
        if args.command == "seed-catalogue":
            from db.catalogue import seed_catalogue

            seeded = await seed_catalogue(sessions)
            return (
                "dispatch catalogue seeded"
                if seeded
                else "the dispatch catalogue had changes already: left as it is"
            )
        if args.command == "deliver":
            import hotline_logging
            from delivery.dispatcher import run_process

            hotline_logging.configure(settings.log_level)
            await run_process(settings)
            return "dispatcher stopped"
        raise AssertionError(args.command)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(asyncio.run(_run(args, get_settings())))
    except UnitError as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 2
    except CommandFailed as err:
        print(err, file=sys.stderr)
        return 1
    except (OSError, ValidationError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
