"""What an action on a ticket is (`Action`), who may call it, and the request bodies and examples several
actions share. The tables: api/action_catalogue.py (registration to closure) and api/follow_up_actions.py
(joining, callback and redo, consultation, supervision orders, supplementary answers).

No `from __future__ import annotations` here: the body types are built at import and FastAPI reads them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from api.auth import Role
from api.bodies import body_model
from api.preconditions import (
    Prepare,
)
from domain import commands as c

OPERATOR = frozenset({Role.OPERATOR})
# A4 「接收、转交办、督办、考核、回访、归档」: a county's office also receives, dispatches, calls back and files
# the closure of its own county's tickets (the API keeps it to them, api/county.py). Returns, extensions
# and supplements stay with the 12345 management body (A14.1 「经12345热线管理机构审核」, A17, A21).
OFFICES = OPERATOR | {Role.COUNTY_OFFICE}
UNIT = frozenset({Role.UNIT_STAFF})


@dataclass(frozen=True)
class Action:
    update: str  # the TicketWorkflow update
    path: str
    command: type[c.Command]
    body: type[BaseModel]
    roles: frozenset[Role]
    summary: str
    description: str
    example: dict[str, Any]
    # A path parameter that fills a command field ("return_id", "supplement_id").
    item: str | None = None
    # The unit ids the command names: each must be a registered unit.
    units: Callable[[dict[str, Any]], Iterable[str | None]] = lambda _: ()
    # The unit the hotline sends the ticket to, to lead it: a member unit (A6).
    lead: Callable[[dict[str, Any]], str | None] = lambda _: None
    # The action hands the ticket to that unit now, so a confidential one needs cleared staff there (A32);
    # a return only suggests it, and the review that follows checks it (review_of_return).
    hands_over: bool = True
    prepare: Prepare | None = None
    # Former paths, still served for one release and marked deprecated in OpenAPI.
    deprecated_paths: tuple[str, ...] = ()
    # A21: an archived ticket still takes it (its workflow is started again from its state).
    reopens_archive: bool = False


# -- bodies ---------------------------------------------------------------------------------------------
# A29: the version of the knowledge point an answer (A12) or a refusal (A16.6) relied on.
CITED_VERSION = (
    int | None,
    Field(
        None,
        ge=1,
        le=1_000_000,
        description="A29: the version of the knowledge point's text relied on "
        "(`/knowledge-points/{id}/versions`); the current one if omitted. Recorded on the ticket.",
    ),
)
ReviewBody = body_model(c.Review, "ReviewBody")
SupplementReviewBody = body_model(c.ReviewSupplement, "SupplementReviewBody", drop=("supplement_id",))
# A15: the signer by name and title; the API finds them on the unit's register (A5), never the unit.
SignOffBody = body_model(c.SignOff, "SignOffBody", drop=("filed",))
SIGN_OFF = {"name": "王强", "title": "副局长"}
CLOSURE_EXAMPLE = {
    "answers": [
        {"point": "修复新华南路路灯", "answer": "已于 11 月 27 日更换灯具，恢复照明。"},
        {"point": "说明维修时限", "answer": "今后同类故障 48 小时内修复。"},
    ],
    "handled_at": "2026-11-27T16:00:00+08:00",
    "process": "11 月 27 日派维修班组到场，更换损坏灯具及线路。",
    "result": "路灯已恢复照明，已电话告知诉求人。",
    "basis": "《城市道路照明设施管理规定》第十条",
}
