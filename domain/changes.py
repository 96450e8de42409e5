"""Named changes to the verdicts: each stricter reading of the regulation, with the rule it reads.

A ticket is judged for life by the verdicts version it opened under, as it keeps its rule set
(`TicketState.verdicts`, set at opening through one patch per version, workflows/patches.py). A handler
re-checks its verdict on every replay, so a rule that refuses what an earlier version accepted binds only the
tickets opened after it: a check reads `state.judged_by(A14_1_SUGGESTED_UNIT)`, never a bare number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    version: int
    rule: str
    text: str


# 1: the first version. 2 (2026-11-27), 3 (2026-12-01) and 4 (2026-12-02): the changes below.
VERDICTS_V2 = 2
VERDICTS_V3 = 3
VERDICTS_V4 = 4
VERDICTS_LATEST = VERDICTS_V4

A14_1_SUGGESTED_UNIT = Change(VERDICTS_V2, "A14.1", "a not-our-duty return names the unit it suggests")
A14_2_NO_WINDOW = Change(VERDICTS_V2, "A14.2", "a registration-error return has no window, never overdue")
A14_5_DESIGNATED_LEAD_HANDLES = Change(
    VERDICTS_V2, "A14.5", "a lead designated in coordination does not dispute"
)
A17_REFUSAL_SAYS_WHY = Change(VERDICTS_V2, "A17", "a refused extension says why")
A20_CONTACT_AFTER_RECEIPT = Change(VERDICTS_V2, "A20", "a contact counts from the unit's receipt")
A20_PHONE_CALLS_TELL_THE_RESULT = Change(
    VERDICTS_V2, "A20", "only failed phone calls to tell the result count as the requester answered"
)
A20_HANDLED_AT_IN_RANGE = Change(
    VERDICTS_V2, "A20", "a closure's handled_at lies between registration and now"
)
A9_MEETING_DATE_IN_RANGE = Change(VERDICTS_V2, "A9", "a meeting was held between registration and today")
A21_PERMISSION_REFUSAL_SAYS_WHY = Change(VERDICTS_V2, "A21", "a refused supplement permission says why")
A24_NO_EXTENSION_IN_A_REDO = Change(
    VERDICTS_V2, "A24", "no extension anywhere in a redo, even after another lead was designated"
)
A24_REDO_NAMES_ITS_UNIT = Change(
    VERDICTS_V2, "A24", "a redo of a consultation answered on the spot names a unit"
)
A24_REDO_GOES_BACK = Change(VERDICTS_V2, "A24", "a redo goes back to the unit that handled the ticket")
# A18 「在12345热线备案」: a unit's termination notice is filed with the hotline, which reviews it like a
# closure; until then the ticket is not concluded (before: filed and concluded at once).
# A24 「自收到满意度评价信息之日起24小时内」: the rating window runs from the request's receipt (where the
# hotline sends it by message); a request that cannot be delivered is called back, never defaulted.
A24_WINDOW_FROM_RECEIPT = Change(VERDICTS_V3, "A24", "the rating window runs from the request's receipt")
A18_TERMINATION_REVIEWED = Change(
    VERDICTS_V3, "A18", "a termination notice is an application the hotline reviews"
)
# Verdicts 4 (issue 16: the rules as the text says them).
# A17 「延期办理只能 1 次」 limits the extensions granted: a refused application leaves the one extension.
A17_ONE_EXTENSION_GRANTED = Change(VERDICTS_V4, "A17", "only a granted extension uses up the ticket's one")
# A20 「若诉求人要求提供书面答复材料，则须以本单位名义予以答复」: asked for, the closure carries the written
# answer, a document issued by the unit handling the ticket.
A20_WRITTEN_ANSWER_IN_UNIT_NAME = Change(
    VERDICTS_V4, "A20", "a written answer the requester asked for is issued in the handling unit's name"
)
# A20: a requester who left no number cannot be phoned; the closure says why nobody was told instead of
# waiting for a contact that cannot happen, and a phone contact with nobody to call is refused.
A20_ANONYMOUS_CLOSURE_SAYS_WHY = Change(
    VERDICTS_V4, "A20", "a requester with no contact details: the closure records why nobody was told"
)
# A24 「重办以一次为限，不得延期办理」 forbids the extension in a redo, nothing else: a return follows A14.1.
A24_REDO_MAY_RETURN = Change(VERDICTS_V4, "A24", "a redo may be returned like any ticket (A14.1)")
# A33: a ticket registered before its first dispatch takes, at that dispatch, the county set of its lead.
A33_COUNTY_RULES_AT_FIRST_DISPATCH = Change(
    VERDICTS_V4, "A33", "the first dispatch to a county with its own rules brings its rule set"
)
# A15 「由承办单位分管领导或经授权的有关负责同志签批」 with A5's register (备案): a return's sign-off names a
# leader the unit has filed with the office, or a signatory a filed leader authorised (before: any name).
A15_SIGN_OFF_FILED = Change(
    VERDICTS_V4, "A15", "a return is signed off by a filed leader or a signatory one authorised"
)
# A16.6 with A29 「适用知识点上传时间」: a refusal weighs the version of the point it cites, when that text
# entered the knowledge base; before, the point's current text was weighed whichever version was meant.
A16_6_CITED_VERSION = Change(
    VERDICTS_V4, "A16.6", "a refusal weighs the time of the knowledge point's version it cites"
)

# Every named change, in the order written above (a test checks each names its rule).
CHANGES: tuple[Change, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, Change))
