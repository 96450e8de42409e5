"""What an action on a ticket answers: not the whole ticket, only what the action did to it.

Every update's result is recorded in the ticket's history, once per action. The whole TicketState there made
the history grow with the square of the number of actions (each result repeats the timeline so far);
this small result keeps it linear (workflows/patches.py SLIM_RESULT). The API answers with the ticket's
view read after the action (api/action_view.py), which holds everything the result leaves out.
"""

from __future__ import annotations

from pydantic import BaseModel

from domain.ticket import TicketState
from domain.vocabulary import Outcome, Stage


class ActionResult(BaseModel):
    """The ticket after an action: its revision (the read model holds this revision or a later one once
    the action is answered), its stage and outcome, and the timeline events the action recorded."""

    ticket_no: str
    revision: int
    stage: Stage
    outcome: Outcome | None = None
    # The ids of the events recorded since the action took the lock, in order (TimelineEvent.id).
    new_events: list[str]

    @classmethod
    def of(cls, state: TicketState, events_before: int) -> ActionResult:
        return cls(
            ticket_no=state.ticket_no,
            revision=state.revision,
            stage=state.stage,
            outcome=state.outcome,
            new_events=[e.id for e in state.timeline[events_before:]],
        )


# What an update answers: a ticket whose history was recorded before SLIM_RESULT keeps answering the whole
# state (replayed, or still running on its old branch); one opened since answers the small result.
Answer = TicketState | ActionResult
