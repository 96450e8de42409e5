"""Replay the checked-in histories against today's workflow code (STYLE pattern 3).

A change to workflow code that would break a running ticket (a new activity, timer or child before an old
one, a reordered step) fails here with a NondeterminismError, before it reaches a worker.

After an INTENTIONAL change, regenerate the files with `python -m tests.replay.record` and commit them with
the change. Once real tickets run in production their histories cannot be regenerated: from then on, put
control-flow changes behind `workflow.patched("...")` and keep the old files here, so both still replay.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from domain.action_result import ActionResult, Answer
from domain.changes import VERDICTS_V2, VERDICTS_V3
from domain.ticket import TicketInput, TicketState
from domain.vocabulary import Stage
from tests.replay.unpatched_ticket import TicketWorkflowWithAnUnpatchedStep
from worker import WORKFLOWS
from workflows.converter import demo_data_converter
from workflows.patches import (
    CALLBACK_AFTER_FINAL_RATING,
    DESIGNATION_KEEPS_RECEIPT,
    HOTLINE_OWN_CLOCKS,
    JOINED_TICKETS,
    SLIM_RESULT,
    UI_LEGIBLE,
    VERDICT_PATCHES,
)

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
# Today's histories at the top; each older generation in its own folder (v1: before the activities became
# local, workflows/patches.py LOCAL_ACTIVITIES; v2: recorded with the code of 5337688, before
# DESIGNATION_KEEPS_RECEIPT, CALLBACK_AFTER_FINAL_RATING and VERDICT_PATCHES; v3: recorded before SLIM_RESULT,
# each update answering the whole state). Every generation must keep replaying.
HISTORY_FILES = sorted(HISTORIES.rglob("*.json"))
CURRENT_FILES = sorted(HISTORIES.glob("*.json"))
OLDER_FILES = sorted(set(HISTORY_FILES) - set(CURRENT_FILES))


def load(path: Path) -> WorkflowHistory:
    # The file name is the workflow id (tests/replay/record.py writes `<workflow id>.json`).
    return WorkflowHistory.from_json(path.stem, path.read_text())


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


def updates(history: WorkflowHistory) -> list[str]:
    """The names of the updates the workflow accepted, in order."""
    return [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


def starts_a_child(history: WorkflowHistory) -> bool:
    return any(
        e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED for e in history.events
    )


def ticket_histories() -> list[WorkflowHistory]:
    """Today's ticket histories: the scenarios below must be covered by the current generation."""
    return [h for h in map(load, CURRENT_FILES) if workflow_type(h) == "TicketWorkflow"]


def replayer(workflows: list[type] | None = None) -> Replayer:
    # The same data converter as the client and the worker (STYLE pattern 4).
    return Replayer(workflows=workflows or list(WORKFLOWS), data_converter=demo_data_converter())


@pytest.mark.parametrize("path", HISTORY_FILES, ids=lambda p: str(p.relative_to(HISTORIES).with_suffix("")))
async def test_history_replays_on_todays_code(path: Path) -> None:
    history = load(path)
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None
    # Recorded to their end: a replay that stops early would prove little.
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


def test_at_least_three_ticket_histories() -> None:
    assert len(ticket_histories()) >= 3


def test_a_history_returns_and_redispatches() -> None:
    """A14.1: a return applied and approved, the ticket re-dispatched to another unit."""
    assert any({"apply_return", "review_return"} <= set(updates(h)) for h in ticket_histories())


def test_a_history_extends_and_redoes() -> None:
    """A17 extension and A24 redo in one ticket."""
    assert any(
        {"apply_extension", "review_extension", "decide_redo"} <= set(updates(h)) for h in ticket_histories()
    )


def test_a_history_escalates_to_coordination() -> None:
    """A14.5: the ticket starts a CoordinationWorkflow child, whose own history is checked in too."""
    assert any(starts_a_child(h) for h in ticket_histories())
    assert any(workflow_type(load(p)) == "CoordinationWorkflow" for p in CURRENT_FILES)


# -- the replay test can fail ------------------------------------------------------------------------------
async def test_replay_reports_a_nondeterministic_change() -> None:
    history = ticket_histories()[0]
    with pytest.raises(workflow.NondeterminismError):
        await replayer([TicketWorkflowWithAnUnpatchedStep]).replay_workflow(history)


