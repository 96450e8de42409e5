"""The actions after the handling or beside it, as data (api/action_base.py `Action`): 并案 (A10.6), the
callback and the redo (A24), a consultation meeting (A9), supervision orders (A25), supplementary answers
(A21).

No `from __future__ import annotations` here: the body types are built at import and FastAPI reads them.
"""

from api.action_base import OFFICES, OPERATOR, UNIT, Action, SupplementReviewBody
from api.bodies import body_model
from api.joining import joinable
from domain import commands as c
from domain.joining import JoinTicket

FOLLOW_UP_ACTIONS: tuple[Action, ...] = (
    Action(
        "join",
        "/join",
        JoinTicket,
        body_model(JoinTicket, "JoinBody"),
        OPERATOR,
        "Join to an earlier ticket on the same matter (operator)",
        "并案 (A10.6): this new ticket (registered, dispatched or being handled) joins an open ticket on the "
        "same matter, `into`: this one ends as joined (its limits stop), its requester is told the earlier "
        "number, and when the earlier ticket concludes its result is passed on and told to this ticket's "
        "requester (A20), on their page too. Refused: joining to itself (422 `JOIN_TO_ITSELF`), to a ticket "
        "that is concluded or ended (409 `JOIN_TARGET_CONCLUDED`, `JOIN_TARGET_ENDED`) or itself joined "
        "(409 `JOIN_TARGET_JOINED`), across categories, emergency or confidentiality (409 "
        "`JOIN_INCOMPATIBLE_MATTER`), twice (409 `ALREADY_JOINED`), or a ticket others are joined to (409 "
        "`HAS_JOINED_TICKETS`). Candidates: `POST /registrations/repeat-candidates`.",
        {"into": "GD12345-20260910-0A1B2C3D", "reason": "同一路段路灯故障，已有工单在办"},
        prepare=joinable,
    ),
    Action(
        "record_callback",
        "/callbacks",
        c.RecordCallback,
        body_model(c.RecordCallback, "CallbackBody"),
        OFFICES,
        "Record a callback (operator)",
        "A24: the hotline calls a dissatisfied requester back; `wants_redo` asks for a redo decision.",
        {"channel": "phone", "reached": True, "wants_redo": True, "note": "诉求人要求重办"},
    ),
    Action(
        "record_consultation",
        "/consultations",
        c.RecordConsultation,
        body_model(c.RecordConsultation, "ConsultationBody"),
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
        c.DecideRedo,
        body_model(c.DecideRedo, "DecideRedoBody"),
        OFFICES,
        "Decide on a redo (operator)",
        "A24: once only, same limit as the original, no extension; the next rating is final. The redo goes "
        "back to the lead unit; a consultation the hotline answered on the spot (A12) names `lead_unit`.",
        {"approve": True, "reason": "答复未解决问题"},
        lead=lambda d: d.get("lead_unit"),
    ),
    Action(
        "issue_supervision_order",
        "/supervision-orders",
        c.IssueSupervisionOrder,
        body_model(c.IssueSupervisionOrder, "SupervisionOrderBody"),
        OPERATOR,
        "Issue a supervision order (operator)",
        "A4, A6, A25: the hotline orders the unit holding the ticket to act (`supervise` 督办, `urge` 催办) "
        'and to answer within `respond_within`, which the order sets: `{"hours": n}` (natural hours from '
        'now) or `{"working_days": n}` (the day of issue not counted, to 24:00 of the last working day). '
        "Its limit is carded like the unit's own (A22) and counted against that unit; several orders may run "
        "at once. A ticket no unit holds (registered, in coordination, rating, callback, concluded) is 409 "
        "`STAGE_FORBIDS_ACTION`. The orders: `GET /tickets/{no}/supervision-orders`.",
        {
            "kind": "urge",
            "reason": "诉求人再次来电反映路灯仍未修复，请尽快处置",
            "respond_within": {"hours": 4},
        },
    ),
    Action(
        "answer_supervision_order",
        "/supervision-orders/{order_id}/answer",
        c.AnswerSupervisionOrder,
        body_model(c.AnswerSupervisionOrder, "SupervisionAnswerBody", drop=("order_id",)),
        UNIT,
        "Answer a supervision order (lead unit)",
        "A25: the lead unit (or the sub-unit it forwarded the ticket to) answers the order, within its time "
        "or late (recorded as `late`; the card stays as it turned). An order answered already is 409 "
        "`SUPERVISION_ORDER_ALREADY_ANSWERED`; one that lapsed when the ticket left the unit, 409 "
        "`SUPERVISION_ORDER_LAPSED`.",
        {"answer": "已派维修班组到场，今日 18 时前修复"},
        item="order_id",
    ),
    Action(
        "apply_supplement",
        "/supplements",
        c.ApplySupplement,
        body_model(c.ApplySupplement, "ApplySupplementBody"),
        UNIT,
        "Apply for a supplementary answer (lead unit)",
        "A21 「已办结的事项有新进展情况的，可申请补充答复」: new progress after closure, with no time limit: "
        "an archived ticket is reopened for it (concluded again, outcome unchanged) and archives again once "
        "the supplementary answer is published or refused.",
        {"reason": "新华南路路灯改造工程已立项"},
        reopens_archive=True,
    ),
    Action(
        "review_supplement_permission",
        "/supplements/{supplement_id}/permission",
        c.ReviewSupplement,
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
        c.SubmitSupplement,
        body_model(c.SubmitSupplement, "SubmitSupplementBody", drop=("supplement_id",)),
        UNIT,
        "Write the supplementary answer (lead unit)",
        "A21: reviewed by the hotline before it is published.",
        {"content": "新华南路路灯改造工程将于 12 月完工。"},
        item="supplement_id",
    ),
    Action(
        "review_supplement_content",
        "/supplements/{supplement_id}/review",
        c.ReviewSupplement,
        SupplementReviewBody,
        OPERATOR,
        "Review the supplementary answer (operator)",
        "A21: approved, it is published to the requester.",
        {"approve": True},
        item="supplement_id",
    ),
)
