"""Issue 17 (SLIM_RESULT): an update answers what the action did, not the whole ticket.

The answer is recorded in the ticket's history once per action; the whole state there made the history grow
with the square of the actions. The API reads the ticket after the answer (api/temporal.py state_after).
"""

from __future__ import annotations

from domain.action_result import ActionResult
from domain.commands import ApplyExtension, SignFor
from domain.vocabulary import Stage
from tests.driver import Hotline, unit
from workflows.ticket import TicketWorkflow


async def test_an_action_answers_its_revision_stage_and_the_events_it_recorded(hotline: Hotline) -> None:
    h = await hotline.register()
    before = await hotline.state(h)
    answer = await h.execute_update(TicketWorkflow.sign_for, SignFor(actor=unit("U1")), id="sign-1")
    assert isinstance(answer, ActionResult)
    after = await hotline.state(h)
    recorded = [e for e in after.timeline if e.seq > before.timeline[-1].seq]
    assert (answer.ticket_no, answer.stage, answer.outcome) == (before.ticket_no, Stage.HANDLING, None)
    assert answer.revision == after.revision > before.revision
    assert answer.new_events == [e.id for e in recorded] and [e.kind for e in recorded][:1] == ["signed_for"]
    # Far smaller than the state it stands for, which each answer carried before.
    assert len(answer.model_dump_json()) * 10 < len(after.model_dump_json())


async def test_a_retried_update_answers_its_first_outcome(hotline: Hotline) -> None:
    """The same update id: Temporal answers the first outcome again, nothing is applied twice."""
    h = await hotline.register()
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    apply = ApplyExtension(actor=unit("U1"), reason="Parts must be ordered", requester_told=True)
    first = await h.execute_update(TicketWorkflow.apply_extension, apply, id="extension-1")
    again = await h.execute_update(TicketWorkflow.apply_extension, apply, id="extension-1")
    assert again == first and first.stage == Stage.EXTENSION_REVIEW
    assert len((await hotline.state(h)).extensions) == 1
