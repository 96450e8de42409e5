"""What every cached ticket shares in a worker process instead of holding its own copy (issue 17, B3)."""

from __future__ import annotations

from domain.rulesets import CITY, shared
from domain.ticket import TicketInput
from workflows.converter import HotlinePayloadConverter


def test_equal_rule_sets_are_one_object_and_a_different_one_is_its_own() -> None:
    first = shared(CITY.model_copy(deep=True))
    again = CITY.model_copy(deep=True)
    assert again is not first and shared(again) is first
    # The same id and version with other content (never expected) keeps the ticket's own: nothing is lost.
    other = CITY.model_copy(update={"title": "another text"})
    assert shared(other) is other


def test_every_workflows_payload_converter_uses_one_type_adapter_cache() -> None:
    """The SDK makes a payload converter per workflow; the TypeAdapters they build are the process's."""

    def adapters(converter: HotlinePayloadConverter) -> object:
        [json_converter] = [c for c in converter.converters.values() if hasattr(c, "_type_adapter")]
        return json_converter._type_adapter(TicketInput)

    assert adapters(HotlinePayloadConverter()) is adapters(HotlinePayloadConverter())
