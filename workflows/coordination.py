"""A14.5: when units dispute a ticket the hotline convenes them and designates the lead.

A child of the ticket's workflow, so Temporal UI shows the escalation beside the ticket; the ticket
waits for the designation this workflow returns.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.commands import Designation, RaiseDispute
    from domain.stages.returns import check_designation
    from workflows.verdicts import raise_verdict


class CoordinationInput(BaseModel):
    ticket_no: str
    dispute: RaiseDispute
    current_lead: str | None = None


class CoordinationState(BaseModel):
    ticket_no: str
    dispute: RaiseDispute
    current_lead: str | None = None
    opened_at: datetime
    designation: Designation | None = None
    designated_at: datetime | None = None
    notes: list[str] = Field(default_factory=list)


def coordination_workflow_id(ticket_workflow_id: str, n: int) -> str:
    return f"{ticket_workflow_id}-coordination-{n}"


@workflow.defn
class CoordinationWorkflow:
    @workflow.init
    def __init__(self, inp: CoordinationInput) -> None:
        self._state = CoordinationState(
            ticket_no=inp.ticket_no,
            dispute=inp.dispute,
            current_lead=inp.current_lead,
            opened_at=workflow.now(),
        )

    @workflow.run
    async def run(self, inp: CoordinationInput) -> Designation:
        await workflow.wait_condition(lambda: self._state.designation is not None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._state.designation is not None
        return self._state.designation

    @workflow.query
    def state(self) -> CoordinationState:
        return self._state

    @workflow.update
    def designate(self, cmd: Designation) -> CoordinationState:
        self._check(cmd)
        self._state.designation = cmd
        self._state.designated_at = workflow.now()
        return self._state

    @designate.validator
    def _validate_designate(self, cmd: Designation) -> None:
        self._check(cmd)

    def _check(self, cmd: Designation) -> None:
        raise_verdict(lambda: check_designation(self._state.designation, cmd))
