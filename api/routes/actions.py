"""Every action on a ticket: `POST /tickets/{no}/<action>`, one workflow update each.

The table `ACTIONS` says, per action, the update it runs, the command it builds, who may call it and what the
server fills in; one function (`perform`) runs them all, so every action checks the same things in the same
order: the role (403, independent of any ticket), the ticket is one the caller may see (404), the units
named exist (422), the action's own preconditions on the records (its `prepare` hook, api/preconditions.py),
then the workflow's own verdict (409/422/404, api/errors.py).

The request's `Idempotency-Key` becomes the update id, so a retried POST has exactly one effect.

No `from __future__ import annotations` here: the endpoints are built per action and FastAPI must read their
body types at definition time.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, Field
from temporalio.client import WorkflowUpdateFailedError

from api.auth import Caller, Role
from api.deps import IdempotencyKey, RuntimeDep, TicketNoDep, require_role, update_id
from api.errors import responses, verdict_error
from api.idempotency import claim_action_key
from api.preconditions import (
    Acting,
    Prepare,
    answering_point,
    contact_time,
    prior_matter,
    require_units,
    review_of_return,
    subunit,
)
from api.runtime import Runtime
from api.schemas import TicketView, body_model
from api.ticket_access import actionable_ticket, relation_in, ticket_view
from domain.commands import (
    AnswerAtOnce,
    ApplyClosure,
    ApplyExtension,
    ApplyReturn,
    ApplySupplement,
    Command,
    ContactAttempt,
    DecideRedo,
    Dispatch,
    EmergencyResponse,
    FileTerminationNotice,
    FindNotAcceptable,
    ForwardToSubunit,
    NotAccept,
    RaiseDispute,
    RecordCallback,
    RecordConsultation,
    Review,
    ReviewReturn,
    ReviewSupplement,
    SignFor,
    SubmitSupplement,
    SurveyStart,
)
from workflows.ticket import TicketWorkflow

router = APIRouter(prefix="/tickets", tags=["ticket actions"])

OPERATOR = frozenset({Role.OPERATOR})
UNIT = frozenset({Role.UNIT_STAFF})


@dataclass(frozen=True)
class Action:
    update: str  # the TicketWorkflow update
    path: str
    command: type[Command]
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


# -- bodies ---------------------------------------------------------------------------------------------
ReviewBody = body_model(Review, "ReviewBody")
SupplementReviewBody = body_model(ReviewSupplement, "SupplementReviewBody", drop=("supplement_id",))
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

ACTIONS: tuple[Action, ...] = (
    Action(
        "dispatch",
        "/dispatch",
        Dispatch,
        body_model(Dispatch, "DispatchBody"),
        OPERATOR,
        "Dispatch to a lead unit (operator)",
        "A12/A14: sends a registered ticket to its lead unit and co-units; the unit's limits count from now.",
        {"lead_unit": "WJ", "co_units": ["SG-POWER"], "note": "路灯属武江区管养，供电局配合"},
        units=lambda d: d["co_units"],
        lead=lambda d: d["lead_unit"],
    ),
    Action(
        "not_accept",
        "/refuse-at-intake",
        NotAccept,
        body_model(NotAccept, "NotAcceptBody"),
        OPERATOR,
        "Refuse at intake: not accepted (operator)",
        "A10/A13: the hotline does not accept the request at intake (不予受理); the requester is told it is not "
        "accepted and on what basis. A unit that finds a dispatched ticket not acceptable uses "
        "`/find-not-acceptable` (A14.4).",
        {"reason": "A10.3", "basis": "该事项已进入信访程序"},
        deprecated_paths=("/not-accept",),
    ),
    Action(
        "answer_at_once",
        "/answer",
        AnswerAtOnce,
        body_model(AnswerAtOnce, "AnswerAtOnceBody"),
        OPERATOR,
        "Answer a consultation at once (operator)",
        "A12: a consultation answered on the spot from the knowledge base; the requester is asked to rate.",
        {"answer": "社保卡补办请携带身份证到任一社保网点办理。", "knowledge_point_id": "kp-3f9a0c1b2d4e"},
        prepare=answering_point,
    ),
    Action(
        "sign_for",
        "/sign-for",
        SignFor,
        body_model(SignFor, "SignForBody"),
        UNIT,
        "Sign for the ticket (lead unit)",
        "The lead unit (or its forwarded-to sub-unit) signs for it.",
        {},
    ),
    Action(
        "forward_to_subunit",
        "/forward",
        ForwardToSubunit,
        body_model(ForwardToSubunit, "ForwardBody"),
        UNIT,
        "Forward to a sub-unit (lead unit)",
        "A6: a tier-2 lead forwards the ticket to one of its own sub-units, which then acts for it; the "
        "lead stays responsible. A unit that is not below yours is refused (422 `NOT_A_SUBUNIT`).",
        {"sub_unit": "WJ-URBAN", "note": "请区城管执法局办理"},
        prepare=subunit,
    ),
    Action(
        "report_emergency_response",
        "/emergency-response",
        EmergencyResponse,
        body_model(EmergencyResponse, "EmergencyResponseBody"),
        UNIT,
        "Report the emergency handled (lead unit)",
        "A17.3: an emergency is handled (on site, in hand) within 2 hours.",
        {"note": "抢修人员已到场处置"},
    ),
    Action(
        "start_survey",
        "/survey",
        SurveyStart,
        body_model(SurveyStart, "SurveyStartBody"),
        UNIT,
        "Start a site survey (lead unit)",
        "A14.3: a unit unsure whether the matter is its own organises a survey within 1 WD of receipt.",
        {"note": "会同街道现场核查权属"},
    ),
    Action(
        "apply_return",
        "/returns",
        ApplyReturn,
        body_model(ApplyReturn, "ApplyReturnBody"),
        UNIT,
        "Apply to return the ticket (lead unit)",
        "A14.1–A14.3, A15: with reason, basis, suggested unit and the leader's sign-off. Without reason "
        "or basis (A16.2), or after an extension (A16.7), it is refused at once.",
        {
            "kind": "not_our_duty",
            "reason": "该路段路灯线路由供电局维护",
            "basis": "《韶关市城市照明管理办法》第五条",
            "suggested_unit": "SG-POWER",
            "signed_off_by": SIGN_OFF,
        },
        lead=lambda d: d.get("suggested_unit"),  # A6: the unit it should go to, a member unit
        hands_over=False,
    ),
    Action(
        "review_return",
        "/returns/{return_id}/review",
        ReviewReturn,
        body_model(
            ReviewReturn,
            "ReviewReturnBody",
            drop=("return_id", "knowledge_point"),
            add={
                "knowledge_point_id": (
                    str | None,
                    Field(
                        None,
                        min_length=1,
                        max_length=64,
                        description=(
                            "A16.6: the knowledge point the refusal relies on; its upload time (and "
                            "its last correction's, A29) is taken from the knowledge base."
                        ),
                    ),
                )
            },
        ),
        OPERATOR,
        "Review a return (operator)",
        "A14.1/A16: approve (the ticket is re-dispatched and its limits restart) or refuse on an A16 "
        "ground with reasons (the unit keeps it; limits still count from the first receipt).",
        {"approve": True, "redispatch_to": "SG-POWER", "reason": "属供电局维护范围"},
        item="return_id",
        lead=lambda d: d.get("redispatch_to"),
        prepare=review_of_return,
    ),
    Action(
        "raise_dispute",
        "/disputes",
        RaiseDispute,
        body_model(RaiseDispute, "RaiseDisputeBody"),
        OPERATOR | UNIT,
        "Raise a dispute (operator, lead unit)",
        "A14.5: several units, contested jurisdiction or law: a coordination designates the lead "
        "(`POST /coordinations/{no}/{n}/designate`).",
        {"kind": "contested_jurisdiction", "units": ["WJ", "SG-POWER"], "reason": "双方均称不属本单位"},
        units=lambda d: d["units"],
    ),
    Action(
        "apply_extension",
        "/extension",
        ApplyExtension,
        body_model(ApplyExtension, "ApplyExtensionBody"),
        UNIT,
        "Apply for an extension (lead unit)",
        "A17: once, before the limit passes, telling the requester why and until when.",
        {"reason": "需协调多部门联合整治", "requester_told": True},
    ),
    Action(
        "review_extension",
        "/extension/review",
        Review,
        ReviewBody,
        OPERATOR,
        "Review an extension (operator)",
        "A17: approved, the answer limit grows by the ticket type's own limit, after the original one.",
        {"approve": True, "reason": "理由充分"},
    ),
    Action(
        "record_contact",
        "/contacts",
        ContactAttempt,
        body_model(ContactAttempt, "ContactAttemptBody", optional=("at",), required=("purpose",)),
        UNIT,
        "Record a contact attempt (lead unit)",
        "`purpose` is required: `result` (A20) tells the requester the result, and two consecutive days of "
        "failed phone calls to tell it count as answered; `enquiry` (A14) asks for details and tells no "
        "result. `at` defaults to now.",
        {"channel": "phone", "purpose": "result", "reached": True, "note": "已告知处理结果"},
        prepare=contact_time,
    ),
    Action(
        "apply_closure",
        "/closure",
        ApplyClosure,
        body_model(ApplyClosure, "ApplyClosureBody"),
        UNIT,
        "Apply to close (lead unit)",
        "A20: point by point, when and how handled, the result and its basis; the requester told first.",
        CLOSURE_EXAMPLE,
    ),
    Action(
        "find_not_acceptable",
        "/find-not-acceptable",
        FindNotAcceptable,
        body_model(FindNotAcceptable, "FindNotAcceptableBody"),
        UNIT,
        "Find the request not acceptable (lead unit)",
        "A14.4: the unit, having received the ticket, finds it not acceptable and tells the requester why; "
        "litigation/petition matters need explanatory material. The hotline's own refusal at intake is "
        "`/refuse-at-intake` (A13).",
        {
            "reason": "A10.2",
            "explanation": "该纠纷已进入诉讼程序",
            "requester_told": True,
            "material_refs": ["att://court-notice-2026-118.pdf"],
        },
        deprecated_paths=("/not-acceptable",),
    ),
    Action(
        "review_closure",
        "/closure/review",
        Review,
        ReviewBody,
        OPERATOR,
        "Review a closure (operator)",
        "A20: approve (the requester is asked to rate, A24) or send back with a reason (the limit still "
        "counts from the first receipt). The same review settles an A14.4 finding and an A18 termination "
        "notice.",
        {"approve": False, "reason": "未答复维修时限"},
    ),
    Action(
        "file_termination_notice",
        "/termination",
        FileTerminationNotice,
        body_model(FileTerminationNotice, "TerminationNoticeBody"),
        UNIT,
        "File a termination notice (lead unit)",
        "A18: a matter concluded by law raised again with no new facts or reasons. The notice is filed with "
        "12345 (「在12345热线备案」): the ticket goes to closure review, and the hotline confirms it "
        "(terminated; the matter is not accepted again) or sends it back to be handled "
        "(`POST /tickets/{no}/closure/review`). The earlier ticket (`prior_ticket_no`, or the registration's "
        "`repeat_of`) is an earlier, concluded ticket of the same requester; whatever else it is, the answer "
        "is the same 422 `PRIOR_TICKET_NOT_ELIGIBLE`.",
        {
            "notice_ref": "韶武城终字〔2026〕12号",
            "prior_ticket_no": "GD12345-20260910-0A1B2C3D",
            "served_at": "2026-11-27T10:00:00+08:00",
        },
        prepare=prior_matter,
    ),
    Action(
        "record_callback",
        "/callbacks",
        RecordCallback,
        body_model(RecordCallback, "CallbackBody"),
        OPERATOR,
        "Record a callback (operator)",
        "A24: the hotline calls a dissatisfied requester back; `wants_redo` asks for a redo decision.",
        {"channel": "phone", "reached": True, "wants_redo": True, "note": "诉求人要求重办"},
    ),
    Action(
        "record_consultation",
        "/consultations",
        RecordConsultation,
        body_model(RecordConsultation, "ConsultationBody"),
        OPERATOR,
        "Record a consultation meeting's decision (operator)",
        "A9: periodic consultation meetings decide major and difficult matters; the decision joins the "
        "ticket's timeline and its units are told.",
        {
            "meeting": "2026年第12次热线会商会议纪要",
            "held_on": "2026-11-20",
            "decision": "由武江区人民政府牵头，12月底前完成整改",
        },
    ),
    Action(
        "decide_redo",
        "/redo",
        DecideRedo,
        body_model(DecideRedo, "DecideRedoBody"),
        OPERATOR,
        "Decide on a redo (operator)",
        "A24: once only, same limit as the original, no extension; the next rating is final. The redo goes "
        "back to the lead unit; a consultation the hotline answered on the spot (A12) names `lead_unit`.",
        {"approve": True, "reason": "答复未解决问题"},
        lead=lambda d: d.get("lead_unit"),
    ),
    Action(
        "apply_supplement",
        "/supplements",
        ApplySupplement,
        body_model(ApplySupplement, "ApplySupplementBody"),
        UNIT,
        "Apply for a supplementary answer (lead unit)",
        "A21: new progress after closure.",
        {"reason": "新华南路路灯改造工程已立项"},
    ),
    Action(
        "review_supplement_permission",
        "/supplements/{supplement_id}/permission",
        ReviewSupplement,
        SupplementReviewBody,
        OPERATOR,
        "Permit a supplementary answer (operator)",
        "A21: the hotline permits the unit to write it.",
        {"approve": True},
        item="supplement_id",
    ),
    Action(
        "submit_supplement",
        "/supplements/{supplement_id}/content",
        SubmitSupplement,
        body_model(SubmitSupplement, "SubmitSupplementBody", drop=("supplement_id",)),
        UNIT,
        "Write the supplementary answer (lead unit)",
        "A21: reviewed by the hotline before it is published.",
        {"content": "新华南路路灯改造工程将于 12 月完工。"},
        item="supplement_id",
    ),
    Action(
        "review_supplement_content",
        "/supplements/{supplement_id}/review",
        ReviewSupplement,
        SupplementReviewBody,
        OPERATOR,
        "Review the supplementary answer (operator)",
        "A21: approved, it is published to the requester.",
        {"approve": True},
        item="supplement_id",
    ),
)
assert all(hasattr(TicketWorkflow, a.update) for a in ACTIONS)


async def perform(
    action: Action,
    runtime: Runtime,
    caller: Caller,
    ticket_no: str,
    body: BaseModel,
    item: str | None,
    idempotency_key: str | None,
) -> TicketView:
    acting = Acting(runtime, caller, ticket_no, await actionable_ticket(runtime, caller, ticket_no))
    data: dict[str, Any] = dict(body) | {"actor": caller.actor}
    if action.item is not None:
        data[action.item] = item
    async with runtime.session_maker() as session:
        confidential = acting.ticket.confidential and action.hands_over
        await require_units(session, action.units(data), lead=action.lead(data), confidential=confidential)
    if action.prepare is not None:
        await action.prepare(acting, data)
    command = action.command.model_validate(data)
    if idempotency_key is not None:
        scope = f"{action.update}:cred-{caller.credential_id}"
        await claim_action_key(runtime, scope, idempotency_key, ticket_no, body, item)
    try:
        updated = await runtime.temporal.update_ticket(
            ticket_no,
            action.update,
            command,
            update_id(action.update, f"cred-{caller.credential_id}", idempotency_key),
        )
    except WorkflowUpdateFailedError as failed:
        raise verdict_error(failed, caller_sees_ticket=True) from None
    # Shown as the caller now stands to the ticket (the action may have changed it), as before if not at all.
    relation = await relation_in(runtime, caller, updated) or acting.ticket.relation
    return await ticket_view(runtime, caller, updated, relation, f"action:{action.update}")


_ITEM_EXAMPLES = {"return_id": "R1", "supplement_id": "S1"}


def _add_route(action: Action) -> None:
    body_type = action.body
    allowed = Depends(require_role(*action.roles))
    examples = {"example": {"summary": action.summary, "value": action.example}}
    # Annotated with runtime values (one body type per action): checkers cannot follow, FastAPI can.
    body_param = Annotated[body_type, Body(openapi_examples=examples)]  # type: ignore[valid-type]

    if action.item is None and not any(f.is_required() for f in body_type.model_fields.values()):
        # Nothing to say (a sign-for): no body at all is the empty body.
        optional_body = Annotated[body_type | None, Body(openapi_examples=examples)]  # type: ignore[valid-type]

        async def on_ticket_body_optional(
            no: TicketNoDep,
            runtime: RuntimeDep,
            caller: Annotated[Caller, allowed],
            body: optional_body = None,
            idempotency_key: IdempotencyKey = None,
        ) -> TicketView:
            return await perform(action, runtime, caller, no, body or body_type(), None, idempotency_key)

        endpoint: Callable[..., Awaitable[TicketView]] = on_ticket_body_optional
    elif action.item is None:

        async def on_ticket(
            no: TicketNoDep,
            body: body_param,
            runtime: RuntimeDep,
            caller: Annotated[Caller, allowed],
            idempotency_key: IdempotencyKey = None,
        ) -> TicketView:
            return await perform(action, runtime, caller, no, body, None, idempotency_key)

        endpoint = on_ticket
    else:
        item_param = Annotated[
            str,
            Path(
                alias=action.item,
                min_length=1,
                max_length=64,
                description=f"The {action.item.replace('_', ' ')}.",
                examples=[_ITEM_EXAMPLES[action.item]],
            ),
        ]

        async def on_item(
            no: TicketNoDep,
            item: item_param,
            body: body_param,
            runtime: RuntimeDep,
            caller: Annotated[Caller, allowed],
            idempotency_key: IdempotencyKey = None,
        ) -> TicketView:
            return await perform(action, runtime, caller, no, body, item, idempotency_key)

        endpoint = on_item

    roles = ", ".join(sorted(r.value for r in action.roles))
    description = (
        f"{action.description}\n\nRoles: {roles}. Answers with the ticket after the action. "
        "Send an `Idempotency-Key` so a retry has exactly one effect."
    )
    for n, path in enumerate((action.path, *action.deprecated_paths)):
        old = n > 0
        router.add_api_route(
            "/{no}" + path,
            endpoint,
            methods=["POST"],
            response_model=TicketView,
            name=f"{action.update}_as_{path.strip('/').replace('-', '_')}" if old else action.update,
            operation_id=f"{action.update}_deprecated_{n}" if old else action.update,
            summary=action.summary,
            description=f"**Deprecated**: the former path of `POST /tickets/{{no}}{action.path}`, served for "
            f"one release.\n\n{description}"
            if old
            else description,
            responses=responses(401, 403, 404, 409, 422, 503),
            deprecated=old,
        )


for _action in ACTIONS:
    _add_route(_action)
