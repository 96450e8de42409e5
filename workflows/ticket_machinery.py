"""The machinery under the ticket workflow: the lock every action takes, verdicts re-checked under it, limits
planned before a transition records them, card boundaries slept to, and what each change publishes.

workflows/ticket.py declares the loop and the updates; this base class is how each of them runs. Workflow
code: it runs inside the sandbox, and its helpers issue the same commands in the same order as before the
split (the checked-in histories replay).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain import clocks
    from domain.action_result import ActionResult, Answer
    from domain.commands import Designation
    from domain.deadlines import PlanItem, PlannedDeadline
    from domain.delivery import DeliveryReport, record_report
    from domain.errors import conflict
    from domain.joining import JoinedResult, JoinedTicket, JoinTicket
    from domain.linkage import LinkageReport
    from domain.rulesets import CITY, shared
    from domain.stages import dispatch, ending, intake, joining, linkage, office, rating, returns
    from domain.ticket import ActivityNames, OpeningFacts, TicketInput, TicketState
    from domain.ticket_summary import PublicText, boundary_summary
    from domain.timeline import Step
    from domain.vocabulary import Stage
    from workflows import effects
    from workflows.linkage import TELL_LINE_RESULT, LinkageInput, LinkageWorkflow
    from workflows.patches import (
        CALLBACK_AFTER_FINAL_RATING,
        DESIGNATION_KEEPS_RECEIPT,
        HOTLINE_OWN_CLOCKS,
        JOINED_TICKETS,
        LINKAGE_CHILDREN,
        SLIM_RESULT,
        VERDICT_PATCHES,
    )
    from workflows.verdicts import raise_verdict

C = TypeVar("C")
Check = Callable[[TicketState, C], None]
Change = Callable[[TicketState, C, Step], object]
PlannedChange = Callable[[TicketState, C, Step, Mapping[str, PlannedDeadline]], object]
Plan = Callable[[TicketState, C, datetime], list[PlanItem]]


def ticket_workflow_id(ticket_no: str) -> str:
    return f"ticket-{ticket_no}"


class TicketMachinery:
    def __init__(self, inp: TicketInput) -> None:
        reg = inp.registration
        # Until open_ticket captures the rule set, the city's stands in; validators wait for `_opened`.
        self._s = inp.carried or TicketState(ticket_no=reg.ticket_no, registration=reg, rule_set=CITY)
        self._opened = inp.carried is not None
        self._lock = asyncio.Lock()
        self._wake = False
        self._calendar_changed = False
        self._publisher = effects.Publisher(inp.carried)
        self._designations: set[asyncio.Task[None]] = set()
        self._alarms: set[datetime] = set()
        self._alarm_tasks: set[asyncio.Task[None]] = set()
        self._rang = False
        self._linkage_reports: list[LinkageReport] = []
        self._delivery_reports: list[DeliveryReport] = []
        if inp.carried is not None and inp.reopened_for_supplement:
            # A21: started again from an archived ticket's state. Reopened here, before any update's
            # validator runs, so the unit's application that started it finds the ticket concluded. Only
            # a run started so carries the flag: no earlier history takes this branch.
            ending.reopen_for_supplement(self._s, self._step())
        # 并案 (A10.6): tickets joined to this one, and the result of the one this was joined to.
        self._joined_reports: list[JoinedTicket] = []
        self._joined_results: list[JoinedResult] = []

    # ---------------------------------------------------------------------------- the loop's steps
    async def _open(self, inp: TicketInput) -> None:
        for version, patch in VERDICT_PATCHES.items():
            if workflow.patched(patch):
                self._s.verdicts = version
        self._slim()  # asked at the opening: a ticket opened from now on answers small results
        facts = await effects.run_activity(ActivityNames.OPEN_TICKET, inp.registration, OpeningFacts)
        async with self._lock:
            intake.open_ticket(self._s, facts, self._step())
            if self._s.stage == Stage.REGISTERED and inp.registration.dispatch_to:
                await self._dispatch_at_registration()
            # A23: an emergency is linked to its lines at once (histories before this: an event only).
            lines = list(inp.registration.linkage)
            if lines and self._s.stage != Stage.NOT_ACCEPTED and workflow.patched(LINKAGE_CHILDREN):
                await self._link(lines, inp.registration.registered_by, at_registration=True)
            # Only now may actions run: a unit signing for a ticket registered with dispatch_to must find
            # it dispatched, not see a verdict taken halfway through the opening.
            self._opened = True
            self._publish()

    async def _dispatch_at_registration(self) -> None:
        reg, step = self._s.registration, self._step()
        planned = await self._plan(dispatch.dispatch_plan(self._s, None, step.now))
        assert reg.dispatch_to is not None
        dispatch.receive(
            self._s, step, planned, lead=reg.dispatch_to, co_units=reg.co_units, actor=reg.registered_by
        )

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
        await workflow.sleep(at - workflow.now(), summary=boundary_summary(self._s, at))
        self._alarms.discard(at)
        self._rang = True

    async def _replan_unpassed_deadlines(self) -> None:
        step = self._step()
        items = clocks.replan_plan(self._s, step.now)
        if items:
            clocks.replan(self._s, step, await self._plan(items))

    def _should_continue_as_new(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            and self._s.open_coordination() is None
            and not self._designations
            # Reports signalled since the loop last ran are recorded first: a new run would not have them.
            and not self._linkage_reports
            and not self._delivery_reports
            and not self._joined_reports
            and not self._joined_results
        )

    async def _drain(self) -> None:
        await workflow.wait_condition(
            lambda: (
                workflow.all_handlers_finished() and self._publisher.projected_revision >= self._s.revision
            )
        )

    def _pass_time(self) -> None:
        """A23 what the lines reported; A24 a rating window that ran out; A21 an archive date reached."""
        step = self._step()
        reports, self._linkage_reports = self._linkage_reports, []
        for report in reports:
            linkage.reported(self._s, report, step)
        deliveries, self._delivery_reports = self._delivery_reports, []
        for delivery in deliveries:
            record_report(self._s, delivery, step)  # the timeline shows each delivery's status
            rating.request_delivered(self._s, delivery, step)
        rating.rating_window_passes(self._s, step, self._calls_back_final)
        ending.archive_when_due(self._s, step)
        joined, self._joined_reports = self._joined_reports, []
        for ticket in joined:
            joining.take_joined(self._s, ticket, step)
        results, self._joined_results = self._joined_results, []
        for result in results:
            joining.result_received(self._s, result, step)

    async def _link(self, lines: list[str], actor: Any, *, at_registration: bool) -> None:
        """A23: each line's acknowledgement limit, then one linkage child per line (workflows/linkage.py)."""
        s, step = self._s, self._step()
        linkage.link(
            s,
            lines,
            actor,
            step,
            await self._plan(linkage.link_plan(s, lines, step.now)),
            at_registration=at_registration,
        )
        me = workflow.info()
        for line in lines:
            handover = linkage.handover(s, line, me.workflow_id)
            await workflow.start_child_workflow(
                LinkageWorkflow.run,
                LinkageInput(
                    ticket_workflow_id=me.workflow_id,
                    handover=handover,
                    ack_within_seconds=(s.rule_set.linkage_ack.hours or 0) * 3600,
                ),
                id=handover.linkage_id,
                task_queue=me.task_queue,
                static_summary=PublicText(f"A23 联动 {line} · 工单 {s.ticket_no}"),
            )

    async def _tell_line_when_concluded(self) -> None:
        """A23: a matter a line handed to 12345 is answered back to it once concluded (outside the lock: the
        line's system may be slow, and the ticket keeps taking supplementary answers meanwhile)."""
        result = linkage.result_due(self._s)
        if result is None:
            return
        try:
            await effects.run_activity(TELL_LINE_RESULT, result)
            told = True
        except ActivityError:
            told = False
        async with self._lock:
            linkage.result_told(self._s, result, self._step(), told=told)
            self._publish()

    async def _tell_earlier(self, cmd: JoinTicket) -> None:
        """并案: the earlier ticket learns of this one before this one ends as joined. An earlier ticket whose
        workflow has returned (archived, or ended outside the service) cannot carry it: refused."""
        workflow.patched(JOINED_TICKETS)
        handle = workflow.get_external_workflow_handle(ticket_workflow_id(cmd.into))
        try:
            await handle.signal("ticket_joined", JoinedTicket(ticket_no=self._s.ticket_no))
        except FailureError:
            message = f"{cmd.into} has ended: join to an open ticket"
            raise_verdict(lambda: _refuse(conflict("JOIN_TARGET_ENDED", message, "A10.6")))

    async def _tell_joined_when_concluded(self) -> None:
        """A20 for every requester: once concluded, the result goes to each ticket joined to this one."""
        due = joining.results_due(self._s)
        if not due or not workflow.patched(JOINED_TICKETS):
            return
        result = joining.result_of(self._s, workflow.now())
        for no in due:
            try:
                await workflow.get_external_workflow_handle(ticket_workflow_id(no)).signal(
                    "joined_result", result
                )
            except FailureError:
                workflow.logger.warning("joined ticket %s is gone; its result is not passed on", no)
        async with self._lock:
            joining.results_passed_on(self._s, due, self._step())
            self._publish()

    async def _await_designation(self, handle: workflow.ChildWorkflowHandle[Any, Designation]) -> None:
        designation = await handle
        async with self._lock:
            s, step = self._s, self._step()
            # Asked only for the lead already holding the ticket: asking records the patch in history.
            keeps = designation.lead_unit == s.lead_unit and workflow.patched(DESIGNATION_KEEPS_RECEIPT)
            items = returns.designation_plan(s, step.now, keeps_receipt=keeps)
            planned = await self._plan(items) if items else {}
            returns.designate(s, designation, step, planned, keeps_receipt=keeps)
            self._publish()
            self._wake = True

    # ----------------------------------------------------------------------------------- acting
    @asynccontextmanager
    async def _acting(self, check: Check[C], cmd: C) -> AsyncIterator[int]:
        """Wait until the ticket is open, take the lock, re-check the verdict, then act and publish. Yields
        how many events the timeline held before the action (what `_answer` reports is the rest)."""
        await workflow.wait_condition(lambda: self._opened)
        async with self._lock:
            raise_verdict(lambda: check(self._s, cmd))
            yield len(self._s.timeline)
            await self._start_office_clocks()
            self._publish()
            self._wake = True  # the main loop re-reads the boundaries this action may have moved

    async def _act(self, check: Check[C], cmd: C, change: Change[C]) -> Answer:
        async with self._acting(check, cmd) as before:
            change(self._s, cmd, self._step())
        return self._answer(before)

    async def _act_planned(self, check: Check[C], cmd: C, plan: Plan[C], change: PlannedChange[C]) -> Answer:
        """An action that starts limits: they are planned (an activity) before the transition records it."""
        async with self._acting(check, cmd) as before:
            step = self._step()
            items = plan(self._s, cmd, step.now)
            change(self._s, cmd, step, await self._plan(items) if items else {})
        return self._answer(before)

    def _answer(self, events_before: int) -> Answer:
        """What an update answers once it has published: the small result (SLIM_RESULT) with the events
        recorded since `events_before`, the cards turned and office clocks started with them included; the
        whole state on a history recorded before it. Called right after the lock is let go, with no await
        in between, so no other action's events slip in."""
        if self._slim():
            return ActionResult.of(self._s, events_before)
        return self._s

    @staticmethod
    def _slim() -> bool:
        return workflow.patched(SLIM_RESULT)

    def _validate(self, check: Check[C], cmd: C) -> None:
        if self._opened:
            raise_verdict(lambda: check(self._s, cmd))

    @staticmethod
    def _timed(check: Callable[[TicketState, C, datetime], None]) -> Check[C]:
        """A check that weighs the instant it is asked (windows, dates in the future)."""
        return lambda state, cmd: check(state, cmd, workflow.now())

    @staticmethod
    def _step() -> Step:
        return Step(now=workflow.now(), new_id=lambda: str(workflow.uuid4()))

    @staticmethod
    def _calls_back_final() -> bool:
        return workflow.patched(CALLBACK_AFTER_FINAL_RATING)

    async def _start_office_clocks(self) -> None:
        """The office's own limits start when what they answer arrives (domain/stages/office.py). Asked only
        when one is due: asking records the patch in history."""
        items = office.office_plan(self._s)
        if items and workflow.patched(HOTLINE_OWN_CLOCKS):
            office.start_office_clocks(self._s, await self._plan(items))

    async def _plan(self, items: list[PlanItem]) -> dict[str, PlannedDeadline]:
        return await effects.plan(items, self._s.rule_set.red_after_working_days)

    def _publish(self) -> None:
        """Turn the cards that are due (A22), then publish what changed. The rule set becomes the one every
        ticket under it shares (memory per cached ticket, B3); no command depends on it."""
        self._s.rule_set = shared(self._s.rule_set)
        clocks.refresh_cards(self._s, self._step())
        self._publisher.publish(self._s)


def _refuse(violation: Exception) -> None:
    raise violation
