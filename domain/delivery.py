"""Reaching people: how each notice of the timeline travels, when it is retried, when it is given up on,
and what a requester's message says (A13, A17, A19, A20, A24, A32).

Pure rules, no I/O and no clock: the dispatcher (delivery/) reads them, the API validates the office's
templates with them, and the workflow may import `DeliveryReport` to record a delivery's outcome.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.ticket import TicketState, TimelineEvent
from domain.timeline import SYSTEM, EventKind, Step, record


class DeliveryStatus(StrEnum):
    """A delivery's status as the timeline and the API show it."""

    PENDING = "pending"  # waiting its turn or its first try
    SENT = "sent"  # handed over: an SMS gateway accepted it, or it is in the unit's feed
    ACKNOWLEDGED = "acknowledged"  # the recipient confirmed: a webhook's 2xx, a feed read past it
    FAILED = "failed"  # the last try failed; it is retried with backoff
    DEAD_LETTERED = "dead_lettered"  # not delivered within the limit: flagged to the hotline, kept
    HELD = "held"  # A23 an emergency line's notice: linkage is handled elsewhere; kept pending
    NO_CHANNEL = "no_channel"  # nobody to reach by any channel (a requester who left no mobile number)


# The statuses after which the next notice of the same ticket may go to the same recipient.
SETTLED = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.ACKNOWLEDGED,
        DeliveryStatus.DEAD_LETTERED,
        DeliveryStatus.NO_CHANNEL,
    }
)


class DeliveryReport(BaseModel):
    """What the dispatcher signals to the ticket's workflow (`delivery_reported`) at each outcome."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    recipient: str
    delivery_id: str  # the notice id: the same on every retry, the recipient dedupes on it
    status: DeliveryStatus
    at: datetime
    detail: str = ""


def record_report(state: TicketState, report: DeliveryReport, step: Step) -> TimelineEvent | None:
    """The ticket's timeline shows each delivery's status: one `delivery_reported` event per (delivery,
    status). The dispatcher reports at least once, so a repeat changes nothing, nor does a report about an
    event this ticket does not have. The event tells nobody (no notice of a notice)."""
    if not any(e.id == report.event_id for e in state.timeline):
        return None
    for e in state.timeline:
        if (
            e.kind == EventKind.DELIVERY_REPORTED
            and e.data.get("delivery_id") == report.delivery_id
            and e.data.get("status") == report.status.value
        ):
            return None
    return record(
        state,
        step,
        EventKind.DELIVERY_REPORTED,
        SYSTEM,
        None,
        [],
        event_id=report.event_id,
        recipient=report.recipient,
        delivery_id=report.delivery_id,
        status=report.status,
        detail=report.detail[:500],
        reported_at=report.at,
    )


class Route(StrEnum):
    """The channel a notice takes, chosen per recipient."""

    WEBHOOK = "webhook"  # a unit's system, Standard Webhooks signed
    FEED = "feed"  # a unit without a webhook: GET /notifications
    SMS = "sms"  # the requester
    DUTY_WEBHOOK = "duty_webhook"  # the hotline office's duty system
    LINKAGE = "linkage"  # A23: 110/119/120/122, held for the linkage work
    NONE = "none"


@dataclass(frozen=True)
class Reach:
    """What the dispatcher knows of a recipient's channels when it chooses a route."""

    unit_webhook: bool = False
    requester_phone: bool = False
    sms_gateway: bool = False
    duty_webhook: bool = False


def route_for(recipient: str, reach: Reach) -> tuple[Route, str]:
    """The route of a notice to `recipient`, and why when it goes nowhere."""
    if recipient.startswith("unit:"):
        return (Route.WEBHOOK, "") if reach.unit_webhook else (Route.FEED, "")
    if recipient.startswith("linkage:"):
        return Route.LINKAGE, "A23: an emergency line is told by the linkage work, not by this dispatcher"
    if recipient == "requester":
        # A32: the requester is reached only at the number they gave; nobody else's channel is tried.
        if not reach.requester_phone:
            return Route.NONE, "the requester left no mobile number"
        if not reach.sms_gateway:
            return Route.NONE, "no SMS gateway is configured (HOTLINE_SMS_PROVIDER)"
        return Route.SMS, ""
    if recipient == "hotline":
        if reach.duty_webhook:
            return Route.DUTY_WEBHOOK, ""
        return Route.NONE, "no duty webhook is configured (HOTLINE_DUTY_WEBHOOK_URL); see the API"
    return Route.NONE, f"unknown recipient {recipient}"


# -- retries ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff from `base`, capped, until the dead-letter limit counted from the event."""

    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=5)
    dead_letter_after: timedelta = timedelta(hours=24)

    def delay(self, attempts: int, jitter: float = 0.0) -> timedelta:
        """The wait after the `attempts`-th failed try; `jitter` in [0, 1) spreads retries of an outage."""
        exponent = min(max(attempts - 1, 0), 30)
        wait = min(self.base * (1 << exponent), self.cap)
        return wait * (1 + 0.25 * jitter)

    def dead_letter_at(self, since: datetime) -> datetime:
        return since + self.dead_letter_after

    def gives_up(self, dead_letter_at: datetime, next_try: datetime) -> bool:
        """No try after the limit: a notice whose next try would fall past it is dead-lettered now."""
        return next_try >= dead_letter_at


# -- requester messages (A13, A17, A19, A20, A24) ---------------------------------------------------------
MAX_TEMPLATE_CHARS = 300


