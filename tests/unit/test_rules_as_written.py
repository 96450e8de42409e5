"""Issue 16, "Enforced differently from the text": each rule as the regulation's text says it, without Temporal
(the transitions of domain/stages/ on a ticket's state). Each test quotes the text it enforces; the API and
workflow tiers (tests/api/test_rules_as_written.py) show the same through a running ticket."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.changes import VERDICTS_V3
from domain.commands import (
    ApplyClosure,
    ApplyExtension,
    ApplySupplement,
    ContactAttempt,
    DecideRedo,
    Dispatch,
    FiledSignatory,
    PointAnswer,
    RecordCallback,
    Registration,
    Requester,
    Review,
    SignOff,
    WrittenAnswer,
)
from domain.errors import RuleViolation
from domain.rulesets import CITY, PROVINCIAL, RuleSet, county_rule_set, lapsed_on, wd
from domain.stages import closure, dispatch, ending, extension, intake, rating, returns
from domain.ticket import ANSWER, OpeningFacts, TicketState
from domain.timeline import EventKind
from domain.vocabulary import Category, Channel, ContactChannel, ContactPurpose, Outcome, Stage
from tests.unit.stages_support import (
    OPERATOR,
    RECEIVED,
    U1,
    kinds,
    opened,
    planned,
    rated,
    return_of,
    step,
)
from tests.unit.stages_support import handling as stages_handling


def handling() -> TicketState:
    """A ticket being handled whose requester left a number (tests/unit/stages_support.py's left none)."""
    state = stages_handling()
    requester = Requester(name="李华", phone="13800000000")
    state.registration = state.registration.model_copy(update={"requester": requester})
    return state


def refusal(check: object, *args: object) -> tuple[str, str | None]:
    with pytest.raises(RuleViolation) as caught:
        check(*args)  # type: ignore[operator]
    return caught.value.code, caught.value.rule


# -- A17.4 ---------------------------------------------------------------------------------------------------
def test_a17_4_provincial_tickets_follow_the_guangdong_measures() -> None:
    """A17(4) 「省级平台通过 12345 热线交办的诉求，按省级有关规定办理」: 《广东省12345政务服务便民热线管理办法》
    (粤办函〔2022〕230号) gives 2 WD for consultations, 10 WD for help requests and suggestions, 15 WD for
    complaints and reports."""
    limits = {category: period.working_days for category, period in PROVINCIAL.answer_limits.items()}
    assert limits == {
        Category.CONSULTATION: 2,
        Category.HELP: 10,
        Category.SUGGESTION: 10,
        Category.COMPLAINT: 15,
        Category.REPORT: 15,
    }
    assert "粤办函〔2022〕230号" in PROVINCIAL.basis
    # A new version: tickets that opened under provincial@1 (the city's 10 WD) keep it in their state.
    assert PROVINCIAL.version == 2


# -- A17: one extension granted ------------------------------------------------------------------------------
def refused_extension(state: TicketState) -> None:
    extension.check_extension(state, ApplyExtension(actor=U1, reason="需协调", requester_told=True), RECEIVED)
    extension.apply_extension(state, ApplyExtension(actor=U1, reason="需协调", requester_told=True), step())
    review = Review(actor=OPERATOR, approve=False, reason="理由不充分")
    extension.review_extension(state, review, step(), {})


def test_a17_a_refused_extension_does_not_use_up_the_one_extension() -> None:
    """A17 「延期办理只能 1 次」: one extension granted; a refused application does not use it up."""
    state = handling()
    refused_extension(state)
    again = ApplyExtension(actor=U1, reason="新增情况", requester_told=True)
    extension.check_extension(state, again, RECEIVED + timedelta(hours=1))  # no refusal
    extension.apply_extension(state, again, step())
    review = Review(actor=OPERATOR, approve=True)
    items = extension.review_extension_plan(state, review, RECEIVED)
    extension.review_extension(state, review, step(), planned(state, items))
    assert len(state.clocks[ANSWER].then) == 1
    # Granted once: that is the one.
    assert refusal(extension.check_extension, state, again, RECEIVED) == ("EXTENSION_ALREADY_USED", "A17")


def test_a17_a_ticket_opened_before_verdicts_4_counts_every_application_as_recorded() -> None:
    state = handling()
    state.verdicts = VERDICTS_V3
    refused_extension(state)
    again = ApplyExtension(actor=U1, reason="新增情况", requester_told=True)
    assert refusal(extension.check_extension, state, again, RECEIVED) == ("EXTENSION_ALREADY_USED", "A17")


# -- A24: a redo forbids only the extension ------------------------------------------------------------------
def in_redo() -> TicketState:
    state = rated(["dissatisfied"])
    rating.record_callback(
        state,
        RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=True),
        step(),
    )
    redo = DecideRedo(actor=OPERATOR, approve=True, reason="未解决")
    rating.decide_redo(state, redo, step(), planned(state, rating.redo_plan(state, redo, RECEIVED)))
    return state


