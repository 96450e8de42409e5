"""The requester's page in Chinese: what each stage, event, category and rating option is called.

Worded for the requester (诉求人), not for staff: an internal step (a return under review, a coordination)
reads as "办理中" with a plain reason. A kind missing here reads as a neutral "办理进展", never as a code.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import SHANGHAI
from domain.timeline import EventKind
from domain.vocabulary import Category, NotAcceptedReason, Outcome, RatingOption, Stage

STAGES: dict[Stage, str] = {
    Stage.REGISTERED: "已登记，等待派单",
    Stage.NOT_ACCEPTED: "不予受理",
    Stage.DISPATCHED: "已派单，等待承办单位签收",
    Stage.HANDLING: "承办单位办理中",
    Stage.RETURN_REVIEW: "办理中（正在确认承办单位）",
    Stage.COORDINATING: "办理中（正在协调承办单位）",
    Stage.EXTENSION_REVIEW: "办理中（延期申请审核中）",
    Stage.CLOSURE_REVIEW: "办理完毕，热线审核中",
    Stage.RATING: "待您评价",
    Stage.CALLBACK: "热线将回访您",
    Stage.CONCLUDED: "已办结",
    Stage.ARCHIVED: "已办结归档",
    Stage.JOINED: "已并案办理",
}

# A19: the events the requester was told of, and the milestones of the handling (PublicTicketView.progress).
EVENTS: dict[str, str] = {
    EventKind.REGISTERED: "诉求已登记",
    EventKind.NOT_ACCEPTED: "诉求不予受理",
    EventKind.ANSWERED_AT_ONCE: "热线已直接答复",
    EventKind.DISPATCHED: "已派至承办单位",
    EventKind.SIGNED_FOR: "承办单位已签收",
    EventKind.FORWARDED_TO_SUBUNIT: "已转交下级单位办理",
    EventKind.LEAD_DESIGNATED: "已确定主办单位",
    EventKind.EXTENSION_APPROVED: "办理期限已延长",
    EventKind.REQUESTER_ANSWERED: "承办单位已联系您",
    EventKind.CLOSURE_APPROVED: "办理结果已审核通过",
    EventKind.NOT_ACCEPTABLE_CONFIRMED: "经审核，诉求依规不予受理",
    EventKind.TERMINATION_NOTICE_FILED: "已出具事项终结告知书",
    EventKind.RATING_REQUESTED: "请您评价",
    EventKind.RATED: "已收到您的评价",
    EventKind.RATING_DEFAULTED: "超时未评价，视为基本满意",
    EventKind.REDO_ORDERED: "已发回承办单位重办",
    EventKind.REDO_REFUSED: "重办申请未获同意",
    EventKind.CONCLUDED: "已办结",
    EventKind.SUPPLEMENT_PUBLISHED: "已发布补充答复",
    EventKind.ARCHIVED: "已归档",
    EventKind.JOINED_TO: "已与先前同一事项的工单并案办理",
    EventKind.JOINED_RESULT: "并案工单已办结，办理结果已告知您",
}
OTHER_EVENT = "办理进展"

CATEGORIES: dict[Category, str] = {
    Category.CONSULTATION: "咨询",
    Category.HELP: "求助",
    Category.COMPLAINT: "投诉",
    Category.REPORT: "举报",
    Category.SUGGESTION: "意见建议",
}

OUTCOMES: dict[Outcome, str] = {
    Outcome.NOT_ACCEPTED: "不予受理",
    Outcome.ANSWERED_AT_ONCE: "热线直接答复",
    Outcome.CLOSED: "办理完毕",
    Outcome.NOT_ACCEPTABLE_BY_UNIT: "依规不予受理",
    Outcome.TERMINATED: "事项已终结",
    Outcome.JOINED: "并案办理，结果同先前工单",
}

# A10 (and A11, A18): why a request is not accepted, as the requester is told.
NOT_ACCEPTED_REASONS: dict[NotAcceptedReason, str] = {
    NotAcceptedReason.OUTSIDE_JURISDICTION: "不属于本市管辖范围",
    NotAcceptedReason.OTHER_LEGAL_PROCEDURE: "已进入或应当通过诉讼、仲裁、纪检监察、行政复议、政府信息公开等程序办理",
    NotAcceptedReason.PETITION_CHANNEL: "已进入信访渠道",
    NotAcceptedReason.SECRETS_OR_PRIVACY: "涉及国家秘密、商业秘密或个人隐私",
    NotAcceptedReason.UNLAWFUL_OR_NO_CONTENT: "内容违法、违背公序良俗或无实质内容",
    NotAcceptedReason.REPEAT: "同一事项、同一事实和理由的重复诉求",
    NotAcceptedReason.OTHER_LEGAL_GROUNDS: "法律法规规定的其他情形",
    NotAcceptedReason.TERMINATED_MATTER: "该事项已依法终结",
    NotAcceptedReason.RESTRICTED_CALLER: "来电人被暂停使用热线",
}

# A24: one option per stage, best first.
RATING_OPTIONS: dict[RatingOption, str] = {
    RatingOption.VERY_SATISFIED: "非常满意",
    RatingOption.SATISFIED: "满意",
    RatingOption.BASICALLY_SATISFIED: "基本满意",
    RatingOption.DISSATISFIED: "不满意",
    RatingOption.VERY_DISSATISFIED: "非常不满意",
}
# A24: the two stages rated, as form fields of the Rate command.
RATING_STAGES: dict[str, str] = {
    "acceptance": "受理环节（12345热线受理您的诉求）",
    "handling": "办理环节（承办单位办理您的诉求）",
}
# A24 是否解决: the form's answers to "was the matter resolved", as the Rate command's `resolved`.
RESOLVED_QUESTION = "您反映的问题是否已解决？"
RESOLVED_ANSWERS: dict[str, bool] = {"yes": True, "no": False}
RESOLVED_LABELS = {"yes": "已解决", "no": "未解决"}


def event(kind: str) -> str:
    return EVENTS.get(kind, OTHER_EVENT)


def shanghai(at: datetime | None) -> str:
    """An instant as the requester reads it: Shanghai wall-clock time, e.g. 2026年12月1日 09:05."""
    if at is None:
        return ""
    local = at.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def deadline(at: datetime | None) -> str:
    """A limit as it is said: a working-day limit ends at 24:00 of its last day ("Counting time"), not at
    00:00 of the next."""
    if at is None:
        return ""
    local = at.astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second) != (0, 0, 0):
        return shanghai(at)
    day = local - timedelta(days=1)
    return f"{day.year}年{day.month}月{day.day}日 24:00"