@dataclass(frozen=True)
class MessageKind:
    event_kind: str
    rule: str
    # Placeholders the template must carry (what the regulation says the requester is told) ...
    required: frozenset[str]
    # ... and those it may carry besides.
    optional: frozenset[str]
    default: str

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional


_COMMON = frozenset({"ticket_no", "progress_link"})

MESSAGE_KINDS: dict[str, MessageKind] = {
    m.event_kind: m
    for m in (
        MessageKind(
            "registered",
            "A19",
            frozenset({"ticket_no", "progress_link"}),
            frozenset(),
            "【12345热线】您的诉求已登记，工单号{ticket_no}。查询办理进度：{progress_link}",
        ),
        MessageKind(
            "not_accepted",
            "A13",
            frozenset({"ticket_no", "reason", "basis"}),
            frozenset({"progress_link"}),
            "【12345热线】您的工单{ticket_no}不予受理。原因：{reason}。依据：{basis}。",
        ),
        MessageKind(
            "answered_at_once",
            "A12",
            frozenset({"ticket_no"}),
            _COMMON,
            "【12345热线】您的咨询（工单{ticket_no}）已当场答复，详情可在{progress_link}查看。",
        ),
        MessageKind(
            "extension_approved",
            "A17",
            frozenset({"ticket_no", "extended_to", "reason"}),
            _COMMON,
            "【12345热线】您的工单{ticket_no}经批准延期，新的办理时限为{extended_to}。原因：{reason}。",
        ),
        MessageKind(
            "closure_approved",
            "A20",
            frozenset({"ticket_no", "result"}),
            _COMMON,
            "【12345热线】您的工单{ticket_no}已办结。办理结果：{result}。详情可在{progress_link}查看。",
        ),
        MessageKind(
            "not_acceptable_confirmed",
            "A14.4",
            frozenset({"ticket_no", "reason"}),
            _COMMON,
            "【12345热线】您的工单{ticket_no}经承办单位核实不予受理。原因：{reason}。",
        ),
        MessageKind(
            "termination_notice_filed",
            "A18",
            frozenset({"ticket_no"}),
            _COMMON,
            "【12345热线】您的工单{ticket_no}所涉事项已依法书面告知终结，不再重复受理。",
        ),
        MessageKind(
            "rating_requested",
            "A24",
            frozenset({"ticket_no", "rating_link", "expires_at"}),
            _COMMON,
            "【12345热线】请对工单{ticket_no}的受理和办理各选一项评价，{expires_at}前有效：{rating_link}",
        ),
        MessageKind(
            "redo_refused",
            "A24",
            frozenset({"ticket_no", "reason"}),
            _COMMON,
            "【12345热线】您对工单{ticket_no}的重办申请经审核不予重办。原因：{reason}。",
        ),
        MessageKind(
            "redo_ordered",
            "A24",
            frozenset({"ticket_no"}),
            _COMMON,
            "【12345热线】您的工单{ticket_no}已交承办单位重新办理，时限与原工单相同。",
        ),
        MessageKind(
            "joined_to",
            "A10.6",
            frozenset({"ticket_no", "earlier_no"}),
            _COMMON,
            "【12345热线】您反映的事项（工单{ticket_no}）与工单{earlier_no}为同一事项，已并案办理，"
            "办理结果将一并告知您。",
        ),
        MessageKind(
            "joined_result",
            "A20",
            frozenset({"ticket_no", "result"}),
            _COMMON | {"earlier_no"},
            "【12345热线】您的工单{ticket_no}已并入工单{earlier_no}办理，现已办结。办理结果：{result}。"
            "详情可在{progress_link}查看。",
        ),
        MessageKind(
            "supplement_published",
            "A21",
            frozenset({"ticket_no"}),
            _COMMON,
            "【12345热线】您的工单{ticket_no}有新的补充答复，可在{progress_link}查看。",
        ),
    )
}
# A kind without a template of its own still reaches the requester, with no detail.
FALLBACK_TEMPLATE = "【12345热线】您的工单{ticket_no}有新进展，可在{progress_link}查看。"


class TemplateError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as err:  # an unpaired brace
        raise TemplateError("TEMPLATE_MALFORMED", f"the template does not parse: {err}") from err


_NAME = re.compile(r"^[a-z_]+$")


def check_template(event_kind: str, text: str) -> None:
    """Refuse a template that would leave the requester uninformed or could not be filled in."""
    kind = MESSAGE_KINDS.get(event_kind)
    if kind is None:
        raise TemplateError("UNKNOWN_MESSAGE_KIND", f"no requester message for {event_kind}")
    if not text.strip() or len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError("TEMPLATE_LENGTH", f"a template holds 1–{MAX_TEMPLATE_CHARS} characters")
    used = placeholders(text)
    odd = sorted(n for n in used if not _NAME.match(n) or n not in kind.allowed)
    if odd:
        allowed = ", ".join(sorted(kind.allowed))
        raise TemplateError("UNKNOWN_PLACEHOLDER", f"unknown placeholder(s) {odd}; allowed: {allowed}")
    missing = sorted(kind.required - used)
    if missing:
        raise TemplateError("MISSING_PLACEHOLDER", f"{kind.rule}: the message must carry {missing}")


def render(text: str, values: dict[str, str]) -> str:
    """Fill a checked template; a value missing from `values` (an event without it) renders as "—"."""
    return string.Formatter().vformat(text, (), _Defaulting(values))


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "—"


def clip(text: str, size: int = 120) -> str:
    """A requester's message carries short texts: a long answer is cut, the link has the rest."""
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"
