"""The three rates (domain/rates.py), each limit's basis (domain/clocks.py) and the projection's holding
unit per event (activities/projection.py), without a database."""

from __future__ import annotations

import pytest

from activities.projection import event_holders, unit_rows
from domain.clocks import CARDED, CLOCKS, STATUTORY_CARDED, LimitBasis, basis_of
from domain.commands import ReviewReturn
from domain.rates import RateCounts, rate
from domain.stages import returns
from domain.ticket import ANSWER, HANDLE, SIGN_FOR
from tests.unit.stages_support import OPERATOR, RECEIVED, handling, planned, return_of, step


def test_a_rate_is_its_counts_to_four_places_and_null_with_nothing_to_measure() -> None:
    assert rate(100, 120).model_dump() == {"numerator": 100, "denominator": 120, "value": 0.8333}
    assert rate(0, 0).value is None
    with pytest.raises(ValueError):
        rate(3, 2)


def test_the_city_s_rates_sum_the_units_counts_not_their_rates() -> None:
    u1 = RateCounts(received=120, responded=100, resolution_asked=90, resolved=60, rated=100, satisfied=90)
    u2 = RateCounts(received=80, responded=80, resolution_asked=60, resolved=60, rated=60, satisfied=60)
    city = u1.add(u2).rates()
    # (100 + 80) / 200 = 0.9, where the mean of 0.8333 and 1.0 would be 0.9167
    assert (city.response.value, city.resolution.value, city.satisfaction.value) == (0.9, 0.8, 0.9375)


def test_a17_a22_every_limit_names_who_set_it_and_only_the_regulation_s_are_statutory() -> None:
    assert all(isinstance(spec.basis, LimitBasis) for spec in CLOCKS)
    # The regulation fixes no sign-for limit: the office set it (domain/rulesets.py).
    assert basis_of(SIGN_FOR) == LimitBasis.OFFICE_SET
    assert basis_of(ANSWER) == basis_of(HANDLE) == LimitBasis.STATUTORY  # A17, A17.3
    assert set(STATUTORY_CARDED) == {ANSWER, HANDLE} and set(STATUTORY_CARDED) < set(CARDED)
    # A limit only a later table knows is never called statutory.
    assert basis_of("some_later_limit") == LimitBasis.OFFICE_SET


def test_a6_each_projected_event_is_charged_to_the_unit_holding_the_ticket_then() -> None:
    """An approved return re-dispatches: the events before the new receipt (and the receipt itself) are the
    returning unit's, the ones after it the new lead's, whether the batch is the whole timeline (a rebuild)
    or only its newest events (a projection)."""
    state = handling()
    later = RECEIVED
    returns.apply_return(state, return_of(), step(later))
    review = ReviewReturn(actor=OPERATOR, return_id="R1", approve=True)
    returns.review_return(
        state, review, step(later), planned(state, returns.review_return_plan(state, review, later))
    )
    kinds = [e.kind for e in state.timeline]
    assert kinds == [
        "registered",
        "dispatched",
        "signed_for",
        "return_applied",
        "return_approved",
        "dispatched",
    ]
    assert event_holders(state) == [None, None, "U1", "U1", "U1", "U1"]
    newest = state.model_copy(update={"timeline": state.timeline[3:]})
    assert event_holders(newest) == ["U1", "U1", "U1"]
    after = state.model_copy(update={"timeline": state.timeline[5:]})
    assert event_holders(after) == ["U1"]
    assert [r["unit"] for r in unit_rows(state)] == ["U2"]