def test_current_histories_use_local_activities_and_v1_ordinary_ones() -> None:
    """Both branches of LOCAL_ACTIVITIES are covered: today's histories run the activities locally (markers,
    no activity tasks); the v1 histories, recorded before, hold ordinary activity tasks and still replay."""

    def kinds(history: WorkflowHistory) -> set[int]:
        return {e.event_type for e in history.events}

    current = ticket_histories()
    old = [
        h
        for h in map(load, sorted((HISTORIES / "v1").glob("*.json")))
        if workflow_type(h) == "TicketWorkflow"
    ]
    assert current and old
    for history in current:
        assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds(history)
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds(history)
    for history in old:
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED in kinds(history)


def patches(history: WorkflowHistory) -> set[str]:
    """The `workflow.patched` ids a history recorded (its patch markers' ids)."""
    found = set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            attributes = event.marker_recorded_event_attributes
            if attributes.marker_name == "core_patch" and "patch-data" in attributes.details:
                payload = attributes.details["patch-data"].payloads[0].data
                found.add(json.loads(payload)["id"])
    return found


def test_the_newer_branches_are_covered_by_a_history() -> None:
    """A14.5 a designation keeping the lead's receipt and A24 a callback after the final rating were added
    behind `workflow.patched`: some history takes each new branch, while the older ones replay the old."""
    recorded = set().union(*(patches(h) for h in ticket_histories()))
    assert {DESIGNATION_KEEPS_RECEIPT, CALLBACK_AFTER_FINAL_RATING} <= recorded


def test_a_history_joins_a_ticket_to_another() -> None:
    """并案 (A10.6): a joined ticket and the ticket it was joined to, both to their end (JOINED_TICKETS)."""
    joined = [h for h in ticket_histories() if JOINED_TICKETS in patches(h)]
    assert any("join" in updates(h) for h in joined) and any("join" not in updates(h) for h in joined)


def test_tickets_opened_before_and_after_the_verdicts_2_replay() -> None:
    """domain/changes.py VERDICTS_LATEST: a history opened under verdicts 2 holds the marker; the ones recorded
    before it hold none and replay judged by version 1 (test_replay_current_histories above)."""
    opened_under = [VERDICT_PATCHES[VERDICTS_V2] in patches(h) for h in ticket_histories()]
    assert True in opened_under and False in opened_under


def test_a_v2_history_takes_the_old_branches_of_the_later_patches() -> None:
    """The v2 ticket was designated to the lead already holding it (re-dispatched then) and concluded on a
    dissatisfied final rating (no callback then), and opened under verdicts 1: it holds none of the later
    markers, so it replays on every old branch (test_history_replays_on_todays_code)."""
    [old] = [
        h
        for h in map(load, sorted((HISTORIES / "v2").glob("*.json")))
        if workflow_type(h) == "TicketWorkflow"
    ]
    assert patches(old).isdisjoint(
        {DESIGNATION_KEEPS_RECEIPT, CALLBACK_AFTER_FINAL_RATING, *VERDICT_PATCHES.values()}
    )
    updates_seen = updates(old)
    assert updates_seen.count("rate") == 2 and updates_seen.count("record_callback") == 1


def test_a_history_files_a_termination_with_12345_for_review() -> None:
    """A18 (verdicts 3): a ticket opened under version 3 holds its marker; its notice went to the hotline's
    review, was sent back, filed again and confirmed. The older histories replay judged by 1 or 2."""
    [reviewed] = [
        h
        for h in ticket_histories()
        if VERDICT_PATCHES[VERDICTS_V3] in patches(h) and "file_termination_notice" in updates(h)
    ]
    seen = updates(reviewed)
    assert seen.count("file_termination_notice") == 2 and seen.count("review_closure") == 2


def test_a_history_supervises_and_starts_the_hotlines_own_clocks() -> None:
    """A25: a ticket with two supervision orders (one answered late) and the office's own limits (a return
    reviewed late, a callback) holds the HOTLINE_OWN_CLOCKS marker; the histories recorded before it hold none
    and replay on the branch that planned nothing (test_history_replays_on_todays_code)."""
    [supervised] = [h for h in ticket_histories() if "issue_supervision_order" in updates(h)]
    assert HOTLINE_OWN_CLOCKS in patches(supervised)
    seen = updates(supervised)
    assert seen.count("issue_supervision_order") == 2 and seen.count("answer_supervision_order") == 2
    assert {"apply_return", "review_return", "record_callback"} <= set(seen)
    # The older generations were recorded before it, but for the supervised ticket's own (v3) recording.
    before = [load(p) for p in OLDER_FILES if p.stem != supervised.workflow_id]
    assert before and not any(HOTLINE_OWN_CLOCKS in patches(h) for h in before)


