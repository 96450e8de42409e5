"""Record the histories that tests/replay/test_replay.py replays in CI (STYLE pattern 3).

    cd /work/main && .venv/bin/python -m tests.replay.record

Runs each scenario's ticket from registration to archive on the time-skipping server with a real worker and a
SQLite read model, then writes each workflow's history (and the coordination child's) as
`tests/histories/<workflow id>.json`.

Regenerate only after an INTENTIONAL change to workflow code, and commit the new files with it. Once real
tickets run in production their histories exist and cannot be regenerated: from then on, change control
flow behind `workflow.patched("...")` so old histories still replay, and keep the old JSON files.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from db.seed import seed_reference_data
from db.session import create_schema, make_engine, make_session_maker
from domain.commands import (
    AnswerSupervisionOrder,
    ApplyExtension,
    ApplyReturn,
    ApplySupplement,
    DecideRedo,
    Designation,
    FiledSignatory,
    FileTerminationNotice,
    IssueSupervisionOrder,
    RaiseDispute,
    Rate,
    RecordCallback,
    Review,
    ReviewReturn,
    ReviewSupplement,
    SignFor,
    SignOff,
    SubmitSupplement,
)
from domain.joining import JoinTicket
from domain.rulesets import Period
from domain.ticket import TicketInput, TicketState
from domain.vocabulary import (
    Card,
    ContactChannel,
    DisputeKind,
    RefusalGround,
    ReturnKind,
    Stage,
    SupervisionKind,
)
from tests.driver import OPERATOR, SERVER_STARTUP, TEST_SERVER, Hotline, unit
from worker import build_worker
from workflows.converter import demo_data_converter
from workflows.coordination import CoordinationWorkflow, coordination_workflow_id
from workflows.search_attributes import ensure_registered
from workflows.ticket import TicketWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
# A21: a concluded ticket waits 90 days for supplementary answers, then the workflow ends (archived).
PAST_SUPPLEMENT_WINDOW = timedelta(days=91)
SCENARIO_TIMEOUT_SECONDS = 60
SIGN_OFF = SignOff(
    name="Wang Wei", title="deputy director", filed=FiledSignatory(person_id=1, role="leader_in_charge")
)

Handle = WorkflowHandle[Any, Any]
# A scenario acts on a freshly registered ticket and returns the other workflows it created.
Scenario = Callable[[Hotline, Handle], Awaitable[list[Handle]]]


async def close_and_rate(
    hotline: Hotline, h: Handle, unit_id: str, *, rating: str = "satisfied"
) -> TicketState:
    """The lead tells the requester, applies for closure, the hotline approves, the requester rates (A20, A24)."""
    await hotline.inform_requester(h, unit_id)
    await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(await hotline.state(h), unit_id))
    await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    return await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=[rating]))


async def returned_and_redispatched(hotline: Hotline, h: Handle) -> list[Handle]:
    """A14.1: U1 returns a complaint that is not its duty; the hotline approves and re-dispatches to U2."""
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    s = await hotline.act(
        h,
        TicketWorkflow.apply_return,
        ApplyReturn(
            actor=unit("U1"),
            kind=ReturnKind.NOT_OUR_DUTY,
            reason="Street lighting is the lighting bureau's",
            basis="城市照明管理规定 第五条",
            suggested_unit="U2",
            signed_off_by=SIGN_OFF,
        ),
    )
    await hotline.act(
        h,
        TicketWorkflow.review_return,
        ReviewReturn(actor=OPERATOR, return_id=s.returns[-1].id, approve=True, redispatch_to="U2"),
    )
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U2")))
    s = await close_and_rate(hotline, h, "U2")
    assert s.stage == Stage.CONCLUDED, s.stage
    return []


async def extended_and_redone(hotline: Hotline, h: Handle) -> list[Handle]:
    """A17 extension approved; A24 dissatisfied handling, callback, redo approved, closed and rated again."""
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.act(
        h,
        TicketWorkflow.apply_extension,
        ApplyExtension(actor=unit("U1"), reason="Parts must be ordered", requester_told=True),
    )
    await hotline.act(h, TicketWorkflow.review_extension, Review(actor=OPERATOR, approve=True))
    s = await close_and_rate(hotline, h, "U1", rating="dissatisfied")
    assert s.stage == Stage.CALLBACK, s.stage
    await hotline.act(
        h,
        TicketWorkflow.record_callback,
        RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=True),
    )
    s = await hotline.act(
        h,
        TicketWorkflow.decide_redo,
        DecideRedo(actor=OPERATOR, approve=True, reason="The lamp still flickers"),
    )
    assert s.stage == Stage.HANDLING and s.redo_count == 1, s.stage
    s = await close_and_rate(hotline, h, "U1")
    assert s.stage == Stage.CONCLUDED, s.stage
    return []


async def coordinated(hotline: Hotline, h: Handle) -> list[Handle]:
    """A14.5: U1 disputes jurisdiction; the coordination child designates U2 (U3 assisting), which closes it."""
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.act(
        h,
        TicketWorkflow.raise_dispute,
        RaiseDispute(
            actor=unit("U1"),
            kind=DisputeKind.CONTESTED_JURISDICTION,
            units=["U1", "U2"],
            reason="The pavement belongs to the district, the lamp post to the city",
        ),
    )
    child = hotline.client.get_workflow_handle_for(
        CoordinationWorkflow.run, coordination_workflow_id(h.id, 1)
    )
    await child.execute_update(
        CoordinationWorkflow.designate,
        Designation(actor=OPERATOR, lead_unit="U2", co_units=["U3"], note="the city owns the lamp post"),
    )
    await hotline.until(h, lambda s: s.lead_unit == "U2" and s.stage == Stage.DISPATCHED)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U2")))
    s = await close_and_rate(hotline, h, "U2")
    assert s.stage == Stage.CONCLUDED, s.stage
    return [child]


async def kept_lead_and_called_back_twice(hotline: Hotline, h: Handle) -> list[Handle]:
    """A14.5: the hotline's dispute designates the lead already holding it (its receipt kept); A24: the
    redo's final rating is dissatisfied too, and its callback concludes the ticket."""
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.act(
        h,
        TicketWorkflow.raise_dispute,
        RaiseDispute(
            actor=OPERATOR, kind=DisputeKind.SEVERAL_UNITS, units=["U1", "U2"], reason="Who owns it"
        ),
    )
    child = hotline.client.get_workflow_handle_for(
        CoordinationWorkflow.run, coordination_workflow_id(h.id, 1)
    )
    await child.execute_update(CoordinationWorkflow.designate, Designation(actor=OPERATOR, lead_unit="U1"))
    s = await hotline.until(h, lambda s: s.open_coordination() is None and s.stage == Stage.HANDLING)
    assert len(s.assignments) == 1, s.assignments
    callback = RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=True)
    s = await close_and_rate(hotline, h, "U1", rating="dissatisfied")
    assert s.stage == Stage.CALLBACK, s.stage
    await hotline.act(h, TicketWorkflow.record_callback, callback)
    await hotline.act(
        h, TicketWorkflow.decide_redo, DecideRedo(actor=OPERATOR, approve=True, reason="Still dark")
    )
    s = await close_and_rate(hotline, h, "U1", rating="dissatisfied")
    assert s.stage == Stage.CALLBACK and s.ratings[-1].final, s.stage
    s = await hotline.act(h, TicketWorkflow.record_callback, callback)
    assert s.stage == Stage.CONCLUDED, s.stage
    return [child]


