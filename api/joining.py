"""并案 (A10.6): what the records must say before the hotline joins a ticket to an earlier one.

The new ticket's workflow judges its own side (an operator, a new ticket, not joined before, not to itself:
domain/stages/joining.py); the earlier ticket is another workflow, so the API reads its state first: it
exists for this operator, is open (not concluded, ended or itself joined), and is on a compatible matter.
A race with the earlier ticket concluding meanwhile is harmless: a concluded ticket that learns of a joined
one passes its result on at once (workflows/ticket_machinery.py).
"""

from __future__ import annotations

from typing import Any

from api.errors import conflict, invalid
from api.preconditions import Acting
from api.privacy import relation_of
from domain.ticket import TicketState
from domain.vocabulary import OPEN_STAGES, Stage


async def joinable(acting: Acting, data: dict[str, Any]) -> None:
    into = data["into"]
    if into == acting.ticket_no:
        raise invalid("JOIN_TO_ITSELF", "a ticket is joined to another ticket, not to itself", "A10.6")
    earlier = await acting.runtime.ticket_state(into)
    if earlier is None or relation_of(acting.caller, earlier) is None:
        raise invalid("JOIN_TARGET_UNKNOWN", f"no ticket {into} to join to", "A10.6")
    if earlier.stage == Stage.JOINED:
        raise conflict(
            "JOIN_TARGET_JOINED", f"{into} is itself joined to {earlier.joined_to}: join to that one", "A10.6"
        )
    if earlier.stage not in OPEN_STAGES:
        raise conflict(
            "JOIN_TARGET_CONCLUDED",
            f"{into} is {earlier.stage.value}: a ticket is joined only to an open one (a concluded matter "
            "raised again is a repeat, A10.6, or under a termination notice, A18)",
            "A10.6",
        )
    this = await acting.runtime.ticket_state(acting.ticket_no)
    if this is not None:
        incompatible = _incompatible(this, earlier)
        if incompatible:
            raise conflict(
                "JOIN_INCOMPATIBLE_MATTER", f"not the same kind of matter: {incompatible}", "A10.6"
            )


def _incompatible(this: TicketState, earlier: TicketState) -> str:
    """Why one ticket cannot carry the other's requester: another category has other limits and answers
    (A12, A17), an emergency's 2-hour handling (A17.3) another course, and a confidential request (A32)
    travels through its own channel and may not wait on another's."""
    a, b = this.registration, earlier.registration
    if a.category != b.category:
        return f"a {a.category.value} cannot be joined to a {b.category.value}"
    if a.emergency != b.emergency:
        return "an emergency and a matter that is not one are handled on different limits (A17.3)"
    if a.requester.confidential != b.requester.confidential:
        return "a confidential request travels through its own channel (A32)"
    return ""
