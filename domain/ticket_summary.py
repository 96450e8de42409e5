"""What an operator reads about a ticket in Temporal UI (issue 18), in the regulation's words.

Temporal UI shows a workflow's summary and details, a timer's or an activity's summary, the memo and query
results. Payloads are encrypted (workflows/converter.py), so what the UI must show in clear is marked
`PublicText` / `PublicView` and the codec leaves it unencrypted. That is why nothing here may carry the
requester's identity (A32): no name, no phone, no house number; the subject drops both, and runs of digits.
Times are China Standard Time (UTC+8, no daylight saving), a limit ending at midnight is written "24:00" of
its day, as the hotline writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta, timezone
from typing import ClassVar

from pydantic import BaseModel

from domain.clocks import rule_of
from domain.commands import Registration
from domain.labels import event_label, label
from domain.stages.supervision import lapsed
from domain.ticket import ANSWER, HANDLE, SIGN_FOR, Clock, TicketState
from domain.vocabulary import OPEN_STAGES, ActorKind, Card

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
SUBJECT_CHARS = 24
PLACE_CHARS = 20

CLOCK_NAMES = {
    SIGN_FOR: "签收时限",
    HANDLE: "处置时限",
    ANSWER: "答复时限",
    "linkage_ack": "联动确认时限",
    "supervision": "督办答复时限",
    # The hotline office's own limits (domain/stages/office.py).
    "return_review": "退回审核时限",
    "extension_review": "延期审核时限",
    "closure_review": "办结审核时限",
    "callback": "回访时限",
    "coordination": "协调时限",
}
ACTOR_KINDS: dict[str, str] = {
    ActorKind.OPERATOR.value: "12345热线",
    ActorKind.UNIT.value: "承办单位",
    ActorKind.REQUESTER.value: "诉求人",
    ActorKind.SYSTEM.value: "系统",
    ActorKind.INTEGRATOR.value: "对接系统",
    "linkage": "紧急热线",
}


class PublicText(str):
    """Text the UI shows in clear: it names the matter, never the requester (the codec skips it)."""

    hotline_public: ClassVar[bool] = True


class UnitDescription(BaseModel):
    name: str
    county: str  # the county or district whose tree the unit sits in (A4), or 市直


class TimelineEntry(BaseModel):
    at: str  # Asia/Shanghai, "2026-12-02 09:30"
    who: str
    what: str
    rule: str = ""


class TimelineView(BaseModel):
    """The `timeline` query's answer: the ticket's own events for the UI's Queries tab."""

    hotline_public: ClassVar[bool] = True
    ticket_no: str
    events: list[TimelineEntry]


def china_time(at: datetime) -> str:
    local = at.astimezone(CHINA)
    if local.time() == time(0, 0):
        return f"{local - timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


def _masked(text: str, reg: Registration) -> str:
    for secret in (reg.requester.name, reg.requester.phone, reg.requester.organisation):
        if secret.strip():
            text = text.replace(secret.strip(), "＊")
    # Phones, identity numbers and house numbers are runs of digits: none reaches the summary.
    return re.sub(r"[0-9０-９][0-9０-９\-－ ]*", "＊", text)


def static_summary(reg: Registration) -> PublicText:
    """The category, a short subject and the place: "投诉｜路灯不亮｜武江区新华南路"."""
    subject = re.split(r"[，。！？；,.!?;\n]", _masked(reg.content, reg).strip(), maxsplit=1)[0]
    subject = subject[:SUBJECT_CHARS] or label(reg.category).zh
    place = re.split(r"[0-9０-９]", reg.location, maxsplit=1)[0].strip()[:PLACE_CHARS] or "地点未填"
    urgent = "【紧急】" if reg.emergency else ""
    return PublicText(f"{urgent}{label(reg.category).zh}｜{subject}｜{place}")


def unit_name(unit_id: str | None, names: Mapping[str, str]) -> str:
    if not unit_id:
        return "未派单"
    name = names.get(unit_id)
    return f"{name}（{unit_id}）" if name else unit_id


def clock_line(name: str, clock: Clock) -> str:
    what, rule = clock_label(name), rule_of(name)
    state = "已完成" if clock.met_at is not None else label(clock.card).zh
    return f"{rule} {what} {china_time(clock.due_at)}（{state}）"


def clock_label(name: str) -> str:
    family = name.split(":", 1)[0]
    line = name.split(":", 1)[1] if ":" in name else ""
    return CLOCK_NAMES.get(family, name) + (f" {line}" if line else "")