async def termination_reviewed(hotline: Hotline, h: Handle) -> list[Handle]:
    """A18 (verdicts 3): the lead files a termination notice with 12345; the hotline first sends it back (new
    facts), then the unit files again and the hotline confirms it: terminated."""
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    notice = FileTerminationNotice(
        actor=unit("U1"),
        notice_ref="doc://termination/1",
        prior_ticket_no="T-PRIOR-0001",
        served_at=await hotline.now(),
    )
    s = await hotline.act(h, TicketWorkflow.file_termination_notice, notice)
    assert s.stage == Stage.CLOSURE_REVIEW, s.stage
    await hotline.act(
        h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=False, reason="New facts")
    )
    await hotline.act(h, TicketWorkflow.file_termination_notice, notice)
    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert s.stage == Stage.CONCLUDED and s.termination is not None, s.stage
    return []


async def supervised_and_reviewed_late(hotline: Hotline, h: Handle) -> list[Handle]:
    """A25: two supervision orders, one answered in time, one answered after its card turned; the office's
    own limits (HOTLINE_OWN_CLOCKS): a return reviewed after its 1 WD, a callback after a dissatisfied
    rating."""
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    for kind, hours in ((SupervisionKind.URGE, 2), (SupervisionKind.SUPERVISE, 1)):
        order = IssueSupervisionOrder(
            actor=OPERATOR, kind=kind, reason="请尽快处置", respond_within=Period(hours=hours)
        )
        await hotline.act(h, TicketWorkflow.issue_supervision_order, order)
    answer = AnswerSupervisionOrder(actor=unit("U1"), order_id="S1", answer="已派员到场")
    await hotline.act(h, TicketWorkflow.answer_supervision_order, answer)
    await hotline.env.sleep(timedelta(hours=2))
    await hotline.until(h, lambda s: s.clocks["supervision:S2"].card == Card.YELLOW)
    await hotline.act(
        h, TicketWorkflow.answer_supervision_order, answer.model_copy(update={"order_id": "S2"})
    )
    s = await hotline.act(
        h,
        TicketWorkflow.apply_return,
        ApplyReturn(
            actor=unit("U1"),
            kind=ReturnKind.NOT_OUR_DUTY,
            reason="Street lighting is the lighting bureau's",
            basis="城市照明管理规定 第五条",
            suggested_unit="U2",
            signed_off_by=SIGN_OFF,
        ),
    )
    review = s.clocks["return_review:R1"]
    await hotline.env.sleep(review.due_at - await hotline.now() + timedelta(hours=1))
    await hotline.until(h, lambda s: s.clocks["return_review:R1"].card == Card.YELLOW)
    refused = ReviewReturn(
        actor=OPERATOR,
        return_id="R1",
        approve=False,
        ground=RefusalGround.UNITS_MATTER_BY_LAW,
        reason="属本单位",
    )
    await hotline.act(h, TicketWorkflow.review_return, refused)
    s = await close_and_rate(hotline, h, "U1", rating="dissatisfied")
    assert s.stage == Stage.CALLBACK and "callback:1" in s.clocks, s.stage
    callback = RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=False)
    s = await hotline.act(h, TicketWorkflow.record_callback, callback)
    assert s.stage == Stage.CONCLUDED, s.stage
    return []


