"""Names in the README's examples exist: every unit id and ticket number the README shows is one the demo
(`make run`) seeds, so an example typed as written finds something. tests/run runs the README's Temporal
UI queries against the running demo."""

from __future__ import annotations

import re
from pathlib import Path

from operations.demo import DEMO_UNITS
from operations.demo_tickets import DEMO_TICKETS
from workflows import search_attributes as sa

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
UNIT_ID = re.compile(r"`(?:[^`]*[\s\"'(=])?((?:WJ|SG|ZJ|U)(?:-[A-Z0-9]+)*)[\"'`)\s]")
TICKET_NO = re.compile(r"GD12345-\d{8}-[0-9A-F]{8}")
QUERY = re.compile(r"`(Hotline[A-Za-z]+ [^`]+)`")


def test_every_unit_the_readme_names_is_one_the_demo_seeds() -> None:
    named = set(UNIT_ID.findall(README)) - {"U"}
    assert named, "the README names demo units"
    assert named <= {unit_id for unit_id, *_ in DEMO_UNITS}


def test_every_ticket_number_the_readme_names_is_a_demo_ticket() -> None:
    named = set(TICKET_NO.findall(README))
    assert named and named <= {t.no for t in DEMO_TICKETS}


def test_the_readme_queries_use_registered_search_attributes() -> None:
    queries = QUERY.findall(README)
    assert queries, "the README gives ready-made Temporal UI queries"
    registered = {key.name for key in sa.ALL}
    for query in queries:
        assert set(re.findall(r"\bHotline[A-Za-z]+", query)) <= registered, query
