"""One ticket, one long-running workflow: registration to archive, enforcing A12–A24.

Verdicts come from domain/verdicts.py (validators reject before history records anything; handlers check
again under the lock because the state may have moved while they waited). Deadlines arrive as absolute
instants from the `plan_deadlines` activity; the main loop sleeps until the next card boundary.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain import verdicts as v
    from domain.commands import (
        Actor,
        AnswerAtOnce,
        ApplyClosure,
        ApplyExtension,
        ApplyReturn,
        ApplySupplement,
        ContactAttempt,
        DecideRedo,
        Designation,
        Dispatch,
        EmergencyResponse,
        FileTerminationNotice,
        FindNotAcceptable,
        ForwardToSubunit,
        NotAccept,
        RaiseDispute,
        Rate,
        RecordCallback,
        RecordConsultation,
        Review,
        ReviewReturn,
        ReviewSupplement,
        SignFor,
        SubmitSupplement,
        SurveyStart,
    )
    from domain.deadlines import PlanItem, PlannedDeadline, PlanRequest
    from domain.errors import RuleViolation
    from domain.rulesets import CITY, Period
    from domain.ticket import (
        ANSWER,
        CARD_CLOCKS,
        HANDLE,
        SIGN_FOR,
        VERDICTS_LATEST,
        VERDICTS_V2,
        ActivityNames,
        Assignment,
        CallbackRecord,
        Clock,
        ClosureRecord,
        Contact,
        Coordination,
        ExtensionRecord,
        OpeningFacts,
        RatingRound,
        ReturnRecord,
        Supplement,
        TicketInput,
        TicketState,
        TimelineEvent,
    )
    from domain.vocabulary import (
        DISSATISFIED,
        RETURN_RULE,
        ActorKind,
        Card,
        Decision,
        NotAcceptedReason,
        Outcome,
        Stage,
        SupplementStatus,
    )
    from workflows import search_attributes as sa
    from workflows.coordination import CoordinationInput, CoordinationWorkflow, coordination_workflow_id

RETURN_WINDOW = "return_window"
SURVEY_START_WINDOW = "survey_start_window"
SURVEY_RETURN_WINDOW = "survey_return_window"
FINAL_STAGES = frozenset({Stage.NOT_ACCEPTED, Stage.ARCHIVED})
# Database outages must not fail a ticket: activities retry until the database answers.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
# Short, so a worker killed mid-activity delays the retry by seconds, not half a minute.
ACTIVITY_TIMEOUT = timedelta(seconds=10)
# The activities are short SQL reads and one idempotent write, so they run as local activities: inside the
# workflow task that needs them, without a round trip through the server (an activity task, a poll, a
# completion and a second workflow task). A registration opens in one workflow task, an action or a card
# change is decided and projected in one. Histories recorded before this change hold ordinary activities
# and replay on the old branch (tests/histories/v1).
LOCAL_ACTIVITIES = "local-activities"
# A14.5 with A14.1/A20: a coordination that designates the unit already leading is no new receipt. Its
# limits keep counting from the first receipt, with their cards and any extension; histories recorded
# before this re-dispatched it (a fresh receipt) and replay on that branch.
DESIGNATION_KEEPS_RECEIPT = "designation-keeps-receipt"
# A24: every dissatisfied rating is called back, the final one too; only the redo is once. Histories
# recorded before this concluded a ticket on a dissatisfied final rating and replay on that branch.
CALLBACK_AFTER_FINAL_RATING = "callback-after-final-rating"
# domain/ticket.py VERDICTS_LATEST: a ticket opened from now on is judged by the latest verdicts; one opened
# before (its history holds none of the later markers) keeps the version it opened with. One patch per
# version, each setting its own number: a ticket opened under version 2 replays as 2 once a 3 exists.
VERDICT_PATCHES = {VERDICTS_V2: "verdicts-2"}
assert max(VERDICT_PATCHES) == VERDICTS_LATEST
# A workflow task waits for its local activities, and an update's answer with it. One try at projecting
# locally, bounded; if the database is away or slow the projection becomes an ordinary activity retried
# until it answers, and the action is answered then (F3: tickets keep acting while the database is away).
# Long enough for a burst of projections queued on SQLite's single writer and a busy worker (F1: 100
# at once), short enough for the API's 10 s timeout.
LOCAL_PROJECTION_TIMEOUT = timedelta(seconds=5)


def ticket_workflow_id(ticket_no: str) -> str:
    return f"ticket-{ticket_no}"


def actor_label(actor: Actor) -> str:
    return f"unit:{actor.unit_id}" if actor.kind == ActorKind.UNIT else f"{actor.kind.value}:{actor.id}"


@workflow.defn
class TicketWorkflow:
    @workflow.init
    def __init__(self, inp: TicketInput) -> None:
        reg = inp.registration
        # Until open_ticket captures the rule set, the city's stands in; validators wait for `_opened`.
        self._s = inp.carried or TicketState(ticket_no=reg.ticket_no, registration=reg, rule_set=CITY)
        self._opened = inp.carried is not None
        self._lock = asyncio.Lock()
        self._wake = False
        self._calendar_changed = False
        self._projected_revision = -1 if inp.carried is None else inp.carried.revision - 1
        self._published_attributes: dict[str, Any] = {}
        self._designations: set[asyncio.Task[None]] = set()
        self._alarms: set[datetime] = set()
        self._alarm_tasks: set[asyncio.Task[None]] = set()
        self._rang = False
        self._published_events = -1

    # ---------------------------------------------------------------------------------------- run
    @workflow.run
    async def run(self, inp: TicketInput) -> TicketState:
        if not self._opened:
            await self._open(inp)
        projector = asyncio.create_task(self._project_forever())
        while self._s.stage not in FINAL_STAGES:
            if self._calendar_changed:
                self._calendar_changed = False
                async with self._lock:
                    await self._replan_unpassed_deadlines()
                    self._publish()
            await self._sleep_until_next_boundary()
            async with self._lock:
                self._on_time_passing()
                self._publish()
            if self._should_continue_as_new():
                await self._drain()
                projector.cancel()
                workflow.continue_as_new(TicketInput(registration=self._s.registration, carried=self._s))
        await self._drain()
        projector.cancel()
        return self._s

    async def _open(self, inp: TicketInput) -> None:
        reg = inp.registration
        for version, patch in VERDICT_PATCHES.items():
            if workflow.patched(patch):
                self._s.verdicts = version
        facts = await self._activity(ActivityNames.OPEN_TICKET, reg, OpeningFacts)
        async with self._lock:
            self._s.rule_set = facts.rule_set
            self._event(
                "registered",
                reg.registered_by,
                "A2",
                ["requester"],
                channel=reg.channel,
                category=reg.category,
                emergency=reg.emergency,
                rule_set=facts.rule_set.key,
            )
            if reg.linkage:
                # A23: matters on the emergency list are linked to 110/119/120/122 at once.
                self._event(
                    "emergency_linkage",
                    reg.registered_by,
                    "A23",
                    [f"linkage:{line}" for line in reg.linkage],
                    lines=reg.linkage,
                )
            if facts.refusal is not None:
                self._not_accepted(
                    reg.registered_by, facts.refusal.value, facts.refusal_basis, automatic=True
                )
            elif reg.dispatch_to:
                await self._assign(reg.dispatch_to, reg.co_units, reg.registered_by)
            # Only now may actions run: a unit signing for a ticket registered with dispatch_to must find
            # it dispatched, not see a verdict taken halfway through the opening.
            self._opened = True
            self._publish()

    async def _sleep_until_next_boundary(self) -> None:
        """Sleep until the next card boundary or window, or until an action or a calendar change.

        Timers are never cancelled: an alarm set for a boundary that moved simply rings and the loop
        re-reads the boundaries. (A cancelled timer next to an activity completion trips a replay bug in
        the SDK core, sdk-rust#1146; and an alarm that rings for nothing costs one idle workflow task.)
        """
        now = workflow.now()
        boundary = self._s.next_boundary(now)
        if boundary is not None and boundary <= now:
            return
        if boundary is not None and not any(alarm <= boundary for alarm in self._alarms):
            self._alarms.add(boundary)
            self._alarm_tasks.add(asyncio.create_task(self._ring_at(boundary)))
        await workflow.wait_condition(lambda: self._wake or self._calendar_changed or self._rang)
        self._wake = self._rang = False

    async def _ring_at(self, at: datetime) -> None:
        await workflow.sleep(at - workflow.now(), summary="next card boundary or window")
        self._alarms.discard(at)
        self._rang = True

    def _should_continue_as_new(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            and self._s.open_coordination() is None
            and not self._designations
        )

    async def _drain(self) -> None:
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and self._projected_revision >= self._s.revision
        )

    # -------------------------------------------------------------------------------- queries, signals
    @workflow.query
    def state(self) -> TicketState:
        return self._s

    @workflow.update
    async def opened(self) -> TicketState:
        """Returns once the ticket has opened (rule set captured, screened, dispatched if asked): the API
        registers with this, so the operator's response already shows the unit and the deadlines."""
        await workflow.wait_condition(lambda: self._opened)
        return self._s

    @workflow.signal
    def calendar_changed(self) -> None:
        """A year's holidays were loaded: recompute the deadlines not yet passed."""
        self._calendar_changed = True

    # ---------------------------------------------------------------------- hotline: registration
    @workflow.update
    async def not_accept(self, cmd: NotAccept) -> TicketState:
        async with self._acting(lambda: v.check_not_accept(self._s, cmd)):
            self._not_accepted(cmd.actor, cmd.reason.value, cmd.basis, automatic=False)
        return self._s

    @not_accept.validator
    def _v_not_accept(self, cmd: NotAccept) -> None:
        self._validate(lambda: v.check_not_accept(self._s, cmd))

    @workflow.update
    async def answer_at_once(self, cmd: AnswerAtOnce) -> TicketState:
        async with self._acting(lambda: v.check_answer_at_once(self._s, cmd)):
            self._s.answered_at_once = cmd.answer
            self._s.outcome = Outcome.ANSWERED_AT_ONCE
            self._event(
                "answered_at_once", cmd.actor, "A12", ["requester"], knowledge_point_id=cmd.knowledge_point_id
            )
            self._request_rating()
        return self._s

    @answer_at_once.validator
    def _v_answer_at_once(self, cmd: AnswerAtOnce) -> None:
        self._validate(lambda: v.check_answer_at_once(self._s, cmd))

    @workflow.update
    async def dispatch(self, cmd: Dispatch) -> TicketState:
        async with self._acting(lambda: v.check_dispatch(self._s, cmd)):
            await self._assign(cmd.lead_unit, cmd.co_units, cmd.actor, note=cmd.note)
        return self._s

    @dispatch.validator
    def _v_dispatch(self, cmd: Dispatch) -> None:
        self._validate(lambda: v.check_dispatch(self._s, cmd))

    # ------------------------------------------------------------------------- unit: first steps
    @workflow.update
    async def sign_for(self, cmd: SignFor) -> TicketState:
        async with self._acting(lambda: v.check_sign_for(self._s, cmd)):
            now = workflow.now()
            assignment = self._assignment()
            assignment.signed_for_at = now
            self._meet(SIGN_FOR, now)
            self._s.stage = Stage.HANDLING
            self._event("signed_for", cmd.actor, None, ["hotline"])
        return self._s

    @sign_for.validator
    def _v_sign_for(self, cmd: SignFor) -> None:
        self._validate(lambda: v.check_sign_for(self._s, cmd))

    @workflow.update
    async def forward_to_subunit(self, cmd: ForwardToSubunit) -> TicketState:
        async with self._acting(lambda: v.check_forward(self._s, cmd)):
            self._assignment().forwarded_to = cmd.sub_unit
            self._event(
                "forwarded_to_subunit",
                cmd.actor,
                "A6",
                [f"unit:{cmd.sub_unit}"],
                sub_unit=cmd.sub_unit,
                note=cmd.note,
            )
        return self._s

    @forward_to_subunit.validator
    def _v_forward_to_subunit(self, cmd: ForwardToSubunit) -> None:
        self._validate(lambda: v.check_forward(self._s, cmd))

    @workflow.update
    async def report_emergency_response(self, cmd: EmergencyResponse) -> TicketState:
        async with self._acting(lambda: v.check_emergency_response(self._s, cmd.actor)):
            self._meet(HANDLE, workflow.now())
            self._event("emergency_handled", cmd.actor, "A17.3", ["hotline"], note=cmd.note)
        return self._s

    @report_emergency_response.validator
    def _v_report_emergency_response(self, cmd: EmergencyResponse) -> None:
        self._validate(lambda: v.check_emergency_response(self._s, cmd.actor))

    @workflow.update
    async def start_survey(self, cmd: SurveyStart) -> TicketState:
        async with self._acting(lambda: v.check_survey_start(self._s, cmd)):
            now = workflow.now()
            assignment = self._assignment()
            planned = await self._plan(
                [
                    PlanItem(
                        name=SURVEY_RETURN_WINDOW, anchor_at=now, period=self._s.rule_set.survey_return_window
                    )
                ]
            )
            assignment.survey_started_at = now
            assignment.survey_return_by = planned[SURVEY_RETURN_WINDOW].due_at
            late = now > assignment.survey_start_by
            self._event(
                "survey_started",
                cmd.actor,
                "A14.3",
                ["hotline"],
                note=cmd.note,
                late=late,
                return_by=assignment.survey_return_by,
            )
        return self._s

    @start_survey.validator
    def _v_start_survey(self, cmd: SurveyStart) -> None:
        self._validate(lambda: v.check_survey_start(self._s, cmd))

    # ------------------------------------------------------------------------------------- returns
    @workflow.update
    async def apply_return(self, cmd: ApplyReturn) -> TicketState:
        async with self._acting(lambda: v.check_return(self._s, cmd)):
            s, now = self._s, workflow.now()
            rule = RETURN_RULE[cmd.kind]
            record = ReturnRecord(
                id=f"R{len(s.returns) + 1}",
                unit=s.lead_unit or "",
                application=cmd,
                applied_at=now,
                overdue=v.return_is_overdue(s, cmd, now),
                rule=rule,
            )
            automatic = v.automatic_refusal(s, cmd)
            s.returns.append(record)
            # A15: the sign-off travels with the application into the record.
            self._event(
                "return_applied",
                cmd.actor,
                rule,
                ["hotline"],
                return_id=record.id,
                kind=cmd.kind,
                reason=cmd.reason,
                basis=cmd.basis,
                suggested_unit=cmd.suggested_unit,
                signed_off_by=cmd.signed_off_by.model_dump(),
                overdue=record.overdue,
                missing_items=cmd.missing_items,
                survey=cmd.survey.model_dump() if cmd.survey else None,
            )
            if record.overdue:
                self._event("overdue_return", cmd.actor, rule, ["hotline"], return_id=record.id)
            if automatic is not None:
                record.decision, record.ground, record.automatic = Decision.REFUSED, automatic, True
                record.decided_at, record.decided_by = now, "system"
                record.reason = (
                    "no reason or basis given"
                    if automatic.value == "A16.2"
                    else "an extension was already applied for"
                )
                self._event(
                    "return_refused",
                    self._system(),
                    automatic.value,
                    [f"unit:{record.unit}"],
                    return_id=record.id,
                    ground=automatic,
                    automatic=True,
                    reason=record.reason,
                )
            else:
                s.stage = Stage.RETURN_REVIEW
        return self._s

    @apply_return.validator
    def _v_apply_return(self, cmd: ApplyReturn) -> None:
        self._validate(lambda: v.check_return(self._s, cmd))

    @workflow.update
    async def review_return(self, cmd: ReviewReturn) -> TicketState:
        async with self._acting(lambda: v.check_review_return(self._s, cmd)):
            s, now = self._s, workflow.now()
            record = s.pending_return()
            assert record is not None
            record.decided_at, record.decided_by, record.reason = now, cmd.actor.id, cmd.reason
            if cmd.approve:
                target = cmd.redispatch_to or record.application.suggested_unit or ""
                record.decision, record.redispatched_to = Decision.APPROVED, target
                self._event(
                    "return_approved",
                    cmd.actor,
                    record.rule,
                    [f"unit:{record.unit}"],
                    return_id=record.id,
                    redispatch_to=target,
                )
                # A14.1: re-dispatched, the time limit restarts from the new receipt.
                co_units = [u for u in s.co_units if u != target]
                await self._assign(target, co_units, cmd.actor, note=f"after return {record.id}")
            else:
                record.decision, record.ground = Decision.REFUSED, cmd.ground
                record.knowledge_point = cmd.knowledge_point
                assert cmd.ground is not None
                # A14.1: refused, the unit keeps it and the limit still counts from the first receipt.
                self._event(
                    "return_refused",
                    cmd.actor,
                    cmd.ground.value,
                    [f"unit:{record.unit}"],
                    return_id=record.id,
                    ground=cmd.ground,
                    reason=cmd.reason,
                    knowledge_point=cmd.knowledge_point.model_dump() if cmd.knowledge_point else None,
                )
                self._back_to_handling()
        return self._s

    @review_return.validator
    def _v_review_return(self, cmd: ReviewReturn) -> None:
        self._validate(lambda: v.check_review_return(self._s, cmd))

    # ----------------------------------------------------------------------- disputes (A14.5)
    @workflow.update
    async def raise_dispute(self, cmd: RaiseDispute) -> TicketState:
        async with self._acting(lambda: v.check_dispute(self._s, cmd)):
            s = self._s
            child_id = coordination_workflow_id(workflow.info().workflow_id, len(s.coordinations) + 1)
            s.coordinations.append(Coordination(workflow_id=child_id, dispute=cmd, raised_at=workflow.now()))
            pending = s.pending_return()
            if pending is not None:
                # A14.5: the designation settles who handles it; the return needs no review any more.
                pending.decision, pending.decided_at = Decision.SUPERSEDED, workflow.now()
                pending.decided_by, pending.reason = "system", "settled by coordination"
                self._event(
                    "return_superseded",
                    self._system(),
                    "A14.5",
                    [f"unit:{pending.unit}"],
                    return_id=pending.id,
                    coordination_workflow_id=child_id,
                )
            s.stage = Stage.COORDINATING
            self._event(
                "dispute_raised",
                cmd.actor,
                "A14.5",
                ["hotline"],
                kind=cmd.kind,
                units=cmd.units,
                reason=cmd.reason,
                coordination_workflow_id=child_id,
            )
            handle = await workflow.start_child_workflow(
                CoordinationWorkflow.run,
                CoordinationInput(ticket_no=s.ticket_no, dispute=cmd, current_lead=s.lead_unit),
                id=child_id,
                task_queue=workflow.info().task_queue,
            )
            task = asyncio.create_task(self._await_designation(handle))
            self._designations.add(task)
            task.add_done_callback(self._designations.discard)
        return self._s

    @raise_dispute.validator
    def _v_raise_dispute(self, cmd: RaiseDispute) -> None:
        self._validate(lambda: v.check_dispute(self._s, cmd))

    async def _await_designation(self, handle: workflow.ChildWorkflowHandle[Any, Designation]) -> None:
        designation = await handle
        async with self._lock:
            coordination = self._s.open_coordination()
            assert coordination is not None
            coordination.designated_lead = designation.lead_unit
            coordination.designated_co_units = list(designation.co_units)
            coordination.designated_at = workflow.now()
            self._event(
                "lead_designated",
                designation.actor,
                "A14.5",
                [f"unit:{u}" for u in [designation.lead_unit, *designation.co_units]],
                lead_unit=designation.lead_unit,
                co_units=designation.co_units,
                note=designation.note,
            )
            # A14.5: the designated lead must handle and may not return; co-units must assist.
            if designation.lead_unit == self._s.lead_unit and workflow.patched(DESIGNATION_KEEPS_RECEIPT):
                self._keep_lead(designation)
            else:
                await self._assign(
                    designation.lead_unit,
                    designation.co_units,
                    designation.actor,
                    designated=True,
                    note="designated in coordination",
                )
            self._publish()
            self._wake = True

    # ------------------------------------------------------------------------- extension (A17)
    @workflow.update
    async def apply_extension(self, cmd: ApplyExtension) -> TicketState:
        async with self._acting(lambda: v.check_extension(self._s, cmd, workflow.now())):
            self._s.extensions.append(ExtensionRecord(application=cmd, applied_at=workflow.now()))
            self._s.stage = Stage.EXTENSION_REVIEW
            self._event("extension_applied", cmd.actor, "A17", ["hotline"], reason=cmd.reason)
        return self._s

    @apply_extension.validator
    def _v_apply_extension(self, cmd: ApplyExtension) -> None:
        self._validate(lambda: v.check_extension(self._s, cmd, workflow.now()))

    @workflow.update
    async def review_extension(self, cmd: Review) -> TicketState:
        async with self._acting(lambda: v.check_review_extension(self._s, cmd)):
            s = self._s
            record = s.pending_extension()
            assert record is not None
            record.decided_at, record.reason = workflow.now(), cmd.reason
            unit = f"unit:{s.lead_unit}"
            if cmd.approve:
                # A17: one extension, as long as the ticket type's own limit, after the original limit.
                clock = s.clocks[ANSWER]
                clock.then.append(s.rule_set.answer_limit(s.registration.category, s.registration.emergency))
                clock.replan((await self._plan([self._plan_item(clock)]))[ANSWER])
                record.decision, record.extended_to = Decision.APPROVED, clock.due_at
                self._event(
                    "extension_approved",
                    cmd.actor,
                    "A17",
                    [unit, "requester"],
                    extended_to=clock.due_at,
                    reason=record.application.reason,
                )
            else:
                record.decision = Decision.REFUSED
                self._event("extension_refused", cmd.actor, "A17", [unit], reason=cmd.reason)
            self._back_to_handling()
        return self._s

    @review_extension.validator
    def _v_review_extension(self, cmd: Review) -> None:
        self._validate(lambda: v.check_review_extension(self._s, cmd))

    # ------------------------------------------------------------------- contact and closure (A20)
    @workflow.update
    async def record_contact(self, cmd: ContactAttempt) -> TicketState:
        async with self._acting(lambda: v.check_contact(self._s, cmd, workflow.now())):
            s = self._s
            s.contacts.append(Contact.of(cmd))
            self._event(
                "contact_attempted",
                cmd.actor,
                "A20",
                [],
                at=cmd.at,
                channel=cmd.channel,
                reached=cmd.reached,
                purpose=cmd.purpose,
            )
            if s.requester_informed_at is None:
                since = self._assignment().received_at
                informed = v.requester_deemed_answered(
                    [c for c in s.contacts if c.at >= since],
                    phone_calls_for_the_result=s.verdicts >= VERDICTS_V2,
                )
                if informed is not None:
                    s.requester_informed_at = informed
                    self._event(
                        "requester_answered",
                        cmd.actor,
                        "A20",
                        ["hotline"],
                        deemed=not cmd.reached,
                        at=informed,
                    )
        return self._s

    @record_contact.validator
    def _v_record_contact(self, cmd: ContactAttempt) -> None:
        self._validate(lambda: v.check_contact(self._s, cmd, workflow.now()))

    @workflow.update
    async def apply_closure(self, cmd: ApplyClosure) -> TicketState:
        async with self._acting(lambda: v.check_closure(self._s, cmd, workflow.now())):
            self._submit_for_closure(
                ClosureRecord(id=self._closure_id(), applied_at=workflow.now(), closure=cmd),
                cmd.actor,
                "closure_applied",
                "A20",
            )
        return self._s

    @apply_closure.validator
    def _v_apply_closure(self, cmd: ApplyClosure) -> None:
        self._validate(lambda: v.check_closure(self._s, cmd, workflow.now()))

    @workflow.update
    async def find_not_acceptable(self, cmd: FindNotAcceptable) -> TicketState:
        async with self._acting(lambda: v.check_not_acceptable(self._s, cmd)):
            record = ClosureRecord(id=self._closure_id(), applied_at=workflow.now(), not_acceptable=cmd)
            self._submit_for_closure(
                record,
                cmd.actor,
                "found_not_acceptable",
                "A14.4",
                reason=cmd.reason,
                explanation=cmd.explanation,
                material_refs=cmd.material_refs,
            )
        return self._s

    @find_not_acceptable.validator
    def _v_find_not_acceptable(self, cmd: FindNotAcceptable) -> None:
        self._validate(lambda: v.check_not_acceptable(self._s, cmd))

    @workflow.update
    async def review_closure(self, cmd: Review) -> TicketState:
        async with self._acting(lambda: v.check_review_closure(self._s, cmd)):
            s = self._s
            record = s.pending_closure()
            assert record is not None
            record.decided_at, record.reason = workflow.now(), cmd.reason
            unit = f"unit:{s.lead_unit}"
            if cmd.approve:
                record.decision = Decision.APPROVED
                if record.not_acceptable is not None:
                    s.outcome = Outcome.NOT_ACCEPTABLE_BY_UNIT
                    self._event(
                        "not_acceptable_confirmed",
                        cmd.actor,
                        "A14.4",
                        [unit, "requester"],
                        reason=record.not_acceptable.reason,
                    )
                    self._conclude()
                else:
                    s.outcome = Outcome.CLOSED
                    self._event("closure_approved", cmd.actor, "A20", [unit, "requester"])
                    self._request_rating()
            else:
                # A20: sent back; the limit still counts from the first receipt.
                record.decision = Decision.REFUSED
                s.clocks[ANSWER].met_at = None
                s.stage = Stage.HANDLING
                self._event("closure_sent_back", cmd.actor, "A20", [unit], reason=cmd.reason)
        return self._s

    @review_closure.validator
    def _v_review_closure(self, cmd: Review) -> None:
        self._validate(lambda: v.check_review_closure(self._s, cmd))

    @workflow.update
    async def file_termination_notice(self, cmd: FileTerminationNotice) -> TicketState:
        async with self._acting(lambda: v.check_termination(self._s, cmd)):
            s = self._s
            s.termination = cmd
            s.outcome = Outcome.TERMINATED
            self._meet(ANSWER, workflow.now())
            self._event(
                "termination_notice_filed",
                cmd.actor,
                "A18",
                ["hotline", "requester"],
                notice_ref=cmd.notice_ref,
                prior_ticket_no=cmd.prior_ticket_no or s.registration.repeat_of,
            )
            self._conclude()
        return self._s

    @file_termination_notice.validator
    def _v_file_termination_notice(self, cmd: FileTerminationNotice) -> None:
        self._validate(lambda: v.check_termination(self._s, cmd))

    # --------------------------------------------------------------- rating, callback, redo (A24)
    @workflow.update
    async def rate(self, cmd: Rate) -> TicketState:
        async with self._acting(lambda: v.check_rate(self._s, cmd, workflow.now())):
            rating = self._s.current_rating()
            assert rating is not None
            rating.acceptance, rating.handling = v.read_rating(cmd.acceptance), v.read_rating(cmd.handling)
            rating.rated_at = workflow.now()
            self._event(
                "rated",
                Actor(kind=ActorKind.REQUESTER, id="requester"),
                "A24",
                ["hotline"],
                round=rating.round,
                acceptance=rating.acceptance.model_dump(),
                handling=rating.handling.model_dump(),
                via=cmd.via,
            )
            self._after_rating(rating)
        return self._s

    @rate.validator
    def _v_rate(self, cmd: Rate) -> None:
        self._validate(lambda: v.check_rate(self._s, cmd, workflow.now()))

    @workflow.update
    async def record_callback(self, cmd: RecordCallback) -> TicketState:
        async with self._acting(lambda: v.check_callback(self._s, cmd)):
            s = self._s
            s.callbacks.append(
                CallbackRecord(
                    at=workflow.now(),
                    by=cmd.actor.id,
                    channel=cmd.channel,
                    reached=cmd.reached,
                    wants_redo=cmd.wants_redo,
                    note=cmd.note,
                )
            )
            self._event(
                "callback_recorded",
                cmd.actor,
                "A24",
                [],
                channel=cmd.channel,
                reached=cmd.reached,
                wants_redo=cmd.wants_redo,
            )
            rating = s.current_rating()
            # A24: after the final rating the callback closes the matter; there is no second redo.
            if not cmd.wants_redo or (rating is not None and rating.final):
                self._conclude()
        return self._s

    @record_callback.validator
    def _v_record_callback(self, cmd: RecordCallback) -> None:
        self._validate(lambda: v.check_callback(self._s, cmd))

    @workflow.update
    async def record_consultation(self, cmd: RecordConsultation) -> TicketState:
        async with self._acting(lambda: v.check_consultation(self._s, cmd, workflow.now())):
            notify = [f"unit:{u}" for u in (self._s.lead_unit, *self._s.co_units) if u]
            self._event(
                "consultation_decided",
                cmd.actor,
                "A9",
                [*notify, "hotline"],
                meeting=cmd.meeting,
                held_on=cmd.held_on.isoformat(),
                decision=cmd.decision,
            )
        return self._s

    @record_consultation.validator
    def _v_record_consultation(self, cmd: RecordConsultation) -> None:
        self._validate(lambda: v.check_consultation(self._s, cmd, workflow.now()))

    @workflow.update
    async def decide_redo(self, cmd: DecideRedo) -> TicketState:
        async with self._acting(lambda: v.check_redo(self._s, cmd)):
            s = self._s
            callback = s.callbacks[-1]
            callback.redo_reason = cmd.reason
            if cmd.approve:
                callback.redo_decision = Decision.APPROVED
                s.redo_count += 1
                s.outcome = None
                # A24: back to the lead unit; a consultation answered on the spot (A12) to the unit named.
                unit = s.lead_unit or cmd.lead_unit or ""
                self._event("redo_ordered", cmd.actor, "A24", [f"unit:{unit}"], reason=cmd.reason)
                # A24: the same limit as the original, once, and no extension.
                await self._assign(unit, s.co_units, cmd.actor, redo=True, note="redo")
            else:
                callback.redo_decision = Decision.REFUSED
                self._event("redo_refused", cmd.actor, "A24", ["requester"], reason=cmd.reason)
                self._conclude()
        return self._s

    @decide_redo.validator
    def _v_decide_redo(self, cmd: DecideRedo) -> None:
        self._validate(lambda: v.check_redo(self._s, cmd))

    # -------------------------------------------------------------- supplementary answers (A21)
    @workflow.update
    async def apply_supplement(self, cmd: ApplySupplement) -> TicketState:
        async with self._acting(lambda: v.check_apply_supplement(self._s, cmd)):
            s = self._s
            supplement = Supplement(
                id=f"S{len(s.supplements) + 1}",
                unit=s.lead_unit or "",
                reason=cmd.reason,
                applied_at=workflow.now(),
            )
            s.supplements.append(supplement)
            self._event(
                "supplement_applied",
                cmd.actor,
                "A21",
                ["hotline"],
                supplement_id=supplement.id,
                reason=cmd.reason,
            )
        return self._s

    @apply_supplement.validator
    def _v_apply_supplement(self, cmd: ApplySupplement) -> None:
        self._validate(lambda: v.check_apply_supplement(self._s, cmd))

    @workflow.update
    async def review_supplement_permission(self, cmd: ReviewSupplement) -> TicketState:
        async with self._acting(lambda: v.check_review_supplement_permission(self._s, cmd)):
            supplement = self._supplement(cmd.supplement_id)
            supplement.status = (
                SupplementStatus.PERMITTED if cmd.approve else SupplementStatus.PERMISSION_REFUSED
            )
            supplement.review_note = cmd.reason
            self._event(
                "supplement_permission_" + ("granted" if cmd.approve else "refused"),
                cmd.actor,
                "A21",
                [f"unit:{supplement.unit}"],
                supplement_id=supplement.id,
                reason=cmd.reason,
            )
        return self._s

    @review_supplement_permission.validator
    def _v_review_supplement_permission(self, cmd: ReviewSupplement) -> None:
        self._validate(lambda: v.check_review_supplement_permission(self._s, cmd))

    @workflow.update
    async def submit_supplement(self, cmd: SubmitSupplement) -> TicketState:
        async with self._acting(lambda: v.check_submit_supplement(self._s, cmd)):
            supplement = self._supplement(cmd.supplement_id)
            supplement.status, supplement.content = SupplementStatus.SUBMITTED, cmd.content
            self._event("supplement_submitted", cmd.actor, "A21", ["hotline"], supplement_id=supplement.id)
        return self._s

    @submit_supplement.validator
    def _v_submit_supplement(self, cmd: SubmitSupplement) -> None:
        self._validate(lambda: v.check_submit_supplement(self._s, cmd))

    @workflow.update
    async def review_supplement_content(self, cmd: ReviewSupplement) -> TicketState:
        async with self._acting(lambda: v.check_review_supplement_content(self._s, cmd)):
            supplement = self._supplement(cmd.supplement_id)
            supplement.review_note = cmd.reason
            if cmd.approve:
                # A21: published only after the hotline reviewed the content.
                supplement.status, supplement.published_at = SupplementStatus.PUBLISHED, workflow.now()
                self._event(
                    "supplement_published",
                    cmd.actor,
                    "A21",
                    ["requester", f"unit:{supplement.unit}"],
                    supplement_id=supplement.id,
                    content=supplement.content,
                )
            else:
                supplement.status = SupplementStatus.CONTENT_REJECTED
                self._event(
                    "supplement_rejected",
                    cmd.actor,
                    "A21",
                    [f"unit:{supplement.unit}"],
                    supplement_id=supplement.id,
                    reason=cmd.reason,
                )
        return self._s

    @review_supplement_content.validator
    def _v_review_supplement_content(self, cmd: ReviewSupplement) -> None:
        self._validate(lambda: v.check_review_supplement_content(self._s, cmd))

    # ============================================================================== machinery
    @asynccontextmanager
    async def _acting(self, check: Callable[[], None]) -> AsyncIterator[None]:
        """Wait until the ticket is open, take the lock, re-check the verdict, then act and publish."""
        await workflow.wait_condition(lambda: self._opened)
        async with self._lock:
            self._raise_verdict(check)
            yield
            self._publish()
            self._wake = True  # the main loop re-reads the boundaries this action may have moved

    def _validate(self, check: Callable[[], None]) -> None:
        if self._opened:
            self._raise_verdict(check)

    @staticmethod
    def _raise_verdict(check: Callable[[], None]) -> None:
        try:
            check()
        except RuleViolation as violation:
            raise ApplicationError(
                violation.message, violation.as_details(), type=violation.code, non_retryable=True
            ) from None

    def _event(
        self,
        kind: str,
        actor: Actor | str,
        rule: str | None,
        notify: Sequence[str],
        /,
        *,
        stamped_at: datetime | None = None,
        **data: Any,
    ) -> TimelineEvent:
        # Positional-only, so event data may carry its own `kind` (a return's or a dispute's kind).
        s = self._s
        event = TimelineEvent(
            id=str(workflow.uuid4()),
            seq=len(s.timeline) + 1,
            at=stamped_at or workflow.now(),
            kind=kind,
            actor=actor if isinstance(actor, str) else actor_label(actor),
            rule=rule,
            data=_jsonable(data),
            notify=list(notify),
        )
        s.timeline.append(event)
        # Replay-safe logger; the JSON log formatter adds the ticket number from the workflow id.
        workflow.logger.info("%s by %s%s", kind, event.actor, f" ({rule})" if rule else "")
        return event

    @staticmethod
    def _system() -> str:
        return "system"

    def _assignment(self) -> Assignment:
        assignment = self._s.assignment
        assert assignment is not None
        return assignment

    def _closure_id(self) -> str:
        return f"C{len(self._s.closures) + 1}"

    def _supplement(self, supplement_id: str) -> Supplement:
        return next(s for s in self._s.supplements if s.id == supplement_id)

    def _plan_item(self, clock: Clock) -> PlanItem:
        return PlanItem(
            name=clock.name,
            anchor_at=clock.anchor_at,
            period=clock.period,
            after_limit=clock.after_limit,
            then=list(clock.then),
        )

    async def _plan(self, items: list[PlanItem]) -> dict[str, PlannedDeadline]:
        request = PlanRequest(items=items, red_after_working_days=self._s.rule_set.red_after_working_days)
        planned: dict[str, PlannedDeadline] = await self._activity(
            ActivityNames.PLAN_DEADLINES, request, dict[str, PlannedDeadline]
        )
        return planned

    @staticmethod
    async def _activity(name: str, arg: Any, result_type: Any = None) -> Any:
        """An activity, local where the history allows it (LOCAL_ACTIVITIES), ordinary otherwise. A local
        activity that keeps failing (the database down) retries inside the worker, then on timers."""
        if workflow.patched(LOCAL_ACTIVITIES):
            return await workflow.execute_local_activity(
                name,
                arg,
                result_type=result_type,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        return await TicketWorkflow._ordinary_activity(name, arg, result_type)

    @staticmethod
    async def _ordinary_activity(name: str, arg: Any, result_type: Any = None) -> Any:
        return await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )

    @staticmethod
    async def _project(delta: TicketState) -> None:
        if workflow.patched(LOCAL_ACTIVITIES):
            try:
                await workflow.execute_local_activity(
                    ActivityNames.PROJECT_TICKET,
                    delta,
                    schedule_to_close_timeout=LOCAL_PROJECTION_TIMEOUT,
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
                return
            except FailureError:  # the activity's own error, or its timeout
                workflow.logger.warning(
                    "projection handed to an ordinary activity: the database did not answer"
                )
        await TicketWorkflow._ordinary_activity(ActivityNames.PROJECT_TICKET, delta)

    async def _assign(
        self,
        lead: str,
        co_units: Sequence[str],
        actor: Actor,
        *,
        designated: bool = False,
        redo: bool = False,
        note: str = "",
    ) -> None:
        """Dispatch to a lead unit: a new receipt from which its limits count (A14.1, A17, A24)."""
        s, now = self._s, workflow.now()
        rs, reg = s.rule_set, s.registration
        periods: dict[str, Period] = {
            ANSWER: rs.answer_limit(reg.category, reg.emergency),
            RETURN_WINDOW: rs.return_window,
            SURVEY_START_WINDOW: rs.survey_start_window,
        }
        if not redo:
            periods[SIGN_FOR] = rs.sign_for_limit(reg.emergency)
            if reg.emergency:
                periods[HANDLE] = rs.emergency_handle
        planned = await self._plan([PlanItem(name=n, anchor_at=now, period=p) for n, p in periods.items()])
        s.assignments.append(
            Assignment(
                lead_unit=lead,
                co_units=[u for u in co_units if u != lead],
                received_at=now,
                signed_for_at=now if redo else None,
                return_by=planned[RETURN_WINDOW].due_at,
                survey_start_by=planned[SURVEY_START_WINDOW].due_at,
                designated=designated,
                redo=redo,
            )
        )
        # A redo keeps the earlier, met clocks for the record and starts a fresh answer limit.
        kept = {k: c for k, c in s.clocks.items() if redo and k != ANSWER}
        s.clocks = kept | {
            name: Clock(
                name=name,
                period=periods[name],
                anchor_at=now,
                due_at=p.due_at,
                red_at=p.red_at,
                provisional=p.provisional,
            )
            for name, p in planned.items()
            if name in CARD_CLOCKS
        }
        s.stage = Stage.HANDLING if redo else Stage.DISPATCHED
        # A20: the unit now holding the ticket tells the requester its own result.
        s.requester_informed_at = None
        notify = [f"unit:{lead}"] + [f"unit:{u}" for u in co_units if u != lead]
        self._event(
            "dispatched",
            actor,
            "A14",
            notify,
            lead_unit=lead,
            co_units=list(co_units),
            designated=designated,
            redo=redo,
            note=note,
            deadlines={n: c.due_at for n, c in s.clocks.items() if c.met_at is None},
            provisional=s.provisional(),
        )

    def _keep_lead(self, designation: Designation) -> None:
        """The lead designated is the lead already holding the ticket: it keeps its receipt and its clocks,
        may no longer return the ticket (A14.5), and works with the co-units designated."""
        assignment, lead = self._assignment(), designation.lead_unit
        assignment.designated = True
        assignment.co_units = [u for u in designation.co_units if u != lead]
        self._back_to_handling()
        self._event(
            "designation_kept_receipt",
            designation.actor,
            "A14.5",
            [f"unit:{u}" for u in [lead, *assignment.co_units]],
            lead_unit=lead,
            co_units=assignment.co_units,
            received_at=assignment.received_at,
            deadlines={n: c.due_at for n, c in self._s.clocks.items() if c.met_at is None},
        )

    def _meet(self, clock_name: str, at: datetime) -> None:
        clock = self._s.clocks.get(clock_name)
        if clock is not None and clock.met_at is None:
            clock.met_at = at

    def _back_to_handling(self) -> None:
        self._s.stage = Stage.HANDLING if self._assignment().signed_for_at else Stage.DISPATCHED

    def _submit_for_closure(
        self, record: ClosureRecord, actor: Actor, kind: str, rule: str, **data: Any
    ) -> None:
        self._s.closures.append(record)
        self._meet(ANSWER, record.applied_at)
        self._s.stage = Stage.CLOSURE_REVIEW
        self._event(kind, actor, rule, ["hotline"], closure_id=record.id, **data)

    def _not_accepted(self, actor: Actor, reason: str, basis: str, *, automatic: bool) -> None:
        s = self._s
        s.stage, s.outcome = Stage.NOT_ACCEPTED, Outcome.NOT_ACCEPTED
        s.not_accepted_reason = NotAcceptedReason(reason)
        s.not_accepted_basis = basis
        s.concluded_at = workflow.now()
        self._stop_clocks()
        # A13: the requester is told it is not accepted and on what basis.
        self._event(
            "not_accepted",
            actor if not automatic else self._system(),
            reason,
            ["requester"],
            reason=reason,
            basis=basis,
            automatic=automatic,
        )

    def _request_rating(self) -> None:
        s, now = self._s, workflow.now()
        window = s.rule_set.rating_window
        length = timedelta(hours=window.hours) if window.hours is not None else timedelta(days=1)
        final = s.redo_count > 0 or len(s.ratings) >= 1
        s.ratings.append(
            RatingRound(round=len(s.ratings) + 1, requested_at=now, expires_at=now + length, final=final)
        )
        s.stage = Stage.RATING
        self._event(
            "rating_requested",
            self._system(),
            "A24",
            ["requester"],
            round=len(s.ratings),
            expires_at=now + length,
            final=final,
        )

    def _after_rating(self, rating: RatingRound) -> None:
        dissatisfied = any(
            r is not None and r.option in DISSATISFIED for r in (rating.acceptance, rating.handling)
        )
        if dissatisfied and (not rating.final or workflow.patched(CALLBACK_AFTER_FINAL_RATING)):
            self._s.stage = Stage.CALLBACK
            self._event(
                "callback_due", self._system(), "A24", ["hotline"], round=rating.round, final=rating.final
            )
        else:
            self._conclude()

    def _stop_clocks(self) -> None:
        """A concluded ticket's limits stop: their cards freeze as they stand (A22)."""
        now = workflow.now()
        for clock in self._s.clocks.values():
            if clock.met_at is None:
                clock.met_at = now

    def _conclude(self) -> None:
        s, now = self._s, workflow.now()
        self._stop_clocks()
        s.stage, s.concluded_at = Stage.CONCLUDED, now
        # A21: the ticket stays open for supplementary answers, then is archived.
        s.archive_at = now + timedelta(days=s.rule_set.supplement_window_days)
        self._event("concluded", self._system(), None, ["hotline"], outcome=s.outcome)

    def _on_time_passing(self) -> None:
        s, now = self._s, workflow.now()
        rating = s.current_rating()
        if (
            s.stage == Stage.RATING
            and rating is not None
            and rating.rated_at is None
            and now >= rating.expires_at
        ):
            # A24: no answer within 24 hours reads as basically satisfied.
            rating.acceptance = rating.handling = v.read_rating([])
            # Stamped with the end of the window, however late the worker got to it.
            rating.rated_at = rating.expires_at
            self._event(
                "rating_defaulted",
                self._system(),
                "A24",
                ["hotline"],
                stamped_at=rating.expires_at,
                round=rating.round,
            )
            self._after_rating(rating)
        busy = any(
            x.status in {SupplementStatus.REQUESTED, SupplementStatus.PERMITTED, SupplementStatus.SUBMITTED}
            for x in s.supplements
        )
        if s.stage == Stage.CONCLUDED and s.archive_at is not None and now >= s.archive_at and not busy:
            s.stage = Stage.ARCHIVED
            # At the archive date, unless a supplementary answer kept the ticket open past it.
            self._event(
                "archived", self._system(), "A21", [], stamped_at=now if s.supplements else s.archive_at
            )

    async def _replan_unpassed_deadlines(self) -> None:
        s, now = self._s, workflow.now()
        open_clocks = [c for c in s.clocks.values() if c.met_at is None and c.due_at > now]
        if not open_clocks:
            return
        planned = await self._plan([self._plan_item(c) for c in open_clocks])
        changed = {}
        for clock in open_clocks:
            before = (clock.due_at, clock.provisional)
            clock.replan(planned[clock.name])
            if before != (clock.due_at, clock.provisional):
                changed[clock.name] = {"due_at": clock.due_at, "provisional": clock.provisional}
        if changed:
            self._event(
                "deadlines_recomputed", self._system(), "A17", [f"unit:{s.lead_unit}"], clocks=changed
            )

    def _refresh_cards(self) -> None:
        s, now = self._s, workflow.now()
        for clock in s.clocks.values():
            card = clock.card_now(now)
            if card != clock.card:
                before, clock.card = clock.card, card
                # A22: stamped with the boundary the card crossed, however late the worker records it.
                crossed = {Card.YELLOW: clock.due_at, Card.RED: clock.red_at}.get(card, now)
                self._event(
                    "card_changed",
                    self._system(),
                    "A22",
                    [f"unit:{s.lead_unit}", "hotline"] if card != Card.GREEN else [],
                    stamped_at=crossed,
                    clock=clock.name,
                    before=before,
                    after=card,
                    due_at=clock.due_at,
                )

    def _publish(self) -> None:
        """Refresh cards, upsert what changed in the search attributes, and let the projector run."""
        self._refresh_cards()
        s = self._s
        deadline = s.answer_due_at()
        values: dict[str, Any] = {
            sa.STAGE.name: s.stage.value,
            sa.CARD.name: s.card().value,
            sa.LEAD_UNIT.name: s.lead_unit or "",
            sa.CO_UNITS.name: s.co_units,
            sa.DEADLINE.name: deadline,
            sa.CATEGORY.name: s.registration.category.value,
            sa.CHANNEL.name: s.registration.channel.value,
        }
        updates: list[SearchAttributeUpdate[Any]] = []
        for key in sa.ALL:
            value = values[key.name]
            if self._published_attributes.get(key.name, ...) != value:
                updates.append(key.value_unset() if value is None else key.value_set(value))
                self._published_attributes[key.name] = value
        if updates:
            workflow.upsert_search_attributes(updates)
        # Every change records a timeline event; a wake-up that changed nothing projects nothing.
        if len(s.timeline) != self._published_events or updates:
            self._published_events = len(s.timeline)
            s.revision += 1

    async def _project_forever(self) -> None:
        """Project each new revision into the SQL read model (lists come from SQL, not visibility)."""
        projected_seq = 0
        while True:
            await workflow.wait_condition(lambda: self._projected_revision < self._s.revision)
            revision, timeline = self._s.revision, self._s.timeline
            # Only events not yet projected travel: history stays linear in the number of events.
            delta = self._s.model_copy(update={"timeline": [e for e in timeline if e.seq > projected_seq]})
            await self._project(delta)
            self._projected_revision = revision
            projected_seq = max((e.seq for e in delta.timeline), default=projected_seq)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Timeline data travels as JSON: enums to values, datetimes to ISO strings."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, dict | list):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(x) for k, x in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(x) for x in value]
    return value
