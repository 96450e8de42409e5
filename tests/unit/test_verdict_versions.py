"""Verdicts are versioned per ticket (domain/changes.py VERDICTS_LATEST): a rule that refuses what an earlier
version accepted binds only tickets opened after it. A handler re-checks its verdict on every replay, so a
running ticket's history must keep being judged as it was when recorded. Each stricter rule of version 2,
on the same state and command, refuses at 2 and lets pass at 1.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.changes import VERDICTS_LATEST
from domain.commands import (
    ApplyClosure,
    ApplyReturn,
    ContactAttempt,
    PointAnswer,
    RaiseDispute,
    RecordConsultation,
    SignOff,
)
from domain.errors import RuleViolation
from domain.stages.closure import check_closure, check_contact, requester_deemed_answered
from domain.stages.dispatch import check_consultation
from domain.stages.returns import check_dispute, check_return
from domain.ticket import Contact
from domain.vocabulary import ContactChannel, DisputeKind, ReturnKind
from tests.unit.stages_support import NOW, OPERATOR, RECEIVED, U1, handled_under

CLOSURE = ApplyClosure(
    actor=U1,
    answers=[PointAnswer(point="路灯不亮", answer="已修复")],
    handled_at=NOW + timedelta(days=30),
    process="p",
    result="r",
    basis="b",
)
STRICTER = {
    "A14.1 a suggested unit": lambda s: check_return(
        s,
        ApplyReturn(
            actor=U1,
            kind=ReturnKind.NOT_OUR_DUTY,
            reason="r",
            basis="b",
            signed_off_by=SignOff(name="王", title="长"),
        ),
    ),
    "A14.5 a designated lead disputes": lambda s: check_dispute(
        s.model_copy(update={"assignments": [s.assignments[0].model_copy(update={"designated": True})]}),
        RaiseDispute(actor=U1, kind=DisputeKind.SEVERAL_UNITS, units=["U2"], reason="r"),
    ),
    "A20 a contact before receipt": lambda s: check_contact(
        s, ContactAttempt(actor=U1, at=RECEIVED - timedelta(days=1), reached=True), NOW
    ),
    "A20 handled in the future": lambda s: check_closure(s, CLOSURE, NOW),
    "A9 a meeting before registration": lambda s: check_consultation(
        s, RecordConsultation(actor=OPERATOR, meeting="m", held_on=date(2026, 11, 1), decision="d"), NOW
    ),
}


@pytest.mark.parametrize("rule", list(STRICTER))
def test_a_stricter_rule_binds_tickets_opened_after_it(rule: str) -> None:
    STRICTER[rule](handled_under(1))  # the ticket opened under version 1: as recorded
    with pytest.raises(RuleViolation):
        STRICTER[rule](handled_under(VERDICTS_LATEST))


def test_a20_sms_failures_counted_under_version_1_only() -> None:
    failed = [
        Contact(at=RECEIVED + timedelta(days=d), channel=ContactChannel.SMS, reached=False) for d in (0, 1)
    ]
    assert requester_deemed_answered(failed, phone_calls_for_the_result=False) == failed[1].at
    assert requester_deemed_answered(failed) is None