def test_a24_a_return_during_a_redo_follows_a14_1() -> None:
    """A24 「重办时限与原工单时限一致，重办以一次为限，不得延期办理」 forbids the extension, nothing else: a
    return in a redo follows A14.1 (within its window from the redo's receipt, reviewed under A16)."""
    state = in_redo()
    # Signed off by a leader the unit filed with the office (A15, verdicts 4).
    filed = SignOff(name="王强", title="副局长", filed=FiledSignatory(person_id=1, role="leader_in_charge"))
    returns.check_return(state, return_of(signed_off_by=filed))  # no refusal
    assert kinds(returns.apply_return(state, return_of(signed_off_by=filed), step())) == [
        EventKind.RETURN_APPLIED
    ]
    assert state.stage == Stage.RETURN_REVIEW
    # The extension stays forbidden.
    ask = ApplyExtension(actor=U1, reason="需协调", requester_told=True)
    state.stage = Stage.HANDLING
    assert refusal(extension.check_extension, state, ask, RECEIVED) == ("NO_EXTENSION_IN_REDO", "A24")


def test_a24_a_redo_opened_before_verdicts_4_refuses_the_return_as_recorded() -> None:
    state = in_redo()
    state.verdicts = VERDICTS_V3
    assert refusal(returns.check_return, state, return_of()) == ("REDO_CANNOT_RETURN", "A24")


# -- A20: anonymous requests ---------------------------------------------------------------------------------
def anonymous_handling() -> TicketState:
    state = handling()
    state.registration = state.registration.model_copy(update={"requester": Requester(name="匿名")})
    return state


def answer(**kw: object) -> ApplyClosure:
    fields: dict[str, object] = {
        "actor": U1,
        "answers": [PointAnswer(point="路灯不亮", answer="已修复")],
        "handled_at": RECEIVED + timedelta(hours=2),
        "process": "p",
        "result": "r",
        "basis": "b",
    }
    return ApplyClosure.model_validate(fields | kw)


def test_a20_an_anonymous_request_cannot_be_told_by_phone_and_its_closure_says_why() -> None:
    """A20 「承办单位工作人员连续 2 天拨打诉求人联系电话（手机）均未果的，视为已答复」 presumes a number: a
    request with none cannot be told by phone; its closure records why nobody was told."""
    state = anonymous_handling()
    call = ContactAttempt(actor=U1, at=RECEIVED + timedelta(hours=2), reached=False)
    at = RECEIVED + timedelta(hours=3)
    assert refusal(closure.check_contact, state, call, at) == ("NO_PHONE_ON_RECORD", "A20")
    assert refusal(closure.check_closure, state, answer(), at) == ("NO_CONTACT_REASON_REQUIRED", "A20")
    why = answer(no_contact_reason="诉求人匿名反映，未留联系方式，无法告知办理结果")
    closure.check_closure(state, why, at)
    events = closure.apply_closure(state, why, step(at))
    assert events[0].data["no_contact_reason"] == why.no_contact_reason


def test_a20_a_requester_with_a_number_is_still_told_first() -> None:
    state = handling()
    at = RECEIVED + timedelta(hours=3)
    why = answer(no_contact_reason="未留联系方式")
    assert refusal(closure.check_closure, state, why, at) == ("REQUESTER_NOT_INFORMED", "A20")


