"""What a person reads for a code: a Chinese and an English label for every member of the labelled enums
(domain/vocabulary.py `Labelled`), for the timeline's event kinds, and a rule id as the article it cites.

The Chinese labels use the regulation's own words (《韶关市12345政务服务便民热线管理细则》): A10's items for
the reasons a request is not accepted, A16's for the grounds a return is refused, A22's cards. The codes
stay what the API and the read model exchange; the labels stand beside them, never instead of them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from domain.repeats import RepeatReason
from domain.timeline import EventKind
from domain.vocabulary import (
    Card,
    Category,
    DispatchDecision,
    NotAcceptedReason,
    Outcome,
    RefusalGround,
    Stage,
    SupervisionKind,
)


class Label(NamedTuple):
    zh: str
    en: str


ENUM_LABELS: dict[StrEnum, Label] = {
    # -- stages --------------------------------------------------------------------------------------------
    Stage.REGISTERED: Label("已登记", "registered"),
    Stage.NOT_ACCEPTED: Label("不予受理", "not accepted"),
    Stage.DISPATCHED: Label("已转派，待签收", "dispatched, to be signed for"),
    Stage.HANDLING: Label("办理中", "handling"),
    Stage.RETURN_REVIEW: Label("退回审核中", "return under review"),
    Stage.COORDINATING: Label("协调中", "in coordination"),
    Stage.EXTENSION_REVIEW: Label("延期审核中", "extension under review"),
    Stage.CLOSURE_REVIEW: Label("办结审核中", "closure under review"),
    Stage.RATING: Label("待评价", "awaiting the rating"),
    Stage.CALLBACK: Label("回访中", "callback"),
    Stage.CONCLUDED: Label("已办结", "concluded"),
    Stage.ARCHIVED: Label("已归档", "archived"),
    Stage.JOINED: Label("已并案", "joined to an earlier ticket"),
    # -- outcomes ------------------------------------------------------------------------------------------
    Outcome.NOT_ACCEPTED: Label("不予受理", "not accepted"),
    Outcome.ANSWERED_AT_ONCE: Label("即时答复", "answered at once"),
    Outcome.CLOSED: Label("办理完毕", "closed"),
    Outcome.NOT_ACCEPTABLE_BY_UNIT: Label("承办单位认定不予受理", "found not acceptable by the unit"),
    Outcome.TERMINATED: Label("事项终结", "terminated by written notice"),
    Outcome.JOINED: Label("并案办理", "joined to an earlier ticket on the same matter"),
    # -- why an earlier ticket is offered as a repeat (A10.6) ----------------------------------------------
    RepeatReason.SAME_REQUESTER: Label("同一诉求人", "the same requester"),
    RepeatReason.SAME_PLACE: Label("同一地点", "the same place"),
    # -- A22 cards -----------------------------------------------------------------------------------------
    Card.GREEN: Label("绿牌", "green"),
    Card.YELLOW: Label("黄牌", "yellow"),
    Card.RED: Label("红牌", "red"),
    # -- A4, A6, A25 supervision orders -----------------------------------------------------------------------
    SupervisionKind.SUPERVISE: Label("督办", "supervision order"),
    SupervisionKind.URGE: Label("催办", "urging order"),
    # -- A10/A12 categories --------------------------------------------------------------------------------
    Category.CONSULTATION: Label("咨询", "consultation"),
    Category.HELP: Label("求助", "help"),
    Category.COMPLAINT: Label("投诉", "complaint"),
    Category.REPORT: Label("举报", "report"),
    Category.SUGGESTION: Label("意见建议", "suggestion"),
    # -- A10 items, A18, A11: why a request is not accepted --------------------------------------------------
    NotAcceptedReason.OUTSIDE_JURISDICTION: Label(
        "不属于我市行政管辖权范围内的事项", "outside the city's administrative jurisdiction"
    ),
    NotAcceptedReason.OTHER_LEGAL_PROCEDURE: Label(
        "已进入或须通过诉讼、仲裁、纪检监察、行政复议、政府信息公开等程序解决的事项",
        "in, or to be settled by, litigation, arbitration, discipline inspection, administrative review, "
        "government information disclosure or a like procedure",
    ),
    NotAcceptedReason.PETITION_CHANNEL: Label(
        "已进入信访渠道的事项", "already in the petition (信访) channel"
    ),
    NotAcceptedReason.SECRETS_OR_PRIVACY: Label(
        "涉及国家秘密、商业秘密、个人隐私的事项", "involves state secrets, trade secrets or personal privacy"
    ),
    NotAcceptedReason.UNLAWFUL_OR_NO_CONTENT: Label(
        "违反法律法规规章、社会公序良俗以及恶意攻击、骚扰或无实质诉求内容的事项",
        "unlawful, against public order and good morals, a malicious attack, harassment, or no real request",
    ),
    NotAcceptedReason.REPEAT: Label(
        "相关诉求正在办理过程中或已按照法律、法规、规章和有关政策规定办理完毕，诉求人仍以同一事实、同一理由重复反映的事项",
        "being handled or already handled by law, raised again on the same facts and the same grounds",
    ),
    NotAcceptedReason.OTHER_LEGAL_GROUNDS: Label(
        "其他依据法律、法规、规章不予受理的事项", "not to be accepted on other grounds in law"
    ),
    NotAcceptedReason.TERMINATED_MATTER: Label(
        "已出具事项终结告知书的事项，12345热线不再受理",
        "a matter terminated by written notice; the hotline does not accept it again",
    ),
    NotAcceptedReason.RESTRICTED_CALLER: Label(
        "限制占用12345电话资源期间的来电",
        "a call while the caller is restricted from the hotline's phone line",
    ),
    # -- A16 items: why the hotline refuses a return ----------------------------------------------------------
    RefusalGround.UNITS_MATTER_BY_LAW: Label(
        "根据有关法律法规或部门职责应由承办单位办理的事项", "the unit's own matter by law or by its duties"
    ),
    RefusalGround.NO_REASON_OR_BASIS: Label(
        "承办单位未注明退回理由和依据的事项", "the return gives no reason and no basis"
    ),
    RefusalGround.FLAWS_DO_NOT_BLOCK: Label(
        "登记内容存在瑕疵，但不影响承办单位后续办理的事项",
        "the registration has flaws that do not block the handling",
    ),
    RefusalGround.CAN_PROCEED_ON_KNOWN_FACTS: Label(
        "部分登记内容与客观情况不完全相符，承办单位根据掌握的客观情况，可继续办理的事项",
        "the registration differs in part from the facts, and the unit can go on with what it knows",
    ),
    RefusalGround.MUST_VERIFY_FURTHER: Label(
        "诉求人已提供事项的基本情况或线索，需要承办单位作进一步了解或核实的事项",
        "the requester gave the basic facts or leads, and the unit is to look into or verify them",
    ),
    RefusalGround.KNOWLEDGE_POINT: Label(
        "热线知识库已有知识点，但12345热线无法直接以知识点答复诉求人，或适用知识点上传时间晚于事项登记时间的事项",
        "a knowledge point exists, but the hotline cannot answer with it directly, or it was uploaded after "
        "the request was registered",
    ),
    RefusalGround.EXTENSION_ALREADY_APPLIED: Label(
        "承办单位已提出延期申请的事项", "the unit has already applied for an extension"
    ),
    # -- A14: the dispatch catalogue's suggestion at registration (派单目录) ------------------------------------
    DispatchDecision.CONFIRMED: Label("采纳派单建议", "the suggested lead confirmed"),
    DispatchDecision.OVERRIDDEN: Label("改派其他单位", "another lead chosen than the one suggested"),
    DispatchDecision.UNDISPATCHED: Label("登记未派单", "registered without dispatching"),
    DispatchDecision.UNSUGGESTED: Label("目录无派单建议", "the catalogue had no lead to suggest"),
}

# The timeline's event kinds (domain/timeline.py `EventKind`), as the requester and staff read them.
EVENT_LABELS: dict[EventKind, Label] = {
    EventKind.REGISTERED: Label("诉求已登记", "registered"),
    EventKind.DISPATCHED: Label("已转派承办单位", "dispatched to the handling unit"),
    EventKind.NOT_ACCEPTED: Label("不予受理", "not accepted"),
    EventKind.ANSWERED_AT_ONCE: Label("已即时答复", "answered at once"),
    EventKind.SIGNED_FOR: Label("承办单位已签收", "signed for by the unit"),
    EventKind.FORWARDED_TO_SUBUNIT: Label("已转下级单位办理", "forwarded to a sub-unit"),
    EventKind.EMERGENCY_HANDLED: Label("紧急事项已处置", "emergency handled"),
    EventKind.EMERGENCY_LINKAGE: Label("已联动紧急热线", "passed to an emergency line"),
    EventKind.SURVEY_STARTED: Label("已组织现场勘查", "site survey started"),
    EventKind.RETURN_APPLIED: Label("承办单位申请退回", "return applied for"),
    EventKind.OVERDUE_RETURN: Label("退回申请已超时", "return applied for late"),
    EventKind.RETURN_APPROVED: Label("退回已同意", "return approved"),
    EventKind.RETURN_REFUSED: Label("退回不予同意", "return refused"),
    EventKind.RETURN_SUPERSEDED: Label("退回由协调处理", "return settled by coordination"),
    EventKind.DISPUTE_RAISED: Label("已提请协调", "dispute raised"),
    EventKind.LEAD_DESIGNATED: Label("已指定牵头单位", "lead unit designated"),
    EventKind.DESIGNATION_KEPT_RECEIPT: Label("维持原承办单位", "the lead unit kept"),
    EventKind.EXTENSION_APPLIED: Label("承办单位申请延期", "extension applied for"),
    EventKind.EXTENSION_APPROVED: Label("延期已同意", "extension approved"),
    EventKind.EXTENSION_REFUSED: Label("延期不予同意", "extension refused"),
    EventKind.CONTACT_ATTEMPTED: Label("承办单位联系诉求人", "the unit contacted the requester"),
    EventKind.REQUESTER_ANSWERED: Label("已答复诉求人", "the requester was answered"),
    EventKind.CLOSURE_SENT_BACK: Label("办结申请退回重办", "closure sent back"),
    EventKind.CLOSURE_APPROVED: Label("办理结果已审核通过", "closure approved"),
    EventKind.NOT_ACCEPTABLE_CONFIRMED: Label("承办单位认定不予受理", "found not acceptable"),
    EventKind.TERMINATION_NOTICE_FILED: Label("已出具事项终结告知书", "termination notice filed"),
    EventKind.RATING_REQUESTED: Label("请您评价", "rating requested"),
    EventKind.RATED: Label("已评价", "rated"),
    EventKind.RATING_DEFAULTED: Label("未评价，视为基本满意", "not rated: basically satisfied"),
    EventKind.CALLBACK_DUE: Label("待回访", "callback due"),
    EventKind.CALLBACK_RECORDED: Label("已回访", "callback recorded"),
    EventKind.REDO_ORDERED: Label("已发回重办", "redo ordered"),
    EventKind.REDO_REFUSED: Label("重办申请不予同意", "redo refused"),
    EventKind.CONCLUDED: Label("已办结", "concluded"),
    EventKind.ARCHIVED: Label("已归档", "archived"),
    EventKind.REOPENED_FOR_SUPPLEMENT: Label(
        "已归档工单重新开放补充答复", "archived ticket reopened for a supplementary answer"
    ),
    EventKind.RULE_SET_ADOPTED: Label("适用县（市、区）细则", "the county's own rules apply"),
    EventKind.WRITTEN_ANSWER_REQUESTED: Label(
        "诉求人要求书面答复", "the requester asked for a written answer"
    ),
    EventKind.CARD_CHANGED: Label("时限亮牌变化", "card changed"),
    EventKind.DEADLINES_RECOMPUTED: Label("办理时限已重新计算", "deadlines recomputed"),
    EventKind.CONSULTATION_DECIDED: Label("会商已作出决定", "consultation meeting decided"),
    EventKind.CALL_TRANSFERRED: Label("来电已转接分中心", "call transferred to the sub-centre"),
    EventKind.ASSISTANCE_RECORDED: Label("协办单位已报送协办意见", "co-unit's assistance recorded"),
    EventKind.SUPPLEMENT_APPLIED: Label("申请补充答复", "supplementary answer applied for"),
    EventKind.SUPPLEMENT_PERMISSION_GRANTED: Label("已开通补充答复权限", "supplementary answer permitted"),
    EventKind.SUPPLEMENT_PERMISSION_REFUSED: Label(
        "补充答复权限不予开通", "supplementary answer not permitted"
    ),
    EventKind.SUPPLEMENT_SUBMITTED: Label("补充答复已提交", "supplementary answer submitted"),
    EventKind.SUPPLEMENT_PUBLISHED: Label("补充答复已公开", "supplementary answer published"),
    EventKind.SUPPLEMENT_REJECTED: Label("补充答复未通过审核", "supplementary answer rejected"),
    EventKind.LINKAGE_HANDED_OVER: Label("已移交紧急热线", "handed over to the emergency line"),
    EventKind.LINKAGE_ACKNOWLEDGED: Label("紧急热线已确认接收", "acknowledged by the emergency line"),
    EventKind.LINKAGE_ESCALATED: Label(
        "紧急热线未及时确认，已报值班领导", "not acknowledged: duty officer alerted"
    ),
    EventKind.LINKAGE_UNREACHABLE: Label("紧急热线无法联通", "emergency line unreachable"),
    EventKind.LINKAGE_RESULT_TOLD: Label(
        "已向移交热线反馈办理结果", "result told to the line that handed it over"
    ),
    EventKind.DELIVERY_REPORTED: Label("通知送达情况", "a notice's delivery"),
    EventKind.JOINED_TO: Label("已并案至先前工单", "joined to an earlier ticket"),
    EventKind.TICKET_JOINED: Label("有工单并入本工单", "a ticket was joined to this one"),
    EventKind.JOINED_RESULTS_SENT: Label(
        "已向并案工单告知办理结果", "the result passed to the joined tickets"
    ),
    EventKind.JOINED_RESULT: Label("并案工单已办结，结果已告知", "the result of the ticket it was joined to"),
    EventKind.RATING_REQUEST_RECEIVED: Label("评价短信已送达", "rating request received"),
    EventKind.RATING_REQUEST_UNDELIVERABLE: Label(
        "评价短信无法送达，待回访", "rating request undeliverable: callback"
    ),
    EventKind.CLOSURE_APPLIED: Label("承办单位申请办结", "closure applied for"),
    EventKind.FOUND_NOT_ACCEPTABLE: Label(
        "承办单位认为不予受理，待审核", "found not acceptable, under review"
    ),
    EventKind.TERMINATION_APPLIED: Label(
        "事项终结告知书已报12345备案", "termination notice filed for review"
    ),
    EventKind.TERMINATION_CONFIRMED: Label("事项终结已确认", "termination confirmed"),
    EventKind.TERMINATION_REFUSED: Label("事项终结未获确认，继续办理", "termination refused: handled on"),
    EventKind.SUPERVISION_ORDERED: Label("12345热线已督办", "supervision order issued"),
    EventKind.SUPERVISION_ANSWERED: Label("承办单位已答复督办", "supervision order answered"),
}
# An event kind added to the workflow before its label: shown as "progress", never as a bare code.
UNKNOWN_EVENT = Label("办理进展", "progress")

REGULATION = "《韶关市12345政务服务便民热线管理细则》"
_RULE_ID = re.compile(r"A(\d{1,2})(?:\.(\d{1,2}))?")
_DIGITS = "零一二三四五六七八九"


def label(code: StrEnum) -> Label:
    return ENUM_LABELS[code]


def event_label(kind: str) -> Label:
    known = kind in EventKind.__members__.values()
    return EVENT_LABELS.get(EventKind(kind), UNKNOWN_EVENT) if known else UNKNOWN_EVENT


def rule_citation(rule: str) -> Label:
    """A rule id as the article it cites: "A14.1" -> 《…细则》第十四条第（一）项 / Art. 14(1)."""
    found = _RULE_ID.fullmatch(rule)
    if found is None:
        return Label(REGULATION, rule)
    article, item = int(found.group(1)), found.group(2)
    zh = f"{REGULATION}第{_chinese_number(article)}条" + (
        f"第（{_chinese_number(int(item))}）项" if item else ""
    )
    return Label(zh, f"Art. {article}" + (f"({item})" if item else ""))


def _chinese_number(n: int) -> str:
    """1–99 as written in the regulation's article numbers: 十, 十四, 二十, 三十三."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
