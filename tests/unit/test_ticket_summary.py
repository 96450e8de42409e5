"""Issue 18: what Temporal UI shows about a ticket (domain/ticket_summary.py), CPU only.

The summary names the matter and the place and never the requester (A32); limits are written in China time,
a limit ending at midnight as 24:00 of its day; the search attributes an office filters by (overdue limits,
what falls due next, A23 lines yet to acknowledge) follow the clocks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.commands import Actor, Registration, Requester
from domain.rulesets import CITY, wd
from domain.ticket import ANSWER, SIGN_FOR, Clock, TicketState
from domain.ticket_summary import (
    actor_words,
    boundary_summary,
    china_time,
    current_details,
    linkage_pending,
    next_due,
    overdue,
    short_county,
    static_summary,
)
from domain.vocabulary import ActorKind, Card, Category, Channel, Stage

T0 = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shaoguan


def registration(**overrides: object) -> Registration:
    data: dict[str, object] = {
        "ticket_no": "T-0001",
        "channel": Channel.PHONE,
        "category": Category.COMPLAINT,
        "requester": Requester(name="李华", phone="13800000000", organisation="解放路居委会"),
        "content": "我是李华，电话13800000000，解放路居委会门口路灯不亮。",
        "location": "武江区解放路23号3栋502",
        "received_at": T0,
        "registered_by": Actor(kind=ActorKind.OPERATOR, id="op-1"),
    }
    return Registration.model_validate(data | overrides)


def clock(name: str, due: datetime, *, card: Card = Card.GREEN, met: datetime | None = None) -> Clock:
    return Clock(
        name=name,
        period=wd(1),
        anchor_at=T0,
        due_at=due,
        red_at=due + timedelta(days=1),
        card=card,
        met_at=met,
    )


def state(**overrides: object) -> TicketState:
    reg = registration()
    return TicketState.model_validate(
        {"ticket_no": "T-0001", "registration": reg, "rule_set": CITY, "stage": Stage.HANDLING} | overrides
    )


def test_china_time_writes_a_midnight_end_as_24_00_of_its_day() -> None:
    assert china_time(datetime(2026, 12, 16, 16, 0, tzinfo=UTC)) == "2026-12-16 24:00"
    assert china_time(T0) == "2026-12-02 09:30"


def test_the_summary_names_the_matter_and_the_road_never_the_requester() -> None:
    """A32: the summary is shown in clear, so the name, the phone, the organisation and every run of digits
    (house numbers, identity numbers) are gone from it."""
    summary = static_summary(registration())
    assert summary.startswith("投诉｜")
    assert summary.endswith("｜武江区解放路")
    for secret in ("李华", "13800000000", "解放路居委会", "23", "502"):
        assert secret not in summary
    assert static_summary(registration(emergency=True)).startswith("【紧急】投诉｜")
    assert static_summary(registration(location="")).endswith("｜地点未填")


def test_a_county_is_named_as_an_office_names_it() -> None:
    assert short_county("韶关市武江区人民政府") == "武江区"
    assert short_county("乳源瑶族自治县人民政府") == "乳源瑶族自治县"
    assert short_county("乐昌市人民政府") == "乐昌市"


def test_overdue_and_next_due_follow_the_unmet_limits_of_an_open_ticket() -> None:
    """A22: a limit past due (yellow or red) and not met is overdue; a met one is not; a closed ticket has
    none, whatever its clocks froze at."""
    s = state(
        clocks={
            SIGN_FOR: clock(SIGN_FOR, T0 + timedelta(hours=4), card=Card.YELLOW),
            ANSWER: clock(ANSWER, T0 + timedelta(days=10)),
            "linkage_ack:110": clock("linkage_ack:110", T0 + timedelta(hours=1), met=T0),
            "linkage_ack:119": clock("linkage_ack:119", T0 + timedelta(hours=1)),
        }
    )
    assert overdue(s) == [SIGN_FOR]
    assert next_due(s) == T0 + timedelta(hours=1)  # 119's acknowledgement, the earliest unmet
    assert linkage_pending(s) == ["119"]  # A23: 110 acknowledged
    concluded = s.model_copy(update={"stage": Stage.CONCLUDED})
    assert overdue(concluded) == [] and next_due(concluded) is None


def test_details_and_timer_summaries_name_the_rule_and_the_limit() -> None:
    due = datetime(2026, 12, 16, 16, 0, tzinfo=UTC)
    s = state(clocks={ANSWER: clock(ANSWER, due)})
    details = current_details(s, {})
    assert details.startswith("**办理中** · 绿牌")
    assert "A17 答复时限 2026-12-16 24:00（绿牌）" in details
    assert boundary_summary(s, due) == "A17 答复时限 到期转黄牌 2026-12-16 24:00"
    assert boundary_summary(s, due + timedelta(days=1)).startswith("A17 答复时限 超期转红牌")


def test_who_acted_names_a_unit_by_name_and_never_the_requester() -> None:
    names = {"WJ": "韶关市武江区人民政府"}
    assert actor_words("unit:WJ", names) == "承办单位 韶关市武江区人民政府（WJ）"
    assert actor_words("operator:op-7", names) == "12345热线 op-7"
    assert actor_words("requester:13800000000", names) == "诉求人"
