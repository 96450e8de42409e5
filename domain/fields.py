"""The field types every command is made of: text a clerk writes, unit ids, instants (domain/commands.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, StringConstraints

# C0/C1 control characters other than tab and line breaks, and unpaired surrogates: no clerk writes them,
# PostgreSQL's text cannot hold NUL, and a surrogate cannot be encoded as UTF-8. Let in, either would make
# the ticket's projection fail on every retry; refused at the edge, the caller hears why (422).
#
# Only at the edge (the API's bodies, api/schemas.py body_model, and its own models through `Words`), not
# in the types below: workflows decode these models again on every replay, and a rule added to them
# would make a ticket that already holds such a character undecodable.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def writable(value: str) -> str:
    if _UNWRITABLE.search(value):
        raise ValueError("text may not contain control characters (other than tab and line breaks)")
    return value


# Free text whose length the model's own Field sets (the API's reference data: KB points, units, leaders).
Words = Annotated[str, AfterValidator(writable)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
UnitId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _plausible(value: datetime) -> datetime:
    # An instant the calendar can place in Asia/Shanghai: a year 9999 with a negative offset would
    # overflow in every deadline computation and make an activity retry for ever.
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 2000 <= year <= 2200:
        raise ValueError("an instant between the years 2000 and 2200, with its offset")
    return value


def _distinct(values: list[str]) -> list[str]:
    # A unit named twice is one co-unit, a line named twice one linkage: kept once, in the order given.
    return list(dict.fromkeys(values))


Distinct = AfterValidator(_distinct)

# Every instant a caller gives: timezone-aware (a naive time cannot be placed in Asia/Shanghai) and plausible.
Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
TICKET_NO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{3,39}$"