async def archived_then_supplemented(hotline: Hotline, h: Handle) -> list[Handle]:
    """A21 (verdicts 4, issue 16): concluded, then archived 90 days later (the run completes); the unit's
    application starts the ticket again from its state in one update-with-start, as the API does
    (api/temporal.py update_reopening); permitted, written and published, the run archives again. The file
    keeps that second run's history: its input carries the state and `reopened_for_supplement`."""
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await close_and_rate(hotline, h, "U1")
    await hotline.env.sleep(PAST_SUPPLEMENT_WINDOW)
    archived = await hotline.final(h)
    assert archived.stage == Stage.ARCHIVED, archived.stage
    start = WithStartWorkflowOperation(
        TicketWorkflow.run,
        TicketInput(registration=archived.registration, carried=archived, reopened_for_supplement=True),
        id=h.id,
        task_queue=hotline.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    apply = ApplySupplement(actor=unit("U1"), reason="The lamp's new pole is ordered")
    answer = await hotline.client.execute_update_with_start_workflow(
        TicketWorkflow.apply_supplement, apply, start_workflow_operation=start
    )
    reopened = hotline.client.get_workflow_handle(h.id)  # the new run
    s = await hotline.after(reopened, answer)
    assert s.stage == Stage.CONCLUDED and s.supplements[-1].id == "S1", s.stage
    permit = ReviewSupplement(actor=OPERATOR, supplement_id="S1", approve=True)
    await hotline.act(reopened, TicketWorkflow.review_supplement_permission, permit)
    content = SubmitSupplement(actor=unit("U1"), supplement_id="S1", content="New pole in by Friday")
    await hotline.act(reopened, TicketWorkflow.submit_supplement, content)
    await hotline.act(reopened, TicketWorkflow.review_supplement_content, permit)
    return [reopened]


async def joined(hotline: Hotline, h: Handle) -> list[Handle]:
    """并案 (A10.6): a second ticket on the same matter is joined to this one, which learns of it (a signal);
    this one is closed and rated, and passes its result to the joined ticket, whose workflow then returns."""
    new = await hotline.register(ticket_no="REPLAY-JOINED-NEW", dispatch_to="U1")
    s = await hotline.act(new, TicketWorkflow.join, JoinTicket(actor=OPERATOR, into="REPLAY-JOINED"))
    assert s.stage == Stage.JOINED, s.stage
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    s = await close_and_rate(hotline, h, "U1")
    assert s.stage == Stage.CONCLUDED and s.joined == ["REPLAY-JOINED-NEW"], s.stage
    told = await hotline.final(new)
    assert told.joined_result is not None and told.joined_result.ticket_no == "REPLAY-JOINED"
    return [new]


# Ticket number -> scenario; the ticket's workflow id `ticket-<no>` names its history file.
SCENARIOS: dict[str, Scenario] = {
    "REPLAY-RETURN": returned_and_redispatched,
    "REPLAY-EXTENSION-REDO": extended_and_redone,
    "REPLAY-COORDINATION": coordinated,
    "REPLAY-KEPT-LEAD-FINAL-CALLBACK": kept_lead_and_called_back_twice,
    "REPLAY-TERMINATION-REVIEWED": termination_reviewed,
    "REPLAY-SUPERVISION": supervised_and_reviewed_late,
    # Issue 18 (ui-legible): the coordination again, now naming its units and upserting the new attributes.
    "REPLAY-UI-LEGIBLE": coordinated,
    "REPLAY-ARCHIVED-SUPPLEMENT": archived_then_supplemented,
    "REPLAY-JOINED": joined,
}


@asynccontextmanager
async def fresh_hotline() -> AsyncIterator[Hotline]:
    """A time-skipping server, a SQLite read model and a worker of their own.

    One per scenario: a workflow task that fails keeps the server from skipping time, which would stall
    every other scenario sharing it.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER),
        test_server_startup_timeout=SERVER_STARTUP,
        data_converter=demo_data_converter(),
        identity="tests.replay.record",  # not the recording machine's pid@host, in committed files
    )
    try:
        await ensure_registered(env.client)
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'hotline.db'}")
            try:
                await create_schema(engine)
                session_maker = make_session_maker(engine)
                await seed_reference_data(session_maker)
                task_queue = f"replay-record-{uuid.uuid4()}"
                async with build_worker(env.client, session_maker, task_queue):
                    yield Hotline(env, task_queue, session_maker)
            finally:
                await engine.dispose()
    finally:
        await env.shutdown()


async def workflow_task_failure(handle: Handle) -> str | None:
    """The last failed workflow task's message (an exception other than ApplicationError in workflow code)."""
    failures = [
        e.workflow_task_failed_event_attributes.failure.message
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    return failures[-1] if failures else None


async def record_scenario(ticket_no: str, scenario: Scenario, out: Path) -> list[Path]:
    """Run one ticket to its archive and write its history and its children's."""
    async with fresh_hotline() as hotline:
        h = await hotline.register(ticket_no=ticket_no, dispatch_to="U1")
        # A failing workflow task retries forever and its update never answers: give up in time.
        try:
            async with asyncio.timeout(SCENARIO_TIMEOUT_SECONDS):
                handles = [h, *await scenario(hotline, h)]
                await hotline.env.sleep(PAST_SUPPLEMENT_WINDOW)
                for handle in handles:
                    await handle.result()  # ran to its end: the ticket archived, the child designated
        except Exception as exc:
            failure = await workflow_task_failure(h)
            if failure is None:
                raise
            raise RuntimeError(f"the workflow task fails: {failure}") from exc
        written = []
        for handle in handles:
            path = out / f"{handle.id}.json"
            path.write_text((await handle.fetch_history()).to_json() + "\n")
            written.append(path)
        return written


async def record(out: Path = HISTORIES, only: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """Record every scenario (or only those named); return the files written and the scenarios that failed."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    failed: list[str] = []
    for ticket_no, scenario in SCENARIOS.items():
        if only and ticket_no not in only:
            continue
        try:
            written += await record_scenario(ticket_no, scenario, out)
        except Exception as exc:  # noqa: BLE001 - report every scenario, record the others
            failed.append(f"{ticket_no} ({scenario.__name__}): {type(exc).__name__} {exc}")
    return written, failed


def main() -> int:
    """`python -m tests.replay.record [TICKET-NO …]`: a new scenario is recorded alone, so the histories
    already checked in stay as they were recorded."""
    written, failed = asyncio.run(record(only=sys.argv[1:] or None))
    for path in written:
        print("wrote", path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    for failure in failed:
        print("FAILED", failure, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
