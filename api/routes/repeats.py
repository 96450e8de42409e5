"""A10.6 while the caller is on the line: `POST /registrations/repeat-candidates`, the earlier tickets a
request may repeat (or be joined to, 并案), before or after it is registered. Operators only: the list names
other requesters' tickets (masked, A32)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import Field

from api.bodies import body_model
from api.deps import NowDep, OperatorDep, RuntimeDep
from api.edge import written_phone
from api.errors import responses
from api.repeats import Asked, RepeatCandidate, repeat_candidates
from api.views import View
from domain.commands import TICKET_NO_PATTERN, Command, ShortText, Text

router = APIRouter(prefix="/registrations", tags=["tickets"])


class RepeatQuery(Command):
    """What the operator has heard so far."""

    content: Text = Field(..., min_length=1, examples=["新华南路88号门口的路灯一个礼拜都不亮了"])
    location: ShortText = Field("", examples=["武江区新华南路88号"])
    requester_phone: ShortText = Field("", examples=["13800000000"])
    # The ticket being registered, once it has a number: left out of its own candidates.
    ticket_no: Annotated[str, Field(pattern=TICKET_NO_PATTERN)] | None = None


RepeatQueryBody = body_model(RepeatQuery, "RepeatQueryBody")
EXAMPLES = {
    "lamp": {
        "summary": "A caller on a street lamp",
        "value": {
            "content": "新华南路88号门口的路灯一个礼拜都不亮了，晚上黑乎乎的",
            "location": "武江区新华南路88号",
            "requester_phone": "13800000000",
        },
    }
}


class RepeatCandidates(View):
    threshold: float = Field(description="A candidate at or above it, at the same place, is a likely repeat.")
    items: list[RepeatCandidate]


@router.post(
    "/repeat-candidates",
    response_model=RepeatCandidates,
    responses=responses(401, 403, 422, 503),
    summary="Likely repeats of a request (operator)",
    description=(
        "A10.6/A18: the same requester's tickets (the phone in one spelling) and tickets at the same place, "
        "open or concluded within the configured days, ranked by how alike their matter is (segmented TF-IDF "
        "cosine, the place's words taken out), each with its score, stage and why it is offered "
        "(`same_requester`, `same_place`). The requester of a candidate is masked (A32); a confidential "
        "requester's ticket is listed only for operators with clearance. A likely repeat that is still open "
        "can take this ticket (`POST /tickets/{no}/join`, 并案)."
    ),
)
async def find_repeat_candidates(
    body: Annotated[RepeatQueryBody, Body(openapi_examples=EXAMPLES)],  # type: ignore[valid-type]
    caller: OperatorDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> RepeatCandidates:
    query = RepeatQuery.model_validate(dict(body))
    phone = written_phone(query.requester_phone, "requester_phone") if query.requester_phone else ""
    asked = Asked(content=query.content, location=query.location, phone=phone, exclude=query.ticket_no)
    async with runtime.session_maker() as session:
        items = await repeat_candidates(session, caller, asked, runtime.settings, now)
    return RepeatCandidates(threshold=runtime.settings.repeat_threshold, items=items)
