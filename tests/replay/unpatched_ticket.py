"""TicketWorkflow as a careless change would leave it, for the test that proves replay can fail.

A module of its own: the workflow sandbox re-imports the module that defines a workflow, and a test
module's filesystem look-ups are not allowed there.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.ticket import ActivityNames, OpeningFacts, TicketInput, TicketState


@workflow.defn(name="TicketWorkflow")
class TicketWorkflowWithAnUnpatchedStep:
    """A new timer before the ticket opens, without `workflow.patched()`. Registered under the real
    name, so the Replayer feeds it the real TicketWorkflow histories."""

    @workflow.run
    async def run(self, inp: TicketInput) -> TicketState:
        await workflow.sleep(timedelta(seconds=1))
        await workflow.execute_activity(
            ActivityNames.OPEN_TICKET,
            inp.registration,
            result_type=OpeningFacts,
            start_to_close_timeout=timedelta(seconds=30),
        )
        raise AssertionError("never reached: the replay diverges at the first workflow task")