# -- A20: the unit's name -------------------------------------------------------------------------------------
def told(state: TicketState, *, asks_in_writing: bool = False) -> None:
    at = RECEIVED + timedelta(hours=2)
    contact = ContactAttempt(
        actor=U1, at=at, reached=True, purpose=ContactPurpose.RESULT, written_answer_requested=asks_in_writing
    )
    closure.check_contact(state, contact, at)
    closure.record_contact(state, contact, step(at))


def test_a20_a_written_answer_asked_for_is_issued_in_the_unit_s_name() -> None:
    """A20 「若诉求人要求提供书面答复材料，则须以本单位名义予以答复」: asked for (here when the unit reached
    the requester), the closure carries the document, issued by the unit handling the ticket."""
    state = handling()
    told(state, asks_in_writing=True)
    assert state.written_answer_requested_at is not None
    assert state.timeline[-2].kind == EventKind.WRITTEN_ANSWER_REQUESTED
    at = RECEIVED + timedelta(hours=3)
    assert refusal(closure.check_closure, state, answer(), at) == ("WRITTEN_ANSWER_REQUIRED", "A20")
    elsewhere = answer(written_answer=WrittenAnswer(document_ref="韶府函〔2026〕1号", issuing_unit="CITY"))
    assert refusal(closure.check_closure, state, elsewhere, at) == ("WRITTEN_ANSWER_NOT_IN_UNIT_NAME", "A20")
    own = answer(written_answer=WrittenAnswer(document_ref="武城管函〔2026〕12号", issuing_unit="U1"))
    closure.check_closure(state, own, at)
    closure.apply_closure(state, own, step(at))
    closure.review_closure(state, Review(actor=OPERATOR, approve=True), step(at))
    assert state.answering_unit() == "U1"


def test_a20_a_written_answer_asked_for_at_registration() -> None:
    state = handling()
    state.registration = state.registration.model_copy(update={"written_answer_requested": True})
    reopened = TicketState(ticket_no=state.ticket_no, registration=state.registration, rule_set=CITY)
    intake.open_ticket(reopened, OpeningFacts(rule_set=CITY), step())
    assert reopened.written_answer_requested_at == RECEIVED


def test_a20_only_a_requester_reached_asks_for_it_in_writing() -> None:
    state = handling()
    at = RECEIVED + timedelta(hours=2)
    missed = ContactAttempt(actor=U1, at=at, reached=False, written_answer_requested=True)
    assert refusal(closure.check_contact, state, missed, at) == ("WRITTEN_ANSWER_ASKED_UNREACHED", "A20")


# -- A33: county rule sets apply by themselves ---------------------------------------------------------------
WUJIANG = county_rule_set("440203", "武江区 12345 工单办理细则", county_unit_id="WJ", sign_for=wd(2))


def test_a33_the_first_dispatch_brings_the_county_s_own_rules() -> None:
    """A33 「各县（市、区）12345 热线管理机构……可根据本细则制定本级热线管理或实施细则」: a ticket led by a unit
    of a county with its own rules takes them, the operator naming nothing."""
    state = opened()
    cmd = Dispatch(actor=OPERATOR, lead_unit="WJ-URBAN", county_rule_set=WUJIANG)
    items = dispatch.dispatch_plan(state, cmd, RECEIVED)
    assert {i.name: i.period for i in items}["sign_for"] == wd(2)
    events = dispatch.dispatch(state, cmd, step(), planned(state, items))
    assert kinds(events) == [EventKind.RULE_SET_ADOPTED, EventKind.DISPATCHED]
    assert state.rule_set == WUJIANG and events[0].data == {"before": CITY.key, "after": WUJIANG.key}


@pytest.mark.parametrize(
    "changed",
    [
        {"channel": Channel.PROVINCIAL_PLATFORM},  # A17.4: the platform's rules wherever it is handled
        {"rule_set_id": "city"},  # the operator named a set
    ],
)
def test_a33_a_county_s_rules_do_not_override_a_platform_or_a_named_set(changed: dict[str, object]) -> None:
    state = opened()
    state.registration = state.registration.model_copy(update=changed)
    cmd = Dispatch(actor=OPERATOR, lead_unit="WJ-URBAN", county_rule_set=WUJIANG)
    assert dispatch.county_rules(state, cmd) is None