def test_a_history_recorded_legible_holds_its_marker_and_the_older_ones_none() -> None:
    """Issue 18: the new search attributes, the memo and the units' names are behind UI_LEGIBLE; a history
    recorded since holds the marker (and replays above), every older one holds none and upserts only the
    first seven attributes on replay."""
    legible = [h for h in ticket_histories() if UI_LEGIBLE in patches(h)]
    assert "ticket-REPLAY-UI-LEGIBLE" in [h.workflow_id for h in legible]
    older = ("ticket-REPLAY-RETURN", "ticket-REPLAY-EXTENSION-REDO", "ticket-REPLAY-COORDINATION")
    recorded_before = [load(HISTORIES / "v3" / f"{no}.json") for no in older]
    assert not any(UI_LEGIBLE in patches(h) for h in recorded_before)
    [coordinated] = [h for h in legible if h.workflow_id == "ticket-REPLAY-UI-LEGIBLE"]
    assert {"raise_dispute", "sign_for"} <= set(updates(coordinated))


async def test_a_history_reopens_an_archived_ticket_for_a_supplement() -> None:
    """A21 「已办结的事项有新进展情况的，可申请补充答复」 (verdicts 4): a run started again from an archived
    ticket's state, reopened before its first update (the application, sent with the start) is judged; it
    replays like any history (test_history_replays_on_todays_code)."""
    [reopened] = [h for h in ticket_histories() if updates(h)[:1] == ["apply_supplement"]]
    assert updates(reopened) == [
        "apply_supplement",
        "review_supplement_permission",
        "submit_supplement",
        "review_supplement_content",
    ]
    started = reopened.events[0].workflow_execution_started_event_attributes
    [inp] = await demo_data_converter().decode(started.input.payloads, [TicketInput])
    assert inp.reopened_for_supplement and inp.carried is not None and inp.carried.stage == Stage.ARCHIVED


async def answers(history: WorkflowHistory) -> list[tuple[str, object]]:
    """Each update the workflow completed, by name, with its decoded answer (ActionResult or TicketState)."""
    names = {
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id: (
            e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    }
    found = []
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            completed = e.workflow_execution_update_completed_event_attributes
            payloads = completed.outcome.success.payloads
            [answer] = await demo_data_converter().decode(payloads, [Answer])
            found.append((names[completed.meta.update_id], answer))
    return found


async def test_histories_since_the_slim_result_record_small_answers_and_the_older_ones_the_state() -> None:
    """Issue 17 (SLIM_RESULT): a ticket opened since answers each action with an ActionResult (the `opened`
    update alone still answers the state); the v3 histories, recorded before, answer the whole state and
    replay on that branch (test_history_replays_on_todays_code)."""
    current = ticket_histories()
    assert all(SLIM_RESULT in patches(h) for h in current)
    for history in current:
        for name, answer in await answers(history):
            assert isinstance(answer, TicketState if name == "opened" else ActionResult), (name, answer)
    older = [
        h
        for h in map(load, sorted((HISTORIES / "v3").glob("*.json")))
        if workflow_type(h) == "TicketWorkflow"
    ]
    assert older and not any(SLIM_RESULT in patches(h) for h in older)
    for history in older:
        assert {type(answer) for _, answer in await answers(history)} == {TicketState}


def history_bytes(history: WorkflowHistory) -> int:
    """What Temporal stores and counts for a history (its events as protobuf; historySizeBytes)."""
    return sum(e.ByteSize() for e in history.events)


def test_the_extension_and_redo_life_is_small_and_grew_from_the_state_in_every_answer() -> None:
    """Issue 17: the extension-and-redo life (14 actions) within 60 KB; recorded before, about three times
    as much, each answer repeating the whole state (its timeline so far)."""
    now = history_bytes(load(HISTORIES / "ticket-REPLAY-EXTENSION-REDO.json"))
    before = history_bytes(load(HISTORIES / "v3" / "ticket-REPLAY-EXTENSION-REDO.json"))
    assert now <= 60_000 < before
