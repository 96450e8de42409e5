import pytest

from domain.commands import Rate, Review, SignFor
from domain.vocabulary import Channel, Stage
from tests.driver import OPERATOR, Hotline, unit
from workflows.ticket import TicketWorkflow


async def test_complaint_happy_path(hotline: Hotline) -> None:
    h = await hotline.register()
    s = await hotline.state(h)
    assert s.stage == Stage.DISPATCHED
    s = await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    assert s.stage == Stage.HANDLING
    await hotline.inform_requester(h)
    s = await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert s.stage == Stage.CLOSURE_REVIEW
    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert s.stage == Stage.RATING
    s = await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["satisfied"]))
    assert s.stage == Stage.CONCLUDED


@pytest.mark.parametrize("channel", list(Channel))
async def test_a2_a8_every_channel_lands_in_the_same_ticket_flow(hotline: Hotline, channel: Channel) -> None:
    """A2: phone, web, app and mini-program land in one flow; A8: a sub-centre's transferred ticket is handled
    and rated like any other; A17.4/A17.5: platform tickets keep their own rule set."""
    h = await hotline.register(channel=channel)
    s = await hotline.state(h)
    expected_rule_set = {Channel.PROVINCIAL_PLATFORM: "provincial", Channel.NATIONAL_PLATFORM: "national"}
    assert s.rule_set.id == expected_rule_set.get(channel, "city")
    assert (s.stage, s.lead_unit, s.registration.channel) == (Stage.DISPATCHED, "U1", channel)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.inform_requester(h)
    s = await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert s.stage == Stage.RATING and s.ratings[0].round == 1  # A24 applies to sub-centres too (A8)
