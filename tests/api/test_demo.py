"""`make run`'s demo: each seeded ticket is in the stage it is meant to show, the queue and the bulletin have
them, and the demo's yellow-card ticket turns yellow once its (demo) sign-for limit passes (A22)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from operations.demo import OPERATOR, unit_staff
from operations.demo_tickets import (
    ANSWERED_NO,
    CONCLUDED_NO,
    COORDINATING_NO,
    DISPATCHED_NO,
    EMERGENCY_NO,
    HANDLING_NO,
    NOT_ACCEPTED_NO,
    YELLOW_NO,
)
from tests.api.demo_support import serving_demo


async def test_the_demo_shows_tickets_in_every_stage_and_a_yellow_card(
    ts_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with serving_demo(ts_env, tmp_path) as demo:
        stages = {}
        for no in (
            HANDLING_NO,
            DISPATCHED_NO,
            YELLOW_NO,
            ANSWERED_NO,
            CONCLUDED_NO,
            NOT_ACCEPTED_NO,
            COORDINATING_NO,
            EMERGENCY_NO,
        ):
            view = (await demo.http.get(f"/tickets/{no}", headers=demo.auth(OPERATOR))).json()
            stages[no] = (view["stage"], view["outcome"])
        assert stages == {
            HANDLING_NO: ("handling", None),
            DISPATCHED_NO: ("dispatched", None),
            YELLOW_NO: ("dispatched", None),
            ANSWERED_NO: ("rating", "answered_at_once"),
            CONCLUDED_NO: ("concluded", "closed"),
            NOT_ACCEPTED_NO: ("not_accepted", "not_accepted"),
            COORDINATING_NO: ("coordinating", None),  # A14.5, for Temporal UI's coordination query
            EMERGENCY_NO: ("dispatched", None),  # A23: its 110 hand-over never acknowledged
        }
        assert set(demo.requesters) == set(stages)

        # The district's clerk finds its tickets in its queue (A6: its own and its sub-units').
        queue = (await demo.http.get("/tickets", headers=demo.auth(unit_staff("WJ")))).json()
        assert {HANDLING_NO, YELLOW_NO, CONCLUDED_NO} <= {t["ticket_no"] for t in queue["items"]}

        # The demo rule set's sign-for limit is one minute: after it, the unsigned ticket is yellow (A22).
        await demo.env.sleep(timedelta(minutes=2))
        for _ in range(200):
            yellow = (
                await demo.http.get("/tickets", params={"card": "yellow"}, headers=demo.auth(OPERATOR))
            ).json()
            if YELLOW_NO in {t["ticket_no"] for t in yellow["items"]}:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the demo's yellow-card ticket never turned yellow")
        card = (await demo.http.get(f"/tickets/{YELLOW_NO}", headers=demo.auth(OPERATOR))).json()["card"]
        assert card == "yellow"

        now = await demo.env.get_current_time()
        period = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(days=1)).isoformat()}
        bulletin = (
            await demo.http.get("/reports/bulletin", params=period, headers=demo.auth(OPERATOR))
        ).json()
        # The figures tests/run/test_make_run.py expects of a fresh `make run`.
        assert bulletin["volumes"]["total"] == 8
        district = next(u for u in bulletin["units"] if u["unit"] == "WJ")
        assert (district["received"], district["concluded"], district["yellow_cards"]) == (5, 1, 1)
        assert any(u["unit"] == "SG-WATER" and u["received"] == 1 for u in bulletin["units"])
        listed = (await demo.http.get("/tickets", params={"limit": 200}, headers=demo.auth(OPERATOR))).json()
        assert {t["ticket_no"]: (t["stage"], t["outcome"]) for t in listed["items"]} == stages
