"""Attack A11: a restricted number was registered again by writing it with invisible or full-width characters.

Zero-width space and joiner, a byte-order mark, direction marks, a soft hyphen, full-width digits and "＋86",
"tel:" and slashes each got a restricted caller's phone request accepted. Now every spelling is reduced to
one (domain/phones.py phone_key: NFKC, digits and a leading +, +86/0086 folded) where the restriction is
stored and where the registration is, and a number with letters in it is refused (422 INVALID_PHONE).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import RestrictedCallerRow, TicketRow
from domain.phones import phone_key
from tests.api.support import Api

RESTRICTED = "13400005555"
# Each was accepted before the fix: the restriction's number written as the attacker wrote it.
DODGES = {
    "zero-width space": "134\u200b0000\u200b5555",
    "zero-width joiner": "134\u200d0000\u200d5555",
    "byte-order mark": "\ufeff13400005555",
    "left-to-right mark": "\u200e13400005555",
    "right-to-left mark": "134\u200f00005555",
    "direction marks around": "\u200e\u200f13400005555\u200f",
    "soft hyphen": "134\u00ad0000\u00ad5555",
    "full-width digits": "１３４００００５５５５",
    "full-width plus and digits": "＋８６１３４００００５５５５",
    "full-width plus": "＋86 134 0000 5555",
    "tel: scheme": "tel:13400005555",
    "tel: with +86": "tel:+86-134-0000-5555",
    "TEL: in capitals": "TEL:+8613400005555",
    "full-width tel:": "ｔｅｌ：13400005555",
    "slashes": "134/0000/5555",
    "0086 and spaces": "0086 134 0000 5555",
    "brackets round +86": "(+86) 134 0000 5555",
    "everything at once": "\ufeff\u200b＋８６\u00ad１３４/0000\u200e5555\u200d",
    "Arabic-Indic digits": "١٣٤٠٠٠٠٥٥٥٥",
}
# A number with letters in it is no number (and a letter O for a zero is a dodge, too).
LETTERED = ["134OOOO5555", "13400005555 ext 1", "tel:caller", "１３４Ｏ0005555", "abc"]


def phone_body(phone: str, **overrides: Any) -> dict[str, Any]:
    return {
        "channel": "phone",
        "category": "complaint",
        "content": "又来了",
        "requester": {"phone": phone},
    } | overrides


async def test_every_dodged_spelling_meets_the_restriction(api: Api) -> None:
    restricted = await api.post("/restrictions", {"phone": RESTRICTED, "reason": "多次辱骂话务员"})
    assert (restricted.status_code, restricted.json()["phone"]) == (201, RESTRICTED)

    for name, spelling in DODGES.items():
        assert phone_key(spelling) == RESTRICTED, name
        response = await api.post("/tickets", phone_body(spelling))
        assert response.status_code == 201, (name, response.text)
        ticket = response.json()["ticket"]
        assert (ticket["stage"], ticket["not_accepted_reason"]) == ("not_accepted", "A11"), name
        # Stored in its one spelling: the read model and the ticket hold the digits only.
        assert ticket["requester"]["phone"] == RESTRICTED, name

    # Another number is still accepted: the restriction is on one line, not on every caller.
    other = (await api.post("/tickets", phone_body("１３４\u200b0000 5556"))).json()["ticket"]
    assert other["stage"] == "registered" and other["requester"]["phone"] == "13400005556"


async def test_a_restriction_written_with_a_dodge_is_stored_in_its_one_spelling(api: Api) -> None:
    """The operator's side: a number copied from a caller display with invisible characters in it."""
    for spelling in (DODGES["everything at once"], DODGES["full-width plus and digits"]):
        restricted = await api.post("/restrictions", {"phone": spelling, "reason": "威胁话务员"})
        assert (restricted.status_code, restricted.json()["phone"]) == (201, RESTRICTED)
    async with api.session_maker() as session:
        assert list(await session.scalars(select(RestrictedCallerRow.phone))) == [RESTRICTED]
    ticket = (await api.post("/tickets", phone_body(RESTRICTED))).json()["ticket"]
    assert (ticket["stage"], ticket["not_accepted_reason"]) == ("not_accepted", "A11")


async def test_a_number_with_letters_is_refused(api: Api) -> None:
    async with api.session_maker() as session:
        tickets_before = len(list(await session.scalars(select(TicketRow.ticket_no))))
    for spelling in LETTERED:
        registered = await api.post("/tickets", phone_body(spelling))
        assert (registered.status_code, registered.json()["code"]) == (422, "INVALID_PHONE"), spelling
        restricted = await api.post("/restrictions", {"phone": spelling, "reason": "r"})
        assert (restricted.status_code, restricted.json()["code"]) == (422, "INVALID_PHONE"), spelling
    # Digits that are no number at all (too few, too many) are refused the same way.
    for spelling in ("1\u200b2", "1" * 21):
        registered = await api.post("/tickets", phone_body(spelling))
        assert (registered.status_code, registered.json()["code"]) == (422, "INVALID_PHONE"), spelling
    async with api.session_maker() as session:
        assert len(list(await session.scalars(select(TicketRow.ticket_no)))) == tickets_before
        assert list(await session.scalars(select(RestrictedCallerRow.phone))) == []
    # A request without a number (the website, an anonymous letter) is not a number with letters.
    web = await api.post("/tickets", phone_body("", channel="web"))
    assert web.status_code == 201, web.text
