"""Issue 16, "Duties not modelled yet": the pure rules behind A4, A8, A14 and A15, without Temporal.

The API tier (tests/api/test_duties.py) drives the same duties through HTTP; these pin the verdicts and
the relation decision themselves, including that a ticket opened before verdicts 4 is judged as recorded.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from api.auth import Caller, Role
from api.privacy import Relation, relation_to
from domain.changes import A15_SIGN_OFF_FILED, VERDICTS_V3, VERDICTS_V4
from domain.commands import ApplyReturn, FiledSignatory, RecordAssistance, SignOff
from domain.errors import RuleViolation, VerdictKind
from domain.rulesets import CITY
from domain.stages import intake
from domain.stages.dispatch import check_assistance
from domain.stages.returns import check_return
from domain.ticket import OpeningFacts, TicketState
from domain.timeline import Step
from domain.vocabulary import ActorKind, ReturnKind, Stage
from tests.unit.stages_support import RECEIVED, U1, handled_under

U2 = U1.model_copy(update={"id": "cred-2", "unit_id": "U2"})


def a_return(filed: FiledSignatory | None) -> ApplyReturn:
    return ApplyReturn(
        actor=U1,
        kind=ReturnKind.NOT_OUR_DUTY,
        reason="r",
        basis="b",
        suggested_unit="U2",
        signed_off_by=SignOff(name="王强", title="副局长", filed=filed),
    )


# ============================================================================================= A15
def test_a15_a_sign_off_by_no_one_on_file_is_refused_from_verdicts_4() -> None:
    """A15 「应由承办单位分管领导或经授权的有关负责同志签批」, with A5's register (备案): from verdicts 4 the
    signer is a filed leader or a signatory a filed leader authorised; a ticket opened before keeps any
    name, as its history recorded it."""
    assert A15_SIGN_OFF_FILED.version == VERDICTS_V4
    check_return(handled_under(VERDICTS_V3), a_return(None))  # opened before: as recorded
    with pytest.raises(RuleViolation) as refused:
        check_return(handled_under(VERDICTS_V4), a_return(None))
    assert (refused.value.code, refused.value.rule) == ("SIGN_OFF_NOT_FILED", "A15")
    authorised = FiledSignatory(person_id=7, role="authorised_signatory", authorised_by="王强")
    check_return(handled_under(VERDICTS_V4), a_return(authorised))


# ============================================================================================= A14
def with_co_unit(stage: Stage = Stage.HANDLING) -> TicketState:
    s = handled_under(VERDICTS_V4)
    s.assignments[0].co_units = ["U2"]
    s.stage = stage
    return s


def test_a14_only_a_co_unit_records_its_assistance_while_the_ticket_is_handled() -> None:
    """A14 「相关单位应当积极配合」, A14.5 「协办单位应当积极配合办理，不得推诿」: the co-unit shows it cooperated;
    the lead, an operator or another unit cannot record assistance for it, nor after the handling."""
    cmd = RecordAssistance(actor=U2, opinion="已派员核实线路")
    check_assistance(with_co_unit(), cmd)
    check_assistance(with_co_unit(Stage.CLOSURE_REVIEW), cmd)
    for actor in (U1, U1.model_copy(update={"kind": ActorKind.OPERATOR, "unit_id": None})):
        with pytest.raises(RuleViolation) as refused:
            check_assistance(with_co_unit(), cmd.model_copy(update={"actor": actor}))
        assert refused.value.kind == VerdictKind.NOT_YOURS
    with pytest.raises(RuleViolation) as late:
        check_assistance(with_co_unit(Stage.CONCLUDED), cmd)
    assert (late.value.code, late.value.rule) == ("STAGE_FORBIDS_ACTION", "A14")


# ============================================================================================== A8
def opened(**registration: object) -> list[str]:
    s = handled_under(VERDICTS_V4)
    s.registration = s.registration.model_copy(update=registration)
    s.assignments, s.stage = [], Stage.REGISTERED
    ids = itertools.count()
    step = Step(now=RECEIVED + timedelta(minutes=1), new_id=lambda: f"e{next(ids)}")
    return [str(e.kind) for e in intake.open_ticket(s, OpeningFacts(rule_set=CITY), step)]


def test_a8_a_call_transferred_to_a_sub_centre_is_recorded_as_such() -> None:
    """A8 「分中心与12345热线建立电话转接机制……专业问题通过电话转接、派发工单等方式转分中心办理」: a transferred
    call opens with its own event; a ticket that was not transferred opens as it always did."""
    assert opened(dispatch_to="SG-12328", transferred_by_call=True) == ["registered", "call_transferred"]
    assert opened(dispatch_to="SG-12328") == ["registered"]


# ============================================================================================== A4
def county_office(county: str, credential_id: int = 9) -> Caller:
    return Caller(credential_id, Role.COUNTY_OFFICE, "武江区热线办", county, confidential_clearance=False)


@pytest.mark.parametrize(
    ("handlers", "registered_by", "expected"),
    [
        ({"WJ-URBAN"}, "cred-1", Relation.OFFICE),  # handled in its county
        ({"ZJ-HOUSING"}, "cred-1", None),  # another county's
        (set(), "cred-9", Relation.OFFICE),  # received by itself, not dispatched yet
        (set(), "cred-1", None),  # received by the city's office, not dispatched yet
        ({"ZJ-HOUSING"}, "cred-9", None),  # received by itself, then sent out of its county
    ],
)
def test_a4_a_county_office_is_the_office_of_its_own_county_s_tickets_only(
    handlers: set[str | None], registered_by: str, expected: Relation | None
) -> None:
    """A4 「由指定部门具体负责热线事项接收、转交办、督办、考核、回访、归档……等本级热线的日常运行管理工作」."""
    county = frozenset({"WJ", "WJ-URBAN", "WJ-POWER"})
    relation = relation_to(
        county_office("WJ"),
        confidential=False,
        registered_by=registered_by,
        handlers=handlers,
        co_units={"WJ-POWER"} if not handlers else set(),
        unit_scope=county,
    )
    assert relation == expected
    assert county_office("WJ").actor.kind == ActorKind.OPERATOR  # the workflow sees the office acting
