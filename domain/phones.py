"""A11: one spelling per phone number, so that a restriction is matched whatever way the number was written.

A caller restricted under A11 must not get through by writing the number differently: with spaces or
dashes, "+86", "0086" or "tel:", full-width digits (１３４…, ＋８６), or characters no one sees (a zero-width
space or joiner, a byte-order mark, a direction mark, a soft hyphen). `phone_key` is the only place a number
is reduced to its spelling; restrictions store it and the opening of a ticket compares it
(activities/hotline.py), and the API stores a registration's number in it (api/edge.py).

`phone_key` never refuses: the opening of an old ticket calls it on whatever the ticket holds. What the
API refuses (a number with letters in it) is `phone_problem`'s verdict, asked at the edge only.
"""

from __future__ import annotations

import re
import unicodedata

# RFC 3966: an integrator may send the number as a URI.
_TEL_SCHEME = re.compile(r"^\s*tel:", re.IGNORECASE)
_MAINLAND_MOBILE = re.compile(r"^(?:\+?86|0086)(1\d{10})$")
# E.164 allows 15 digits; a landline with its area code and an extension stays well under this.
MOST_DIGITS = 20
FEWEST_DIGITS = 3


def _decimal(char: str) -> str | None:
    # Any script's decimal digit counts (NFKC already folds the full-width ones): "١٣٤" is 134.
    value = unicodedata.decimal(char, None)
    return None if value is None else str(value)


def phone_key(phone: str) -> str:
    """The number's one spelling: NFKC, a `tel:` scheme dropped, then only its digits and a leading "+",
    and the country code taken off a mainland mobile number ("+86 134-0000-5555" is 13400005555)."""
    text = _TEL_SCHEME.sub("", unicodedata.normalize("NFKC", phone))
    digits = [d for d in map(_decimal, text) if d is not None]
    # A "+" counts only before the first digit ("(+852) 1234 5678"); elsewhere it is punctuation.
    first_digit = next((i for i, c in enumerate(text) if _decimal(c) is not None), len(text))
    key = ("+" if "+" in text[:first_digit] else "") + "".join(digits)
    mobile = _MAINLAND_MOBILE.match(key)
    return mobile.group(1) if mobile else key


def phone_problem(phone: str) -> str | None:
    """Why the API refuses this number, or None: letters (other than a `tel:` scheme), or too few or too
    many digits to be a number. An empty number is no number (a letter or a website request has none)."""
    if not phone:
        return None
    text = _TEL_SCHEME.sub("", unicodedata.normalize("NFKC", phone))
    if any(unicodedata.category(c).startswith("L") for c in text):
        return "a phone number holds digits, not letters"
    digits = len(phone_key(phone).lstrip("+"))
    if not FEWEST_DIGITS <= digits <= MOST_DIGITS:
        return f"a phone number has {FEWEST_DIGITS} to {MOST_DIGITS} digits"
    return None
