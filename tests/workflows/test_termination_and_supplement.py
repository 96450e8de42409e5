"""A18 termination notices and A21 supplementary answers and archiving, on the time-skipping server."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from db.models import TerminatedMatterRow, TicketRow
from domain.commands import (
    ApplySupplement,
    FileTerminationNotice,
    Rate,
    Review,
    ReviewSupplement,
    SignFor,
    SubmitSupplement,
)
from domain.ticket import TicketState
from domain.vocabulary import Category, NotAcceptedReason, Outcome, Stage, SupplementStatus
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import WAKE_UP, events, projected, register, verdict
from workflows.ticket import TicketWorkflow

U1 = unit("U1")
PRIOR = "T-PRIOR-0001"


async def concluded_ticket(hotline: Hotline) -> tuple[WorkflowHandle[Any, Any], TicketState]:
    """Closed (A20) and rated satisfied (A24): concluded, open for supplementary answers (A21)."""
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    s = await hotline.inform_requester(h)
    await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    s = await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["satisfied"]))
    assert (s.stage, s.outcome) == (Stage.CONCLUDED, Outcome.CLOSED)
    return h, s


def application(reason: str) -> ApplySupplement:
    return ApplySupplement(actor=U1, reason=reason)


def notice(served_at: datetime, prior_ticket_no: str | None = PRIOR) -> FileTerminationNotice:
    return FileTerminationNotice(
        actor=U1, notice_ref="doc://termination/17", prior_ticket_no=prior_ticket_no, served_at=served_at
    )


# -- A18 termination notice -----------------------------------------------------------------------------
async def test_a18_termination_notice_needs_a_prior_ticket(hotline: Hotline) -> None:
    """A18: a termination notice concerns a matter already concluded: the earlier ticket is named."""
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    err = await hotline.refused(h, TicketWorkflow.file_termination_notice, notice(await hotline.now(), None))
    assert verdict(err, kind=True) == ("PRIOR_TICKET_REQUIRED", "A18", "invalid")
    assert (await hotline.state(h)).stage == Stage.HANDLING


async def test_a18_termination_notice_is_filed_with_12345_reviewed_then_screens_out_the_matter(
    hotline: Hotline,
) -> None:
    """A18 「在12345热线备案」: the unit files the written notice with 12345, which reviews it like a closure
    (the answer limit is met meanwhile); approved -> terminated and concluded, the requester told; afterwards
    12345 no longer accepts the matter (A10.6/A18); A21: a terminated ticket takes no supplementary answer."""
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    served = await hotline.now()
    s = await hotline.act(h, TicketWorkflow.file_termination_notice, notice(served))
    assert (s.stage, s.outcome, s.termination) == (Stage.CLOSURE_REVIEW, None, None)
    assert s.clocks["answer"].met_at is not None
    [applied] = events(s, "termination_applied")
    assert (applied.rule, applied.notify, applied.data["prior_ticket_no"]) == ("A18", ["hotline"], PRIOR)
    assert not events(s, "termination_notice_filed")

    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert (s.stage, s.outcome) == (Stage.CONCLUDED, Outcome.TERMINATED)
    assert s.termination is not None and s.termination.notice_ref == "doc://termination/17"
    [confirmed] = events(s, "termination_confirmed")
    assert set(confirmed.notify) == {"unit:U1", "requester"} and confirmed.data["prior_ticket_no"] == PRIOR
    assert [e.kind for e in s.timeline][-2:] == ["termination_confirmed", "concluded"]

    register_row = await projected(hotline, TerminatedMatterRow, s.ticket_no)
    assert (register_row.prior_ticket_no, register_row.notice_ref) == (PRIOR, "doc://termination/17")
    again = await register(hotline, Category.COMPLAINT, repeat_of=PRIOR)
    later = await hotline.until(again, lambda s: s.stage == Stage.NOT_ACCEPTED)
    assert later.not_accepted_reason == NotAcceptedReason.TERMINATED_MATTER
    refused = events(later, "not_accepted")
    assert len(refused) == 1 and refused[0].rule == "A18" and refused[0].notify == ["requester"]

    err = await hotline.refused(h, TicketWorkflow.apply_supplement, application("New facts"))
    assert verdict(err) == ("NOT_CLOSED", "A21")


async def test_a18_a_termination_the_hotline_refuses_goes_back_to_be_handled(hotline: Hotline) -> None:
    """A18: the hotline finds new facts or another matter: the unit handles the ticket, its answer limit
    reopened and still counting from the first receipt; nothing is filed in the terminated register."""
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    first = (await hotline.state(h)).clocks["answer"].due_at
    await hotline.act(h, TicketWorkflow.file_termination_notice, notice(await hotline.now()))
    unreasoned = await hotline.refused(
        h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=False)
    )
    assert verdict(unreasoned) == ("REASON_REQUIRED", "A20")
    s = await hotline.act(
        h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=False, reason="诉求人提出了新的理由")
    )
    assert (s.stage, s.outcome, s.termination) == (Stage.HANDLING, None, None)
    assert s.clocks["answer"].met_at is None and s.clocks["answer"].due_at == first
    [refused] = events(s, "termination_refused")
    assert (refused.rule, refused.notify) == ("A18", ["unit:U1"])
    row = await projected(hotline, TicketRow, s.ticket_no, until=lambda r: r.revision >= s.revision)
    assert (row.stage, row.outcome) == (Stage.HANDLING.value, None)
    async with hotline.session_maker() as session:
        assert await session.get(TerminatedMatterRow, s.ticket_no) is None


async def test_a18_registration_naming_the_earlier_ticket_is_enough(hotline: Hotline) -> None:
    """A18/A10.6: the operator registered it as a repeat of an earlier ticket; the notice needs no more."""
    h = await register(hotline, Category.COMPLAINT, repeat_of=PRIOR)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    s = await hotline.act(h, TicketWorkflow.file_termination_notice, notice(await hotline.now(), None))
    assert events(s, "termination_applied")[0].data["prior_ticket_no"] == PRIOR
    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert s.outcome == Outcome.TERMINATED
    assert events(s, "termination_confirmed")[0].data["prior_ticket_no"] == PRIOR


# -- A21 supplementary answers ------------------------------------------------------------------------------
async def test_a21_supplement_permitted_written_reviewed_and_published(hotline: Hotline) -> None:
    """A21: new progress after closure: apply -> the hotline permits -> the unit writes -> the hotline
    reviews -> published to the requester."""
    h, _ = await concluded_ticket(hotline)
    s = await hotline.act(h, TicketWorkflow.apply_supplement, application("Lamp replaced"))
    supplement = s.supplements[0]
    assert (supplement.id, supplement.status, supplement.unit) == ("S1", SupplementStatus.REQUESTED, "U1")
    applied = events(s, "supplement_applied")
    assert len(applied) == 1 and (applied[0].rule, applied[0].notify) == ("A21", ["hotline"])

    early = await hotline.refused(
        h,
        TicketWorkflow.submit_supplement,
        SubmitSupplement(actor=U1, supplement_id="S1", content="New lamp on 3 Dec"),
    )
    assert verdict(early) == ("NO_SUCH_SUPPLEMENT", "A21")
    busy = await hotline.refused(h, TicketWorkflow.apply_supplement, application("More"))
    assert verdict(busy) == ("SUPPLEMENT_UNDER_WAY", "A21")

    s = await hotline.act(
        h,
        TicketWorkflow.review_supplement_permission,
        ReviewSupplement(actor=OPERATOR, supplement_id="S1", approve=True),
    )
    assert s.supplements[0].status == SupplementStatus.PERMITTED
    granted = events(s, "supplement_permission_granted")
    assert len(granted) == 1 and (granted[0].rule, granted[0].notify) == ("A21", ["unit:U1"])
    busy = await hotline.refused(h, TicketWorkflow.apply_supplement, application("More"))
    assert busy.type == "SUPPLEMENT_UNDER_WAY"

    s = await hotline.act(
        h,
        TicketWorkflow.submit_supplement,
        SubmitSupplement(actor=U1, supplement_id="S1", content="New lamp on 3 Dec"),
    )
    assert s.supplements[0].status == SupplementStatus.SUBMITTED and s.supplements[0].published_at is None
    s = await hotline.act(
        h,
        TicketWorkflow.review_supplement_content,
        ReviewSupplement(actor=OPERATOR, supplement_id="S1", approve=True),
    )
    published = s.supplements[0]
    assert published.status == SupplementStatus.PUBLISHED and published.content == "New lamp on 3 Dec"
    event = events(s, "supplement_published")
    assert len(event) == 1 and event[0].rule == "A21" and set(event[0].notify) == {"requester", "unit:U1"}
    assert published.published_at == event[0].at and event[0].data["content"] == "New lamp on 3 Dec"
    assert s.stage == Stage.CONCLUDED  # a supplement does not reopen the ticket


async def test_a21_supplement_permission_refused(hotline: Hotline) -> None:
    """A21: the hotline may refuse permission; nothing can then be written for it, and a new application
    may follow."""
    h, _ = await concluded_ticket(hotline)
    await hotline.act(h, TicketWorkflow.apply_supplement, application("Lamp replaced"))
    silent = await hotline.refused(
        h,
        TicketWorkflow.review_supplement_permission,
        ReviewSupplement(actor=OPERATOR, supplement_id="S1", approve=False),
    )
    assert verdict(silent) == ("REASON_REQUIRED", "A21")  # a refusal says why (verdicts 2)
    s = await hotline.act(
        h,
        TicketWorkflow.review_supplement_permission,
        ReviewSupplement(actor=OPERATOR, supplement_id="S1", approve=False, reason="Nothing new"),
    )
    assert (s.supplements[0].status, s.supplements[0].review_note) == (
        SupplementStatus.PERMISSION_REFUSED,
        "Nothing new",
    )
    refused = events(s, "supplement_permission_refused")
    assert len(refused) == 1 and (refused[0].rule, refused[0].notify) == ("A21", ["unit:U1"])
    err = await hotline.refused(
        h, TicketWorkflow.submit_supplement, SubmitSupplement(actor=U1, supplement_id="S1", content="text")
    )
    assert verdict(err) == ("NO_SUCH_SUPPLEMENT", "A21")
    s = await hotline.act(h, TicketWorkflow.apply_supplement, application("Pole repainted"))
    assert [x.id for x in s.supplements] == ["S1", "S2"]


async def test_a21_a_supplement_needs_a_closure_first(hotline: Hotline) -> None:
    """A21: a supplementary answer follows closure."""
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    err = await hotline.refused(h, TicketWorkflow.apply_supplement, application("Progress"))
    assert verdict(err) == ("STAGE_FORBIDS_ACTION", "A21")


# -- A21 archive --------------------------------------------------------------------------------------------
async def test_a21_concluded_ticket_is_archived_after_the_supplement_window(hotline: Hotline) -> None:
    """A21: the ticket stays open for supplementary answers for the rule set's window (90 days), then is
    archived and its workflow ends."""
    h, s = await concluded_ticket(hotline)
    assert s.rule_set.supplement_window_days == 90 and s.concluded_at is not None
    archive_at = s.concluded_at + timedelta(days=90)
    assert s.archive_at == archive_at

    await hotline.sleep_until(archive_at - timedelta(minutes=1))
    assert (await hotline.state(h)).stage == Stage.CONCLUDED
    await hotline.sleep_until(archive_at + timedelta(minutes=1))
    final = await hotline.final(h)
    assert final.stage == Stage.ARCHIVED
    archived = events(final, "archived")
    assert len(archived) == 1 and archived[0].rule == "A21"
    assert archive_at <= archived[0].at < archive_at + WAKE_UP
    row = await projected(hotline, TicketRow, final.ticket_no)
    assert row.stage == "archived"


async def test_a21_no_archive_while_a_supplement_is_under_way(hotline: Hotline) -> None:
    """A21: a supplementary answer under way keeps the ticket open past its window; archived once it is
    published."""
    h, s = await concluded_ticket(hotline)
    assert s.concluded_at is not None
    archive_at = s.concluded_at + timedelta(days=90)
    await hotline.sleep_until(archive_at - timedelta(days=1))
    await hotline.act(h, TicketWorkflow.apply_supplement, application("Lamp replaced"))
    await hotline.act(
        h,
        TicketWorkflow.review_supplement_permission,
        ReviewSupplement(actor=OPERATOR, supplement_id="S1", approve=True),
    )

    await hotline.sleep_until(archive_at + timedelta(days=2))
    s = await hotline.state(h)
    assert s.stage == Stage.CONCLUDED and not events(s, "archived")
    await hotline.act(
        h,
        TicketWorkflow.submit_supplement,
        SubmitSupplement(actor=U1, supplement_id="S1", content="New lamp"),
    )
    s = await hotline.act(
        h,
        TicketWorkflow.review_supplement_content,
        ReviewSupplement(actor=OPERATOR, supplement_id="S1", approve=True),
    )
    published_at = s.supplements[0].published_at
    assert published_at is not None
    final = await hotline.final(h)
    assert final.stage == Stage.ARCHIVED and events(final, "archived")[0].at >= published_at
