"""One ticket, one long-running workflow: registration to archive, enforcing A12–A24.

The class is a dispatcher: each update's validator gives the pure verdict of its stage (domain/stages/),
and its handler re-checks it under the lock (the state may have moved while it waited), applies the stage's
transition and publishes (workflows/ticket_machinery.py). Deadlines arrive as absolute instants from the
`plan_deadlines` activity (workflows/effects.py); the loop sleeps until the next card boundary. Patch ids and
when they may go: workflows/patches.py.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.commands import (
        AnswerAtOnce,
        ApplyClosure,
        ApplyExtension,
        ApplyReturn,
        ApplySupplement,
        ContactAttempt,
        DecideRedo,
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
    from domain.delivery import DeliveryReport
    from domain.joining import JoinedResult, JoinedTicket, JoinTicket
    from domain.linkage import LinkageOrder, LinkageReport, new_lines
    from domain.matters import ENDED
    from domain.stages import closure, dispatch, ending, extension, intake, joining, linkage, rating, returns
    from domain.ticket import TicketInput, TicketState
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
    async def run(self, inp: TicketInput) -> TicketState:
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
                self._publish()
            if self._should_continue_as_new():
                await self._drain()
                projector.cancel()
                workflow.continue_as_new(TicketInput(registration=self._s.registration, carried=self._s))
        await self._tell_line_when_concluded()
        await self._tell_joined_when_concluded()
        await self._drain()
        projector.cancel()
        return self._s

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
    async def link_emergency(self, order: LinkageOrder) -> TicketState:
        """A23: the operator or an integrator links an open ticket to more lines."""
        async with self._acting(linkage.check_link, order):
            await self._link(
                new_lines(linkage.linked_lines(self._s), order.lines), order.actor, at_registration=False
            )
        return self._s

    @link_emergency.validator
    def _v_link_emergency(self, order: LinkageOrder) -> None:
        self._validate(linkage.check_link, order)

    @workflow.signal
    def calendar_changed(self) -> None:
        """A year's holidays were loaded: recompute the deadlines not yet passed."""
        self._calendar_changed = True

    # ---------------------------------------------------------------- hotline at registration (A12, A13)
    @workflow.update
    async def not_accept(self, cmd: NotAccept) -> TicketState:
        return await self._act(intake.check_not_accept, cmd, intake.not_accept)

    @not_accept.validator
    def _v_not_accept(self, cmd: NotAccept) -> None:
        self._validate(intake.check_not_accept, cmd)

    @workflow.update
    async def answer_at_once(self, cmd: AnswerAtOnce) -> TicketState:
        return await self._act(intake.check_answer_at_once, cmd, intake.answer_at_once)

    @answer_at_once.validator
    def _v_answer_at_once(self, cmd: AnswerAtOnce) -> None:
        self._validate(intake.check_answer_at_once, cmd)

    @workflow.update
    async def dispatch(self, cmd: Dispatch) -> TicketState:
        return await self._act_planned(
            dispatch.check_dispatch, cmd, dispatch.dispatch_plan, dispatch.dispatch
        )

    @dispatch.validator
    def _v_dispatch(self, cmd: Dispatch) -> None:
        self._validate(dispatch.check_dispatch, cmd)

    # ----------------------------------------------------------------- the unit's first steps (A6, A17.3)
    @workflow.update
    async def sign_for(self, cmd: SignFor) -> TicketState:
        return await self._act(dispatch.check_sign_for, cmd, dispatch.sign_for)

    @sign_for.validator
    def _v_sign_for(self, cmd: SignFor) -> None:
        self._validate(dispatch.check_sign_for, cmd)

    @workflow.update
    async def forward_to_subunit(self, cmd: ForwardToSubunit) -> TicketState:
        return await self._act(dispatch.check_forward, cmd, dispatch.forward_to_subunit)

    @forward_to_subunit.validator
    def _v_forward_to_subunit(self, cmd: ForwardToSubunit) -> None:
        self._validate(dispatch.check_forward, cmd)

    @workflow.update
    async def report_emergency_response(self, cmd: EmergencyResponse) -> TicketState:
        return await self._act(dispatch.check_emergency_response, cmd, dispatch.report_emergency_response)

    @report_emergency_response.validator
    def _v_report_emergency_response(self, cmd: EmergencyResponse) -> None:
        self._validate(dispatch.check_emergency_response, cmd)

    @workflow.update
    async def record_consultation(self, cmd: RecordConsultation) -> TicketState:
        return await self._act(self._timed(dispatch.check_consultation), cmd, dispatch.record_consultation)

    @record_consultation.validator
    def _v_record_consultation(self, cmd: RecordConsultation) -> None:
        self._validate(self._timed(dispatch.check_consultation), cmd)

    # ---------------------------------------------------------------- returns and surveys (A14.1–A14.3)
    @workflow.update
    async def start_survey(self, cmd: SurveyStart) -> TicketState:
        return await self._act_planned(
            returns.check_survey_start, cmd, returns.survey_plan, returns.start_survey
        )

    @start_survey.validator
    def _v_start_survey(self, cmd: SurveyStart) -> None:
        self._validate(returns.check_survey_start, cmd)

    @workflow.update
    async def apply_return(self, cmd: ApplyReturn) -> TicketState:
        return await self._act(returns.check_return, cmd, returns.apply_return)

    @apply_return.validator
    def _v_apply_return(self, cmd: ApplyReturn) -> None:
        self._validate(returns.check_return, cmd)

    @workflow.update
    async def review_return(self, cmd: ReviewReturn) -> TicketState:
        return await self._act_planned(
            returns.check_review_return, cmd, returns.review_return_plan, returns.review_return
        )

    @review_return.validator
    def _v_review_return(self, cmd: ReviewReturn) -> None:
        self._validate(returns.check_review_return, cmd)

    # ----------------------------------------------------------------------------- disputes (A14.5)
    @workflow.update
    async def raise_dispute(self, cmd: RaiseDispute) -> TicketState:
        async with self._acting(returns.check_dispute, cmd):
            s = self._s
            child_id = coordination_workflow_id(workflow.info().workflow_id, len(s.coordinations) + 1)
            returns.raise_dispute(s, cmd, self._step(), child_id)
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
        self._validate(returns.check_dispute, cmd)

    # ----------------------------------------------------------------------------- extension (A17)
    @workflow.update
    async def apply_extension(self, cmd: ApplyExtension) -> TicketState:
        return await self._act(self._timed(extension.check_extension), cmd, extension.apply_extension)

    @apply_extension.validator
    def _v_apply_extension(self, cmd: ApplyExtension) -> None:
        self._validate(self._timed(extension.check_extension), cmd)

    @workflow.update
    async def review_extension(self, cmd: Review) -> TicketState:
        return await self._act_planned(
            extension.check_review_extension, cmd, extension.review_extension_plan, extension.review_extension
        )

    @review_extension.validator
    def _v_review_extension(self, cmd: Review) -> None:
        self._validate(extension.check_review_extension, cmd)

    # ------------------------------------------------------------- contact and closure (A14.4, A18, A20)
    @workflow.update
    async def record_contact(self, cmd: ContactAttempt) -> TicketState:
        return await self._act(self._timed(closure.check_contact), cmd, closure.record_contact)

    @record_contact.validator
    def _v_record_contact(self, cmd: ContactAttempt) -> None:
        self._validate(self._timed(closure.check_contact), cmd)

    @workflow.update
    async def apply_closure(self, cmd: ApplyClosure) -> TicketState:
        return await self._act(self._timed(closure.check_closure), cmd, closure.apply_closure)

    @apply_closure.validator
    def _v_apply_closure(self, cmd: ApplyClosure) -> None:
        self._validate(self._timed(closure.check_closure), cmd)

    @workflow.update
    async def find_not_acceptable(self, cmd: FindNotAcceptable) -> TicketState:
        return await self._act(closure.check_not_acceptable, cmd, closure.find_not_acceptable)

    @find_not_acceptable.validator
    def _v_find_not_acceptable(self, cmd: FindNotAcceptable) -> None:
        self._validate(closure.check_not_acceptable, cmd)

    @workflow.update
    async def review_closure(self, cmd: Review) -> TicketState:
        return await self._act(closure.check_review_closure, cmd, closure.review_closure)

    @review_closure.validator
    def _v_review_closure(self, cmd: Review) -> None:
        self._validate(closure.check_review_closure, cmd)

    @workflow.update
    async def file_termination_notice(self, cmd: FileTerminationNotice) -> TicketState:
        return await self._act(ending.check_termination, cmd, ending.file_termination_notice)

    @file_termination_notice.validator
    def _v_file_termination_notice(self, cmd: FileTerminationNotice) -> None:
        self._validate(ending.check_termination, cmd)

    # --------------------------------------------------------------- rating, callback, redo (A24)
    @workflow.update
    async def rate(self, cmd: Rate) -> TicketState:
        return await self._act(
            self._timed(rating.check_rate),
            cmd,
            lambda s, c, step: rating.rate(s, c, step, self._calls_back_final),
        )

    @rate.validator
    def _v_rate(self, cmd: Rate) -> None:
        self._validate(self._timed(rating.check_rate), cmd)

    @workflow.update
    async def record_callback(self, cmd: RecordCallback) -> TicketState:
        return await self._act(rating.check_callback, cmd, rating.record_callback)

    @record_callback.validator
    def _v_record_callback(self, cmd: RecordCallback) -> None:
        self._validate(rating.check_callback, cmd)

    @workflow.update
    async def decide_redo(self, cmd: DecideRedo) -> TicketState:
        return await self._act_planned(rating.check_redo, cmd, rating.redo_plan, rating.decide_redo)

    @decide_redo.validator
    def _v_decide_redo(self, cmd: DecideRedo) -> None:
        self._validate(rating.check_redo, cmd)

    # -------------------------------------------------------------- supplementary answers (A21)
    @workflow.update
    async def apply_supplement(self, cmd: ApplySupplement) -> TicketState:
        return await self._act(ending.check_apply_supplement, cmd, ending.apply_supplement)

    @apply_supplement.validator
    def _v_apply_supplement(self, cmd: ApplySupplement) -> None:
        self._validate(ending.check_apply_supplement, cmd)

    @workflow.update
    async def review_supplement_permission(self, cmd: ReviewSupplement) -> TicketState:
        return await self._act(
            ending.check_review_supplement_permission, cmd, ending.review_supplement_permission
        )

    @review_supplement_permission.validator
    def _v_review_supplement_permission(self, cmd: ReviewSupplement) -> None:
        self._validate(ending.check_review_supplement_permission, cmd)

    @workflow.update
    async def submit_supplement(self, cmd: SubmitSupplement) -> TicketState:
        return await self._act(ending.check_submit_supplement, cmd, ending.submit_supplement)

    @submit_supplement.validator
    def _v_submit_supplement(self, cmd: SubmitSupplement) -> None:
        self._validate(ending.check_submit_supplement, cmd)

    @workflow.update
    async def review_supplement_content(self, cmd: ReviewSupplement) -> TicketState:
        return await self._act(ending.check_review_supplement_content, cmd, ending.review_supplement_content)

    @review_supplement_content.validator
    def _v_review_supplement_content(self, cmd: ReviewSupplement) -> None:
        self._validate(ending.check_review_supplement_content, cmd)

    # ------------------------------------------------------------------------------- 并案 (A10.6)
    @workflow.update
    async def join(self, cmd: JoinTicket) -> TicketState:
        """The hotline joins this ticket to an open one on the same matter: the earlier ticket learns of
        it, then this one ends as joined and waits, without a timer, for the earlier one's result."""
        async with self._acting(joining.check_join, cmd):
            await self._tell_earlier(cmd)
            joining.join(self._s, cmd, self._step())
        return self._s

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
