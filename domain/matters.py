"""What a matter is, once it has ended or while it is under way: shared by the workflow, the API and the
read model, so each reads these rules from one place."""

from __future__ import annotations

from collections.abc import Iterable

from domain.commands import FileTerminationNotice, Registration
from domain.vocabulary import Outcome, Stage, SupplementStatus

# A ticket in one of these stages takes no more actions and its workflow has returned (A13 not accepted;
# A21 archived after the supplementary-answer window).
ENDED = frozenset({Stage.NOT_ACCEPTED, Stage.ARCHIVED})
# 并案 (A10.6): a joined ticket takes no more actions either, though its workflow waits to pass on the
# result of the ticket it was joined to (domain/stages/joining.py).
TAKES_NO_ACTIONS = ENDED | {Stage.JOINED}

# A18 「已依法办理完毕」: the earlier matter was handled to its end, not merely registered or refused.
CONCLUDED_MATTER = frozenset({Outcome.CLOSED, Outcome.ANSWERED_AT_ONCE, Outcome.TERMINATED})

# A21: a supplementary answer is under way from the application until the hotline has reviewed its content.
SUPPLEMENT_UNDER_WAY = frozenset(
    {SupplementStatus.REQUESTED, SupplementStatus.PERMITTED, SupplementStatus.SUBMITTED}
)


def prior_ticket_no(registration: Registration, cited: str | None = None) -> str | None:
    """A18: the earlier ticket a termination notice concerns: the one the notice cites, else the one the
    operator named at registration as the matter this repeats (A10.6)."""
    return cited or registration.repeat_of


def notice_prior_ticket_no(registration: Registration, notice: FileTerminationNotice) -> str | None:
    return prior_ticket_no(registration, notice.prior_ticket_no)


def supplement_under_way(statuses: Iterable[SupplementStatus]) -> bool:
    """A21: one supplementary answer at a time; an archive waits for the one under way."""
    return any(status in SUPPLEMENT_UNDER_WAY for status in statuses)