def current_details(s: TicketState, names: Mapping[str, str]) -> PublicText:
    """Markdown for the UI's details pane: stage, lead and co-units by name, cards, limits in China time."""
    lines = [f"**{label(s.stage).zh}** · {label(s.card()).zh}", "", f"主办：{unit_name(s.lead_unit, names)}"]
    if s.co_units:
        lines += ["", "协办：" + "、".join(unit_name(u, names) for u in s.co_units)]
    if s.clocks:
        lines.append("")
    lines += ["- " + clock_line(name, clock) for name, clock in s.clocks.items()]
    return PublicText("\n".join(lines))


CHANNELS = {
    "phone": "电话",
    "web": "网站",
    "app": "APP",
    "wechat_mini_program": "微信小程序",
    "provincial_platform": "省平台",
    "national_platform": "国家平台",
    "sub_centre": "分中心",
    "linkage": "紧急热线移交",
}


def static_details(reg: Registration) -> PublicText:
    """What stays true for the ticket's life: channel, when registered, the rule set it asked for."""
    rule_set = reg.rule_set_id or "按渠道默认（A17.4/A17.5）"
    return PublicText(
        f"渠道：{CHANNELS.get(reg.channel.value, reg.channel.value)}\n\n"
        f"登记时间：{china_time(reg.received_at)}（北京时间）\n\n规则集：{rule_set}"
    )


def boundary_summary(s: TicketState, at: datetime) -> PublicText:
    """A timer's summary: which limit's card turns at that instant, "A17 答复时限 黄牌 2026-12-16 24:00"."""
    parts = []
    for name, clock in s.clocks.items():
        rule = rule_of(name)
        if clock.met_at is None and clock.due_at == at:
            parts.append(f"{rule} {clock_label(name)} 到期转{label(Card.YELLOW).zh}")
        elif clock.met_at is None and clock.red_at == at:
            parts.append(f"{rule} {clock_label(name)} 超期转{label(Card.RED).zh}")
    if not parts:
        parts.append("评价期限或归档日期")  # A24 rating window, A21 archive date
    return PublicText(f"{'；'.join(parts)} {china_time(at)}")


def actor_words(actor: str, names: Mapping[str, str]) -> str:
    """Who acted, as recorded ("unit:WJ", "operator:op-7"), without the requester's id (A32)."""
    kind, _, who = actor.partition(":")
    words = ACTOR_KINDS.get(kind, kind)
    if kind == ActorKind.REQUESTER or not who:
        return words
    return f"{words} {unit_name(who, names)}" if kind == ActorKind.UNIT else f"{words} {who}"


def timeline_view(s: TicketState, names: Mapping[str, str]) -> TimelineView:
    return TimelineView(
        ticket_no=s.ticket_no,
        events=[
            TimelineEntry(
                at=china_time(e.at),
                who=actor_words(e.actor, names),
                what=event_label(e.kind).zh,
                rule=e.rule or "",
            )
            for e in s.timeline
        ],
    )


def overdue(s: TicketState) -> list[str]:
    """The limits past due and not yet met (A22: yellow or red), by clock name."""
    if s.stage not in OPEN_STAGES:
        return []
    return sorted(n for n, c in s.clocks.items() if c.met_at is None and c.card != Card.GREEN)


def next_due(s: TicketState) -> datetime | None:
    """The earliest limit not yet met, whoever it binds: what falls due next (overdue ones included)."""
    if s.stage not in OPEN_STAGES:
        return None
    return min((c.due_at for c in s.clocks.values() if c.met_at is None), default=None)


def supervision_pending(s: TicketState) -> bool:
    """A25: an order the unit has not answered and that still binds it (not lapsed by a new receipt)."""
    return any(o.answered_at is None and not lapsed(s, o) for o in s.supervision_orders)


def linkage_pending(s: TicketState) -> list[str]:
    """A23: the lines that have not acknowledged their hand-over."""
    return sorted(
        n.partition(":")[2] for n, c in s.clocks.items() if n.startswith("linkage_ack:") and c.met_at is None
    )


def short_county(name: str) -> str:
    """韶关市武江区人民政府 -> 武江区: how an office names a district in a query."""
    return re.sub(r"(人民政府|政府)$", "", re.sub(r"^.*?市(?=.+[区县市])", "", name)) or name
