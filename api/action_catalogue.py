"""The actions on a ticket as data (api/action_base.py `Action`; the follow-up ones in
api/follow_up_actions.py): per action, the workflow update it runs, the command it builds, who may
call it, its example and the records it checks first (api/preconditions.py). api/routes/actions.py turns
each into its route and runs them all through one `perform`.

No `from __future__ import annotations` here: the body types are built at import and FastAPI reads them.
"""

from pydantic import Field

from api.action_base import (
    CITED_VERSION,
    CLOSURE_EXAMPLE,
    OFFICES,
    OPERATOR,
    SIGN_OFF,
    UNIT,
    Action,
    ReviewBody,
    SignOffBody,
)
from api.bodies import body_model
from api.follow_up_actions import FOLLOW_UP_ACTIONS
from api.preconditions import (
    answering_point,
    contact_time,
    county_rules,
    filed_sign_off,
    prior_matter,
    review_of_return,
    subunit,
)
from domain import commands as c
from workflows.ticket import TicketWorkflow

__all__ = ["ACTIONS", "UNIT", "Action"]

ACTIONS: tuple[Action, ...] = (
    Action(
        "dispatch",
        "/dispatch",
        c.Dispatch,
        body_model(c.Dispatch, "DispatchBody", drop=("county_rule_set",)),
        OFFICES,
        "Dispatch to a lead unit (operator)",
        "A12/A14: sends a registered ticket to its lead unit and co-units; the unit's limits count from now. "
        "A33: a lead in a county with its own rule set brings that set to a ticket that opened under the "
        "city's (not a platform's, nor one registered with a set named).",
        {"lead_unit": "WJ", "co_units": ["SG-POWER"], "note": "路灯属武江区管养，供电局配合"},
        units=lambda d: d["co_units"],
        lead=lambda d: d["lead_unit"],
        prepare=county_rules,
    ),
    Action(
        "not_accept",
        "/refuse-at-intake",
        c.NotAccept,
        body_model(c.NotAccept, "NotAcceptBody"),
        OFFICES,
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
        c.AnswerAtOnce,
        body_model(
            c.AnswerAtOnce,
            "AnswerAtOnceBody",
            drop=("knowledge_point",),
            add={"knowledge_point_version": CITED_VERSION},
        ),
        OFFICES,
        "Answer a consultation at once (operator)",
        "A12: a consultation answered on the spot from the knowledge base; the requester is asked to rate.",
        {"answer": "社保卡补办请携带身份证到任一社保网点办理。", "knowledge_point_id": "kp-3f9a0c1b2d4e"},
        prepare=answering_point,
    ),
    Action(
        "sign_for",
        "/sign-for",
        c.SignFor,
        body_model(c.SignFor, "SignForBody"),
        UNIT,
        "Sign for the ticket (lead unit)",
        "The lead unit (or its forwarded-to sub-unit) signs for it.",
        {},
    ),
    Action(
        "forward_to_subunit",
        "/forward",
        c.ForwardToSubunit,
        body_model(c.ForwardToSubunit, "ForwardBody"),
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
        c.EmergencyResponse,
        body_model(c.EmergencyResponse, "EmergencyResponseBody"),
        UNIT,
        "Report the emergency handled (lead unit)",
        "A17.3: an emergency is handled (on site, in hand) within 2 hours.",
        {"note": "抢修人员已到场处置"},
    ),
    Action(
        "record_assistance",
        "/assistance",
        c.RecordAssistance,
        body_model(c.RecordAssistance, "RecordAssistanceBody"),
        UNIT,
        "Record a co-unit's assistance (co-unit)",
        "A14 「相关单位应当积极配合」, A14.5 「协办单位应当积极配合办理」: a co-unit records on the ticket what it "
        "did to assist (协办意见), with attachments; the unit handling it and the hotline are told, and it "
        "stands on the timeline. Only a co-unit of the ticket may (the lead and the units above are 403 "
        "`NOT_YOUR_ACTION`), while the ticket is handled.",
        {
            "opinion": "已派员到场核实线路，确认该路段路灯由城管局管养，供电正常。",
            "attachments": ["att://power-check-1"],
        },
    ),
    Action(
        "start_survey",
        "/survey",
        c.SurveyStart,
        body_model(c.SurveyStart, "SurveyStartBody"),
        UNIT,
        "Start a site survey (lead unit)",
        "A14.3: a unit unsure whether the matter is its own organises a survey within 1 WD of receipt.",
        {"note": "会同街道现场核查权属"},
    ),
    Action(
        "apply_return",
        "/returns",
        c.ApplyReturn,
        body_model(
            c.ApplyReturn,
            "ApplyReturnBody",
            add={"signed_off_by": (SignOffBody, Field(description="A15: the leader who signed it off."))},
        ),
        UNIT,
        "Apply to return the ticket (lead unit)",
        "A14.1–A14.3, A15: with reason, basis, suggested unit and the leader's sign-off. Without reason "
        "or basis (A16.2), or after an extension (A16.7), it is refused at once. The signer is a leader the "
        "unit has filed with the office or a signatory a filed leader authorised "
        "(`/units/{unit_id}/filed-people`, A5); anyone else is 422 `SIGN_OFF_NOT_FILED`.",
        {
            "kind": "not_our_duty",
            "reason": "该路段路灯线路由供电局维护",
            "basis": "《韶关市城市照明管理办法》第五条",
            "suggested_unit": "SG-POWER",
            "signed_off_by": SIGN_OFF,
        },
        lead=lambda d: d.get("suggested_unit"),  # A6: the unit it should go to, a member unit
        hands_over=False,
        prepare=filed_sign_off,
    ),
    Action(
        "review_return",
        "/returns/{return_id}/review",
        c.ReviewReturn,
        body_model(
            c.ReviewReturn,
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
                ),
                "knowledge_point_version": CITED_VERSION,
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
        c.RaiseDispute,
        body_model(c.RaiseDispute, "RaiseDisputeBody"),
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
        c.ApplyExtension,
        body_model(c.ApplyExtension, "ApplyExtensionBody"),
        UNIT,
        "Apply for an extension (lead unit)",
        "A17: once, before the limit passes, telling the requester why and until when.",
        {"reason": "需协调多部门联合整治", "requester_told": True},
    ),
    Action(
        "review_extension",
        "/extension/review",
        c.Review,
        ReviewBody,
        OPERATOR,
        "Review an extension (operator)",
        "A17: approved, the answer limit grows by the ticket type's own limit, after the original one.",
        {"approve": True, "reason": "理由充分"},
    ),
    Action(
        "record_contact",
        "/contacts",
        c.ContactAttempt,
        body_model(c.ContactAttempt, "ContactAttemptBody", optional=("at",), required=("purpose",)),
        UNIT,
        "Record a contact attempt (lead unit)",
        "`purpose` is required: `result` (A20) tells the requester the result, and two consecutive days of "
        "failed phone calls to tell it count as answered; `enquiry` (A14) asks for details and tells no "
        "result. `at` defaults to now. `written_answer_requested`: the requester, reached, asked for the answer in "
        "writing (A20). A requester who left no number cannot be phoned (409 `NO_PHONE_ON_RECORD`).",
        {"channel": "phone", "purpose": "result", "reached": True, "note": "已告知处理结果"},
        prepare=contact_time,
    ),
    Action(
        "apply_closure",
        "/closure",
        c.ApplyClosure,
        body_model(c.ApplyClosure, "ApplyClosureBody"),
        UNIT,
        "Apply to close (lead unit)",
        "A20: point by point, when and how handled, the result and its basis; the requester told first. "
        "A requester who asked for a written answer (at registration, or reached by a contact) gets it in "
        "the unit's own name: `written_answer` with its `document_ref` and `issuing_unit` (the unit handling "
        "the ticket; 422 `WRITTEN_ANSWER_REQUIRED`, `WRITTEN_ANSWER_NOT_IN_UNIT_NAME`). A requester who left "
        "no contact details cannot be told: `no_contact_reason` says why (422 `NO_CONTACT_REASON_REQUIRED`).",
        CLOSURE_EXAMPLE,
    ),
    Action(
        "find_not_acceptable",
        "/find-not-acceptable",
        c.FindNotAcceptable,
        body_model(c.FindNotAcceptable, "FindNotAcceptableBody"),
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
        c.Review,
        ReviewBody,
        OFFICES,
        "Review a closure (operator)",
        "A20: approve (the requester is asked to rate, A24) or send back with a reason (the limit still "
        "counts from the first receipt). The same review settles an A14.4 finding and an A18 termination "
        "notice.",
        {"approve": False, "reason": "未答复维修时限"},
    ),
    Action(
        "file_termination_notice",
        "/termination",
        c.FileTerminationNotice,
        body_model(c.FileTerminationNotice, "TerminationNoticeBody"),
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
    *FOLLOW_UP_ACTIONS,
)
assert all(hasattr(TicketWorkflow, a.update) for a in ACTIONS)
