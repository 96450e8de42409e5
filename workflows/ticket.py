"""One ticket, one long-running workflow: registration to archive, enforcing A12–A24.

A dispatcher: each update's validator gives the pure verdict of its stage (domain/stages/); its handler
re-checks it under the lock, applies the transition and publishes (workflows/ticket_machinery.py).
Deadlines come as instants from `plan_deadlines` (workflows/effects.py). Patch ids: workflows/patches.py.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import commands as c
    from domain.action_result import Answer
    from domain.delivery import DeliveryReport
    from domain.joining import JoinedResult, JoinedTicket, JoinTicket
    from domain.linkage import LinkageOrder, LinkageReport, new_lines
    from domain.matters import ENDED
    from domain.stages import closure, dispatch, ending, extension, intake, joining, linkage, rating, returns
    from domain.stages import supervision as supervision_orders  # A25 督办; apart, so each line fits
    from domain.ticket import TicketInput, TicketState
    from domain.ticket_summary import PublicText, TimelineView, timeline_view
    from workflows.coordination import CoordinationInput, CoordinationWorkflow, coordination_workflow_id
    from workflows.ticket_machinery import TicketMachinery, ticket_workflow_id

__all__ = ["TicketWorkflow", "ticket_workflow_id"]


@workflow.defn
class TicketWorkflow(TicketMachinery):
    @workflow.init
    def __init__(self, inp: TicketInput) -> None:
        super().__init__(inp)

    # ---------------------------------------------------------------------------------------- run
    @workflow.run
    async def run(self, inp: TicketInput) -> Answer:
        if not self._opened:
            await self._open(inp)
        projector = asyncio.create_task(self._publisher.project_forever(lambda: self._s))
        while self._s.stage not in ENDED and not joining.finished(self._s):
            await self._tell_line_when_concluded()
            await self._tell_joined_when_concluded()
            if self._calendar_changed:
                self._calendar_changed = False
                async with self._lock:
                    await self._replan_unpassed_deadlines()
                    self._publish()
            await self._sleep_until_next_boundary()
            async with self._lock:
                self._pass_time()
                await self._start_office_clocks()  # A24: a request undeliverable is called back
                self._publish()
            if self._should_continue_as_new():
                await self._drain()
                projector.cancel()
                workflow.continue_as_new(TicketInput(registration=self._s.registration, carried=self._s))
        await self._tell_line_when_concluded()
        await self._tell_joined_when_concluded()
        await self._drain()
        projector.cancel()
        return self._answer(len(self._s.timeline))  # the archived state is the `state` query's

    # -------------------------------------------------------------------------------- queries, signals
    @workflow.query
    def state(self) -> TicketState:
        return self._s

    @workflow.query(description="工单办理过程：时间（北京时间）、办理人、事项、依据条款")
    def timeline(self) -> TimelineView:
        """The ticket's own events for the UI's Queries tab, readable without the codec (no identity)."""
        return timeline_view(self._s, self._publisher.names())

    @workflow.update
    async def opened(self) -> TicketState:
        """Returns once the ticket has opened (rule set captured, screened, dispatched if asked): the API
        registers with this, so the response shows the unit and deadlines: the whole state, once (B1)."""
        await workflow.wait_condition(lambda: self._opened)
        return self._s

    @workflow.signal
    def delivery_reported(self, report: DeliveryReport) -> None:
        """A notice's delivery outcome (delivery/): A24 the rating request's receipt starts its window."""
        self._delivery_reports.append(report)
        self._wake = True

    @workflow.signal
    def linkage_reported(self, report: LinkageReport) -> None:
        """A23: a line's linkage child reports; the loop records it under the lock."""
        self._linkage_reports.append(report)
        self._wake = True

    @workflow.update
    async def link_emergency(self, order: LinkageOrder) -> Answer:
        """A23: the operator or an integrator links an open ticket to more lines."""
        async with self._acting(linkage.check_link, order) as before:
            await self._link(
                new_lines(linkage.linked_lines(self._s), order.lines), order.actor, at_registration=False
            )
        return self._answer(before)

    @link_emergency.validator
    def _v_link_emergency(self, order: LinkageOrder) -> None:
        self._validate(linkage.check_link, order)

    @workflow.signal
    def calendar_changed(self) -> None:
        """A year's holidays were loaded: recompute the deadlines not yet passed."""
        self._calendar_changed = True

    # ---------------------------------------------------------------- hotline at registration (A12, A13)
    @workflow.update
    async def not_accept(self, cmd: c.NotAccept) -> Answer:
        return await self._act(intake.check_not_accept, cmd, intake.not_accept)

    @not_accept.validator
    def _v_not_accept(self, cmd: c.NotAccept) -> None:
        self._validate(intake.check_not_accept, cmd)

    @workflow.update
    async def answer_at_once(self, cmd: c.AnswerAtOnce) -> Answer:
        return await self._act(intake.check_answer_at_once, cmd, intake.answer_at_once)

    @answer_at_once.validator
    def _v_answer_at_once(self, cmd: c.AnswerAtOnce) -> None:
        self._validate(intake.check_answer_at_once, cmd)

    @workflow.update
    async def dispatch(self, cmd: c.Dispatch) -> Answer:
        return await self._act_planned(
            dispatch.check_dispatch, cmd, dispatch.dispatch_plan, dispatch.dispatch
        )

    @dispatch.validator
    def _v_dispatch(self, cmd: c.Dispatch) -> None:
        self._validate(dispatch.check_dispatch, cmd)

    # ----------------------------------------------------------------- the unit's first steps (A6, A17.3)
    @workflow.update
    async def sign_for(self, cmd: c.SignFor) -> Answer:
        return await self._act(dispatch.check_sign_for, cmd, dispatch.sign_for)

    @sign_for.validator
    def _v_sign_for(self, cmd: c.SignFor) -> None:
        self._validate(dispatch.check_sign_for, cmd)

    @workflow.update
    async def forward_to_subunit(self, cmd: c.ForwardToSubunit) -> Answer:
        return await self._act(dispatch.check_forward, cmd, dispatch.forward_to_subunit)

    @forward_to_subunit.validator
    def _v_forward_to_subunit(self, cmd: c.ForwardToSubunit) -> None:
        self._validate(dispatch.check_forward, cmd)

    @workflow.update
    async def report_emergency_response(self, cmd: c.EmergencyResponse) -> Answer:
        return await self._act(dispatch.check_emergency_response, cmd, dispatch.report_emergency_response)

    @report_emergency_response.validator
    def _v_report_emergency_response(self, cmd: c.EmergencyResponse) -> None:
        self._validate(dispatch.check_emergency_response, cmd)

    @workflow.update
    async def record_consultation(self, cmd: c.RecordConsultation) -> Answer:
        return await self._act(self._timed(dispatch.check_consultation), cmd, dispatch.record_consultation)

    @record_consultation.validator
    def _v_record_consultation(self, cmd: c.RecordConsultation) -> None:
        self._validate(self._timed(dispatch.check_consultation), cmd)

    # A14/A14.5: a co-unit's assistance. A new update, not a changed branch: no history holds it, so every
    # history replays as recorded; it only records an event, and refuses whoever is not a co-unit.
    @workflow.update
    async def record_assistance(self, cmd: c.RecordAssistance) -> Answer:
        return await self._act(dispatch.check_assistance, cmd, dispatch.record_assistance)

    @record_assistance.validator
    def _v_record_assistance(self, cmd: c.RecordAssistance) -> None:
        self._validate(dispatch.check_assistance, cmd)

    # ---------------------------------------------------------------- returns and surveys (A14.1–A14.3)
    @workflow.update
    async def start_survey(self, cmd: c.SurveyStart) -> Answer:
        return await self._act_planned(
            returns.check_survey_start, cmd, returns.survey_plan, returns.start_survey
        )

    @start_survey.validator
    def _v_start_survey(self, cmd: c.SurveyStart) -> None:
        self._validate(returns.check_survey_start, cmd)

    @workflow.update
    async def apply_return(self, cmd: c.ApplyReturn) -> Answer:
        return await self._act(returns.check_return, cmd, returns.apply_return)

    @apply_return.validator
    def _v_apply_return(self, cmd: c.ApplyReturn) -> None:
        self._validate(returns.check_return, cmd)

    @workflow.update
    async def review_return(self, cmd: c.ReviewReturn) -> Answer:
        return await self._act_planned(
            returns.check_review_return, cmd, returns.review_return_plan, returns.review_return
        )

    @review_return.validator
    def _v_review_return(self, cmd: c.ReviewReturn) -> None:
        self._validate(returns.check_review_return, cmd)

    # ----------------------------------------------------------------------------- disputes (A14.5)
    @workflow.update
    async def raise_dispute(self, cmd: c.RaiseDispute) -> Answer:
        async with self._acting(returns.check_dispute, cmd) as before:
            s = self._s
            child_id = coordination_workflow_id(workflow.info().workflow_id, len(s.coordinations) + 1)
            returns.raise_dispute(s, cmd, self._step(), child_id)
            handle = await workflow.start_child_workflow(
                CoordinationWorkflow.run,
                CoordinationInput(ticket_no=s.ticket_no, dispute=cmd, current_lead=s.lead_unit),
                id=child_id,
                task_queue=workflow.info().task_queue,
                static_summary=PublicText(f"A14.5 争议协调 · 工单 {s.ticket_no} · 原主办 {s.lead_unit}"),
            )
            task = asyncio.create_task(self._await_designation(handle))
            self._designations.add(task)
            task.add_done_callback(self._designations.discard)
        return self._answer(before)

    @raise_dispute.validator
    def _v_raise_dispute(self, cmd: c.RaiseDispute) -> None:
        self._validate(returns.check_dispute, cmd)

    # ----------------------------------------------------------------------------- extension (A17)
    @workflow.update
    async def apply_extension(self, cmd: c.ApplyExtension) -> Answer:
        return await self._act(self._timed(extension.check_extension), cmd, extension.apply_extension)

    @apply_extension.validator
    def _v_apply_extension(self, cmd: c.ApplyExtension) -> None:
        self._validate(self._timed(extension.check_extension), cmd)

    @workflow.update
    async def review_extension(self, cmd: c.Review) -> Answer:
        return await self._act_planned(
            extension.check_review_extension, cmd, extension.review_extension_plan, extension.review_extension
        )

    @review_extension.validator
    def _v_review_extension(self, cmd: c.Review) -> None:
        self._validate(extension.check_review_extension, cmd)

    # ------------------------------------------------------------- contact and closure (A14.4, A18, A20)
    @workflow.update
    async def record_contact(self, cmd: c.ContactAttempt) -> Answer:
        return await self._act(self._timed(closure.check_contact), cmd, closure.record_contact)

    @record_contact.validator
    def _v_record_contact(self, cmd: c.ContactAttempt) -> None:
        self._validate(self._timed(closure.check_contact), cmd)

    @workflow.update
    async def apply_closure(self, cmd: c.ApplyClosure) -> Answer:
        return await self._act(self._timed(closure.check_closure), cmd, closure.apply_closure)

    @apply_closure.validator
    def _v_apply_closure(self, cmd: c.ApplyClosure) -> None:
        self._validate(self._timed(closure.check_closure), cmd)

    @workflow.update
    async def find_not_acceptable(self, cmd: c.FindNotAcceptable) -> Answer:
        return await self._act(closure.check_not_acceptable, cmd, closure.find_not_acceptable)

    @find_not_acceptable.validator
    def _v_find_not_acceptable(self, cmd: c.FindNotAcceptable) -> None:
        self._validate(closure.check_not_acceptable, cmd)

    @workflow.update
    async def review_closure(self, cmd: c.Review) -> Answer:
        return await self._act(closure.check_review_closure, cmd, closure.review_closure)

    @review_closure.validator
    def _v_review_closure(self, cmd: c.Review) -> None:
        self._validate(closure.check_review_closure, cmd)

    @workflow.update
    async def file_termination_notice(self, cmd: c.FileTerminationNotice) -> Answer:
        return await self._act(ending.check_termination, cmd, ending.file_termination_notice)

    @file_termination_notice.validator
    def _v_file_termination_notice(self, cmd: c.FileTerminationNotice) -> None:
        self._validate(ending.check_termination, cmd)

    # --------------------------------------------------------------- rating, callback, redo (A24)
    @workflow.update
    async def rate(self, cmd: c.Rate) -> Answer:
        return await self._act(
            self._timed(rating.check_rate),
            cmd,
            lambda s, c, step: rating.rate(s, c, step, self._calls_back_final),
        )

    @rate.validator
    def _v_rate(self, cmd: c.Rate) -> None:
        self._validate(self._timed(rating.check_rate), cmd)

    @workflow.update
    async def record_callback(self, cmd: c.RecordCallback) -> Answer:
        return await self._act(rating.check_callback, cmd, rating.record_callback)

    @record_callback.validator
    def _v_record_callback(self, cmd: c.RecordCallback) -> None:
        self._validate(rating.check_callback, cmd)

    @workflow.update
    async def decide_redo(self, cmd: c.DecideRedo) -> Answer:
        return await self._act_planned(rating.check_redo, cmd, rating.redo_plan, rating.decide_redo)

    @decide_redo.validator
    def _v_decide_redo(self, cmd: c.DecideRedo) -> None:
        self._validate(rating.check_redo, cmd)

    # -------------------------------------------------------------- supplementary answers (A21)
    @workflow.update
    async def apply_supplement(self, cmd: c.ApplySupplement) -> Answer:
        return await self._act(ending.check_apply_supplement, cmd, ending.apply_supplement)

    @apply_supplement.validator
    def _v_apply_supplement(self, cmd: c.ApplySupplement) -> None:
        self._validate(ending.check_apply_supplement, cmd)

    @workflow.update
    async def review_supplement_permission(self, cmd: c.ReviewSupplement) -> Answer:
        return await self._act(
            ending.check_review_supplement_permission, cmd, ending.review_supplement_permission
        )

    @review_supplement_permission.validator
    def _v_review_supplement_permission(self, cmd: c.ReviewSupplement) -> None:
        self._validate(ending.check_review_supplement_permission, cmd)

    @workflow.update
    async def submit_supplement(self, cmd: c.SubmitSupplement) -> Answer:
        return await self._act(ending.check_submit_supplement, cmd, ending.submit_supplement)

    @submit_supplement.validator
    def _v_submit_supplement(self, cmd: c.SubmitSupplement) -> None:
        self._validate(ending.check_submit_supplement, cmd)

    @workflow.update
    async def review_supplement_content(self, cmd: c.ReviewSupplement) -> Answer:
        return await self._act(ending.check_review_supplement_content, cmd, ending.review_supplement_content)

    @review_supplement_content.validator
    def _v_review_supplement_content(self, cmd: c.ReviewSupplement) -> None:
        self._validate(ending.check_review_supplement_content, cmd)

    # ------------------------------------------------------------- supervision orders (A4, A6, A25)
    @workflow.update
    async def issue_supervision_order(self, cmd: c.IssueSupervisionOrder) -> Answer:
        return await self._act_planned(
            supervision_orders.check_issue, cmd, supervision_orders.order_plan, supervision_orders.issue
        )

    @issue_supervision_order.validator
    def _v_issue_supervision_order(self, cmd: c.IssueSupervisionOrder) -> None:
        self._validate(supervision_orders.check_issue, cmd)

    @workflow.update
    async def answer_supervision_order(self, cmd: c.AnswerSupervisionOrder) -> Answer:
        return await self._act(supervision_orders.check_answer, cmd, supervision_orders.answer)

    @answer_supervision_order.validator
    def _v_answer_supervision_order(self, cmd: c.AnswerSupervisionOrder) -> None:
        self._validate(supervision_orders.check_answer, cmd)

    # ------------------------------------------------------------------------------- 并案 (A10.6)
    @workflow.update
    async def join(self, cmd: JoinTicket) -> Answer:
        """The hotline joins this ticket to an open one on the same matter: the earlier ticket learns of
        it, then this one ends as joined and waits, without a timer, for the earlier one's result."""
        async with self._acting(joining.check_join, cmd) as before:
            await self._tell_earlier(cmd)
            joining.join(self._s, cmd, self._step())
        return self._answer(before)

    @join.validator
    def _v_join(self, cmd: JoinTicket) -> None:
        self._validate(joining.check_join, cmd)

    @workflow.signal
    def ticket_joined(self, joined: JoinedTicket) -> None:
        self._joined_reports.append(joined)
        self._wake = True

    @workflow.signal
    def joined_result(self, result: JoinedResult) -> None:
        self._joined_results.append(result)
        self._wake = True
