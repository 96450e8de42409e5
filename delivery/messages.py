"""What a notice says: a unit's or the office's webhook body, and the requester's SMS from the office's
template. No message carries anyone else's personal data (A32): a webhook names the ticket and the event,
and the unit reads the rest through the API with its own credential (masking applies there); an SMS goes
only to the requester's own number and carries the ticket number, links, and what the rules say the
requester is told (A13 reason and basis, A17 the new limit, A20 the result); for a confidential request
the detail stays behind the link.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.delivery_models import DeliveryChannelRow, MessageTemplateRow
from db.models import TicketRow, TimelineEventRow
from delivery.outbox import Claimed
from domain.calendar import SHANGHAI
from domain.delivery import FALLBACK_TEMPLATE, MESSAGE_KINDS, clip, render
from domain.phones import phone_key

# A10/A11/A18: the requester hears the reason in words, with its rule id.
NOT_ACCEPTED_REASONS = {
    "A10.1": "不属于本市行政区域或本热线受理范围",
    "A10.2": "应当通过诉讼、仲裁、行政复议等法定途径解决",
    "A10.3": "属于信访渠道受理事项",
    "A10.4": "涉及国家秘密、商业秘密或个人隐私",
    "A10.5": "内容违法或无实质诉求",
    "A10.6": "重复诉求，已按规定办理",
    "A10.7": "依法不予受理的其他情形",
    "A18": "所涉事项已书面告知终结",
    "A11": "来电受限期间占用热线资源",
}
CONFIDENTIAL_DETAIL = "请通过链接查看"


@dataclass(frozen=True)
class Context:
    """What the dispatcher reads to route and word one notice."""

    event_data: dict[str, Any]
    rule: str | None
    at: datetime
    phone: str
    confidential: bool
    state: dict[str, Any]
    webhook: DeliveryChannelRow | None
    template: str | None


async def load_contexts(
    sessions: async_sessionmaker[AsyncSession], claimed: list[Claimed]
) -> dict[str, Context]:
    """What a claim's notices need, in four queries whatever their number: their events, their tickets
    (the stored state only where a requester's message may quote the answer), the units' webhooks and
    the office's templates."""
    events_ids = {c.event_id for c in claimed}
    tickets = {c.ticket_no for c in claimed}
    texted = {c.ticket_no for c in claimed if c.recipient == "requester"}
    units = {c.recipient for c in claimed if c.recipient.startswith("unit:")}
    async with sessions() as session:
        events = {
            e.id: e
            for e in (
                await session.execute(
                    select(
                        TimelineEventRow.id, TimelineEventRow.data, TimelineEventRow.rule, TimelineEventRow.at
                    ).where(TimelineEventRow.id.in_(events_ids))
                )
            ).all()
        }
        people = {
            t.ticket_no: t
            for t in (
                await session.execute(
                    select(
                        TicketRow.ticket_no, TicketRow.requester_phone, TicketRow.requester_confidential
                    ).where(TicketRow.ticket_no.in_(tickets))
                )
            ).all()
        }
        states: dict[str, dict[str, Any]] = {}
        if texted:
            rows = await session.execute(
                select(TicketRow.ticket_no, TicketRow.state).where(TicketRow.ticket_no.in_(texted))
            )
            states = {r.ticket_no: dict(r.state) for r in rows}
        webhooks: dict[str, DeliveryChannelRow] = {}
        if units:
            found = await session.scalars(
                select(DeliveryChannelRow).where(DeliveryChannelRow.recipient.in_(units))
            )
            webhooks = {w.recipient: w for w in found if w.enabled}
        templates: dict[str, str] = {}
        if texted:
            templates = {t.kind: t.text for t in await session.scalars(select(MessageTemplateRow))}
    return {
        c.id: _context(c, events.get(c.event_id), people.get(c.ticket_no), states, webhooks, templates)
        for c in claimed
    }


def _context(
    c: Claimed,
    event: Any,
    person: Any,
    states: dict[str, dict[str, Any]],
    webhooks: dict[str, DeliveryChannelRow],
    templates: dict[str, str],
) -> Context:
    return Context(
        event_data=dict(event.data) if event else {},
        rule=event.rule if event else None,
        at=event.at if event else c.created_at,
        phone=phone_key(person.requester_phone) if person else "",
        confidential=bool(person.requester_confidential) if person else False,
        state=states.get(c.ticket_no, {}),
        webhook=webhooks.get(c.recipient),
        template=templates.get(c.kind) if c.recipient == "requester" else None,
    )


def webhook_body(c: Claimed, ctx: Context, base_url: str) -> bytes:
    """The Standard Webhooks payload shape: {type, timestamp, data}. A thin event: no requester data."""
    payload = {
        "type": f"ticket.{c.kind}",
        "timestamp": ctx.at.isoformat(),
        "data": {
            "delivery_id": c.id,
            "ticket_no": c.ticket_no,
            "event_id": c.event_id,
            "seq": c.seq,
            "kind": c.kind,
            "rule": ctx.rule,
            "recipient": c.recipient,
            "ticket_url": f"{base_url.rstrip('/')}/tickets/{c.ticket_no}",
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def local_time(value: Any) -> str:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return "—"
    return f"{instant.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def requester_values(c: Claimed, ctx: Context, links: dict[str, str]) -> dict[str, str]:
    """The placeholders of the requester's message, from the event and the ticket (nobody else's data)."""
    data = ctx.event_data
    values = {"ticket_no": c.ticket_no} | links
    if c.kind == "not_accepted":
        code = str(data.get("reason", ""))
        values["reason"] = f"{NOT_ACCEPTED_REASONS.get(code, '依规定不予受理')}（{code}）" if code else "—"
        values["basis"] = clip(str(data.get("basis") or code or "—"))
    elif c.kind == "extension_approved":
        values["extended_to"] = local_time(data.get("extended_to"))
        values["reason"] = clip(str(data.get("reason", "—")))
    elif c.kind in ("not_acceptable_confirmed", "redo_refused"):
        values["reason"] = clip(str(data.get("reason", "—")))
    elif c.kind == "closure_approved":
        values["result"] = clip(_closure_result(ctx.state))
    elif c.kind in ("joined_to", "joined_result"):
        # 并案 (A10.6): the earlier number, and (A20) the earlier ticket's result, which is this one's.
        values["earlier_no"] = str(data.get("into", "—"))
        if c.kind == "joined_result":
            values["result"] = clip(str(data.get("result") or "—"))
    elif c.kind == "rating_requested":
        values["expires_at"] = local_time(data.get("expires_at"))
    if ctx.confidential:
        # A32: whoever else reads this phone learns nothing of the matter from the message itself.
        for key in ("reason", "basis", "result"):
            if key in values:
                values[key] = CONFIDENTIAL_DETAIL
    return values


def _closure_result(state: dict[str, Any]) -> str:
    approved = [c for c in state.get("closures", []) if c.get("decision") == "approved" and c.get("closure")]
    return str(approved[-1]["closure"].get("result", "")) if approved else "—"


def requester_text(c: Claimed, ctx: Context, values: dict[str, str]) -> str:
    kind = MESSAGE_KINDS.get(c.kind)
    template = ctx.template or (kind.default if kind else FALLBACK_TEMPLATE)
    return render(template, values)
