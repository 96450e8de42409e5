"""A17.4/A17.5/A33: the rule set a new ticket keeps for life (domain/rulesets.py)."""

from __future__ import annotations

import pytest

from domain.rulesets import CITY, NATIONAL, PROVINCIAL, rule_set_id_for
from domain.vocabulary import Channel


@pytest.mark.parametrize(
    ("channel", "rule_set"),
    [(Channel.PROVINCIAL_PLATFORM, PROVINCIAL.id), (Channel.NATIONAL_PLATFORM, NATIONAL.id)]
    + [(c, CITY.id) for c in Channel if c not in {Channel.PROVINCIAL_PLATFORM, Channel.NATIONAL_PLATFORM}],
)
def test_a17_4_a17_5_a_platform_ticket_follows_its_platforms_rules_others_the_citys(
    channel: Channel, rule_set: str
) -> None:
    assert rule_set_id_for(channel) == rule_set


def test_a33_a_rule_set_chosen_at_registration_wins_over_the_channel() -> None:
    assert rule_set_id_for(Channel.NATIONAL_PLATFORM, "county-440203") == "county-440203"
