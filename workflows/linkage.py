"""A23: one emergency line's linkage for one ticket, as a child of the ticket's workflow, so Temporal UI shows
each hand-over beside the ticket: hand the matter to the line's system (retried), wait for the line's
acknowledgement, alert the hotline's duty officer if none comes in time, and tell the ticket each step."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.linkage import HandedOver, Handover, LineAck, LinkageReport, LinkageStatus
    from domain.ticket_summary import PublicText

HAND_OVER = "hand_over_to_line"
TELL_LINE_RESULT = "tell_line_result"
# Retried with backoff while the line's system is away; past the acknowledgement limit it is unreachable.
HAND_OVER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(seconds=30))
# After the duty officer was alerted, a late acknowledgement is still recorded for this long.
LATE_ACK_WINDOW = timedelta(hours=24)


class LinkageInput(BaseModel):
    ticket_workflow_id: str
    handover: Handover
    ack_within_seconds: float


class LinkageState(BaseModel):
    line: str
    reference: str = ""
    acknowledged: LineAck | None = None
    escalated: bool = False
    unreachable: bool = False


@workflow.defn
class LinkageWorkflow:
    @workflow.init
    def __init__(self, inp: LinkageInput) -> None:
        self._s = LinkageState(line=inp.handover.line)
        self._parent = workflow.get_external_workflow_handle(inp.ticket_workflow_id)

    @workflow.run
    async def run(self, inp: LinkageInput) -> LinkageState:
        limit = timedelta(seconds=inp.ack_within_seconds)
        started = workflow.now()
        try:
            handed: HandedOver = await workflow.execute_activity(
                HAND_OVER,
                inp.handover,
                result_type=HandedOver,
                start_to_close_timeout=timedelta(seconds=10),
                schedule_to_close_timeout=limit,
                retry_policy=HAND_OVER_RETRY,
                summary=PublicText(f"A23 移交 {inp.handover.line}（{inp.handover.ticket_no}）"),
            )
        except ActivityError as err:
            self._s.unreachable = True
            await self._tell(LinkageStatus.UNREACHABLE, detail=str(err.cause or err))
            return self._s
        self._s.reference = handed.reference
        await self._tell(LinkageStatus.HANDED_OVER, reference=handed.reference)
        if not await self._acknowledged_within(limit - (workflow.now() - started)):
            # A23: no acknowledgement within the rule-set time: the duty officer is alerted.
            self._s.escalated = True
            await self._tell(LinkageStatus.ESCALATED, detail=f"no acknowledgement within {limit}")
            await self._acknowledged_within(LATE_ACK_WINDOW)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._s

    async def _acknowledged_within(self, wait: timedelta) -> bool:
        try:
            await workflow.wait_condition(
                lambda: self._s.acknowledged is not None,
                timeout=max(wait, timedelta(seconds=1)),
                timeout_summary=PublicText(f"A23 等待 {self._s.line} 确认接收"),
            )
            return True
        except TimeoutError:
            return False

    @workflow.query
    def state(self) -> LinkageState:
        return self._s

    @workflow.update
    async def acknowledge(self, ack: LineAck) -> LinkageState:
        """Idempotent: a second acknowledgement returns the first."""
        if self._s.acknowledged is None:
            self._s.acknowledged = ack
            await self._tell(LinkageStatus.ACKNOWLEDGED, reference=ack.reference, by=ack.by)
        return self._s

    @acknowledge.validator
    def _validate_acknowledge(self, ack: LineAck) -> None:
        if ack.line != self._s.line:
            # A line's credential is bound to its line (the API checks too): 110 cannot acknowledge 119's.
            raise ApplicationError(
                "this hand-over is another line's", type="LINE_MISMATCH", non_retryable=True
            )

    async def _tell(self, status: LinkageStatus, **fields: str) -> None:
        report = LinkageReport(line=self._s.line, status=status, at=workflow.now(), **fields)
        await self._parent.signal("linkage_reported", report)
