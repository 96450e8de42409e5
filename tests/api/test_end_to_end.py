"""Issue 3, must-show 1: one complaint through HTTP from registration to its final rating.

Registered and dispatched, returned and re-dispatched (A14.1), signed for late (A22 yellow), extended (A17),
closure sent back then approved (A20), rated dissatisfied, called back and redone (A24), rated again: with
the deadlines and cards the rules give at each step. The week is controlled: this year's and next year's
notices are loaded with no holidays, and the ticket is received on a Monday at 09:00 Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.support import Api, at, closure_body, end_of
from tests.driver import own_time_skipping_server

SIGN_OFF = {"name": "王强", "title": "副局长"}


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """This test moves the clock by weeks: it needs a time-skipping server of its own."""
    async with own_time_skipping_server() as env:
        yield env


def clock(view: dict, name: str) -> dict:
    return view["clocks"][name]


async def test_a_complaint_from_registration_to_its_final_rating(api: Api) -> None:
    await api.weekends_only()
    monday = await api.next_monday()
    day = monday.date()

    def d(n: int) -> date:  # D0 is the Monday of week 1
        return day + timedelta(days=n)

    await api.sleep_until(monday)

    # -- D0 09:00: registered by an operator and dispatched to the urban-management bureau (A2, A12).
    created = await api.register(dispatch_to="WJ-URBAN")
    no = created["ticket_no"]
    assert no.startswith("GD12345-") and created["access_secret"] and created["rating_code"]
    t = await api.ticket(no)
    assert (t["stage"], t["lead_unit"], t["card"]) == ("dispatched", "WJ-URBAN", "green")
    assert abs(at(t["received_at"]) - monday) < timedelta(seconds=5)  # received_at defaults to now
    # Sign for within 1 WD; answer a complaint within 10 WD (A17.2): D1..D4, D7..D11, D14.
    assert at(clock(t, "sign_for")["due_at"]) == end_of(d(1))
    assert at(t["answer_due_at"]) == end_of(d(14))
    # A22: red more than 2 WD past the limit.
    assert at(clock(t, "answer")["red_at"]) == end_of(d(16))

    # -- D0 10:00: not its duty: the bureau applies to return it, signed off by its leader (A14.1, A15).
    await api.sleep_until(monday + timedelta(hours=1))
    t = await api.act(
        no,
        "returns",
        {
            "kind": "not_our_duty",
            "reason": "路灯由供电局维护",
            "basis": "《韶关市城市照明管理办法》第五条",
            "suggested_unit": "WJ-POWER",
            "signed_off_by": SIGN_OFF,
        },
        as_="urban",
    )
    assert t["stage"] == "return_review"
    assert (t["returns"][0]["id"], t["returns"][0]["overdue"]) == ("R1", False)

    # -- D1 10:00: approved and re-dispatched to the power utility: its limits restart (A14.1).
    await api.sleep_until(monday + timedelta(days=1, hours=1))
    t = await api.act(no, "returns/R1/review", {"approve": True, "reason": "属供电局职责"})
    assert (t["stage"], t["lead_unit"]) == ("dispatched", "WJ-POWER")
    assert at(clock(t, "sign_for")["due_at"]) == end_of(d(2))
    assert at(t["answer_due_at"]) == end_of(d(15))  # D2..D4, D7..D11, D14, D15
    assert t["card"] == "green"
    # The bureau no longer handles it, and is not above the utility: the ticket is gone for it (A32).
    assert (await api.get(f"/tickets/{no}", as_="urban")).status_code == 404

    # -- D3 09:00: the sign-for limit (24:00 of D2) has passed: yellow (A22). Signing for now keeps it.
    await api.sleep_until(monday + timedelta(days=3))
    t = await api.ticket(no, as_="power")
    assert (clock(t, "sign_for")["card"], t["card"]) == ("yellow", "yellow")
    t = await api.act(no, "sign-for", as_="power")
    assert t["stage"] == "handling"
    assert clock(t, "sign_for")["met_at"] is not None and t["card"] == "yellow"
    assert clock(t, "answer")["card"] == "green"

    # -- D3 09:30: extension applied and approved: one more period of 10 WD after the original limit (A17).
    await api.sleep_until(monday + timedelta(days=3, minutes=30))
    t = await api.act(no, "extension", {"reason": "需更换地下电缆", "requester_told": True}, as_="power")
    assert t["stage"] == "extension_review"
    await api.sleep_until(monday + timedelta(days=3, hours=1))
    t = await api.act(no, "extension/review", {"approve": True, "reason": "理由充分"})
    assert t["stage"] == "handling"
    extended = end_of(d(29))  # D16..D18, D21..D25, D28, D29
    assert at(t["answer_due_at"]) == extended
    assert at(t["extensions"][0]["extended_to"]) == extended
    # At most one extension (A17).
    second = await api.refused(no, "extension", {"reason": "again", "requester_told": True}, as_="power")
    assert (second.status_code, second.json()["code"], second.json()["rule"]) == (
        409,
        "EXTENSION_ALREADY_USED",
        "A17",
    )

    # -- D7 10:00: the requester is told the result; closure applied, then sent back (A20).
    await api.sleep_until(monday + timedelta(days=7, hours=1))
    await api.act(
        no,
        "contacts",
        {"channel": "phone", "purpose": "result", "reached": True, "note": "已告知"},
        as_="power",
    )
    t = await api.act(no, "closure", closure_body(t["request_points"], await api.now()), as_="power")
    assert t["stage"] == "closure_review" and clock(t, "answer")["met_at"] is not None
    await api.sleep_until(monday + timedelta(days=7, hours=2))
    t = await api.act(no, "closure/review", {"approve": False, "reason": "未说明维修时限的依据"})
    # Sent back: the limit still counts from the first receipt, unchanged (A20).
    assert t["stage"] == "handling" and clock(t, "answer")["met_at"] is None
    assert at(t["answer_due_at"]) == extended

    # -- D8: closure applied again and approved; the requester is asked to rate within 24 hours (A24).
    await api.sleep_until(monday + timedelta(days=8, hours=1))
    await api.act(no, "closure", closure_body(t["request_points"], await api.now()), as_="power")
    approved_at = monday + timedelta(days=8, hours=2)
    await api.sleep_until(approved_at)
    t = await api.act(no, "closure/review", {"approve": True})
    assert (t["stage"], t["outcome"], t["card"]) == ("rating", "closed", "yellow")
    assert abs(at(t["ratings"][0]["expires_at"]) - (approved_at + timedelta(hours=24))) < timedelta(seconds=5)

    # -- The requester follows the ticket with the secret (A19) and rates the handling dissatisfied (A24).
    secret, code = {"X-Access-Secret": created["access_secret"]}, {"X-Rating-Code": created["rating_code"]}
    public = (await api.get(f"/public/tickets/{no}", as_=None, headers=secret)).json()
    assert public["stage"] == "rating" and public["answer"]["result"] == "路灯已恢复照明"
    assert (
        public["extension"]["reason"] == "需更换地下电缆"
        and at(public["extension"]["extended_to"]) == extended
    )
    rated = await api.post(
        f"/public/tickets/{no}/rating",
        {"acceptance": ["satisfied"], "handling": ["dissatisfied"]},
        as_=None,
        headers=code,
    )
    assert rated.status_code == 200 and rated.json()["stage"] == "callback"

    # -- D8 14:00: called back; the requester wants a redo, which the hotline orders (A24).
    redo_at = monday + timedelta(days=8, hours=5)
    await api.sleep_until(redo_at)
    t = await api.act(no, "callbacks", {"channel": "phone", "reached": True, "wants_redo": True})
    assert t["stage"] == "callback"
    t = await api.act(no, "redo", {"approve": True, "reason": "问题未彻底解决"})
    # Same limit as the original (10 WD) from now, handled at once, no extension (A24): D9..D11, D14..D18,
    # D21, D22. The late sign-for keeps its yellow card.
    assert (t["stage"], t["lead_unit"], t["redo_count"]) == ("handling", "WJ-POWER", 1)
    assert at(t["answer_due_at"]) == end_of(d(22))
    assert clock(t, "answer")["card"] == "green" and t["card"] == "yellow"
    no_extension = await api.refused(
        no, "extension", {"reason": "需更多时间", "requester_told": True}, as_="power"
    )
    assert (no_extension.json()["code"], no_extension.json()["rule"]) == ("NO_EXTENSION_IN_REDO", "A24")

    # -- D9: redone; the unit tells the requester its new result (A20), is approved; the second rating is
    # final (A24), even dissatisfied: the hotline calls back once more and that concludes it, no second redo.
    await api.sleep_until(monday + timedelta(days=9, hours=1))
    await api.act(
        no,
        "contacts",
        {"channel": "phone", "purpose": "result", "reached": True, "note": "已告知重办结果"},
        as_="power",
    )
    t = await api.act(no, "closure", closure_body(t["request_points"], await api.now()), as_="power")
    await api.sleep_until(monday + timedelta(days=9, hours=2))
    t = await api.act(no, "closure/review", {"approve": True})
    assert t["stage"] == "rating" and t["ratings"][-1]["final"] is True
    rated = await api.post(
        f"/public/tickets/{no}/rating",
        {"acceptance": ["satisfied"], "handling": ["dissatisfied"]},
        as_=None,
        headers=code,
    )
    assert rated.status_code == 200
    assert (rated.json()["stage"], rated.json()["outcome"]) == ("callback", "closed")
    called = await api.act(no, "callbacks", {"channel": "phone", "reached": True, "wants_redo": True})
    assert (called["stage"], called["redo_count"]) == ("concluded", 1)
    # A round is rated once.
    again = await api.post(
        f"/public/tickets/{no}/rating",
        {"acceptance": ["satisfied"], "handling": ["satisfied"]},
        as_=None,
        headers=code,
    )
    assert again.status_code == 409

    # -- The unit's queue (SQL read model) shows the same stage, deadline and card.
    t = await api.ticket(no)
    line = await api.listed(no, t["revision"], as_="power", role="lead")
    assert (line["stage"], line["card"], at(line["answer_due_at"])) == ("concluded", "yellow", end_of(d(22)))
    kinds = [e["kind"] for e in t["timeline"]]
    for kind in (
        "registered",
        "dispatched",
        "return_applied",
        "return_approved",
        "signed_for",
        "extension_approved",
        "closure_sent_back",
        "closure_approved",
        "rated",
        "callback_recorded",
        "redo_ordered",
        "concluded",
    ):
        assert kind in kinds, kind