def test_a33_a_re_dispatch_keeps_the_rule_set_the_ticket_has() -> None:
    state = handling()  # dispatched once: its limits run under the city's rules
    cmd = Dispatch(actor=OPERATOR, lead_unit="WJ-URBAN", county_rule_set=WUJIANG)
    assert dispatch.county_rules(state, cmd) is None


def test_a33_a_ticket_opened_before_verdicts_4_keeps_its_set_at_dispatch() -> None:
    state = opened()
    state.verdicts = VERDICTS_V3
    cmd = Dispatch(actor=OPERATOR, lead_unit="WJ-URBAN", county_rule_set=WUJIANG)
    assert dispatch.county_rules(state, cmd) is None


# -- A35: validity ---------------------------------------------------------------------------------------------
def test_a35_the_city_s_rules_ran_three_years_from_their_issue() -> None:
    """A35 「本细则自印发之日起施行，有效期 3 年」: issued 2022-11-04 (韶府办发函〔2022〕174号), in force to
    2025-11-03. A ticket registered after is flagged, not refused."""
    assert (CITY.valid_from, CITY.valid_until) == (date(2022, 11, 4), date(2025, 11, 3))
    assert CITY.in_force_on(date(2025, 11, 3)) and not CITY.in_force_on(date(2025, 11, 4))
    assert not lapsed_on(CITY, date(2025, 11, 3)) and lapsed_on(CITY, date(2025, 11, 4))
    state = opened()  # registered 2026-11-23 under city@2
    assert state.rule_set_lapsed() and state.stage == Stage.REGISTERED
    successor = CITY.model_copy(update={"version": 3, "valid_from": date(2025, 11, 4), "valid_until": None})
    assert not state.model_copy(update={"rule_set": successor}).rule_set_lapsed()
    with pytest.raises(ValueError, match="valid_until"):
        RuleSet.model_validate(CITY.model_dump() | {"valid_until": date(2022, 1, 1)})


# -- A21: no time bar -----------------------------------------------------------------------------------------
def test_a21_an_archived_ticket_reopens_for_a_supplementary_answer() -> None:
    """A21 「已办结的事项有新进展情况的，可申请补充答复」 sets no time limit: archived, the ticket reopens for
    the application (concluded again, its outcome unchanged) and archives again once none is under way."""
    state = rated(["satisfied"])
    assert state.archive_at is not None
    ending.archive_when_due(state, step(state.archive_at))
    assert state.stage == Stage.ARCHIVED and ending.may_reopen(state)
    later = state.archive_at + timedelta(days=400)
    events = ending.reopen_for_supplement(state, step(later))
    assert kinds(events) == [EventKind.REOPENED_FOR_SUPPLEMENT] and events[0].notify == ["hotline"]
    assert (state.stage, state.outcome) == (Stage.CONCLUDED, Outcome.CLOSED)
    apply = ApplySupplement(actor=U1, reason="改造工程已立项")
    ending.check_apply_supplement(state, apply)
    ending.apply_supplement(state, apply, step(later))
    # Under way past the (new) archive date: it waits for the supplement.
    assert ending.archive_when_due(state, step(later + timedelta(days=1))) == []


def test_a21_only_a_closed_archived_ticket_reopens() -> None:
    state = rated(["satisfied"])
    state.stage = Stage.ARCHIVED
    state.outcome = Outcome.TERMINATED
    assert not ending.may_reopen(state)
    assert ending.reopen_for_supplement(state, step()) == [] and state.stage == Stage.ARCHIVED


def test_registration_keeps_decoding_without_the_new_fields() -> None:
    """Histories recorded before these fields decode with their defaults."""
    reg = opened().registration.model_dump(mode="json", exclude={"written_answer_requested"})
    assert Registration.model_validate(reg).written_answer_requested is False
