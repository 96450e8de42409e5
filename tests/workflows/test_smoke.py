from domain.commands import Rate, Review, SignFor
from domain.vocabulary import Stage
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
