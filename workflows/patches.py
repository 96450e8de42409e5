"""Every `workflow.patched` id in one place, with what it changed and when it may go.

A patch id is recorded in the history of each ticket that took the new branch; a history without it
replays on the old branch. A patch may be removed (its old branch deleted, and then its `patched` call
deprecated with `workflow.deprecate_patch`) only once no ticket opened before it is still running, and the
histories under tests/histories/ that hold the old branch are retired with it.
"""

from __future__ import annotations

from domain.changes import VERDICTS_LATEST, VERDICTS_V2, VERDICTS_V3, VERDICTS_V4

# The activities are short SQL reads and one idempotent write, so they run as local activities: inside the
# workflow task that needs them, without a round trip through the server. Histories recorded before this
# hold ordinary activities and replay on the old branch (tests/histories/v1).
# Removable once every ticket opened before 2026-11 has archived (A21 window, 90 days by default).
LOCAL_ACTIVITIES = "local-activities"

# A14.5 with A14.1/A20: a coordination that designates the unit already leading is no new receipt. Its
# limits keep counting from the first receipt, with their cards and any extension; histories recorded
# before this re-dispatched it (a fresh receipt) and replay on that branch (tests/histories/v2).
# Removable with the v2 histories, once no ticket opened before 2026-11-27 is running.
DESIGNATION_KEEPS_RECEIPT = "designation-keeps-receipt"

# A24: every dissatisfied rating is called back, the final one too; only the redo is once. Histories
# recorded before this concluded a ticket on a dissatisfied final rating and replay on that branch.
# Removable with the v2 histories, as above.
CALLBACK_AFTER_FINAL_RATING = "callback-after-final-rating"

# A23: an emergency's lines are linked by a child workflow per line that hands the matter over and waits for
# the line's acknowledgement; histories recorded before this only recorded the linkage as an event.
# Removable once no ticket opened before 2026-12-01 with linkage lines is running.
LINKAGE_CHILDREN = "linkage-children"

# The hotline office's own limits (reviewing a return, an extension or a closure; the callback after a
# dissatisfied rating, A24; a coordination, A14.5) are clocks charged to the hotline: each is planned (one
# local activity) when what it answers arrives. Histories recorded before this planned nothing there and
# replay on that branch; a ticket running across the deploy starts them, from their applications, at its
# next action. Removable once no ticket opened before 2026-12-02 is running.
HOTLINE_OWN_CLOCKS = "hotline-own-clocks"
# Issue 18: a ticket legible in Temporal UI: the search attributes an office filters by (emergency, district,
# overdue limits, lines yet to acknowledge, registration time), the unit names in the memo, read by the
# `describe_units` activity when the lead or co-units change. Histories recorded before this upsert only the
# first seven attributes and never describe their units.
# Removable once no ticket opened before 2026-12-02 is running.
UI_LEGIBLE = "ui-legible"
# 并案 (A10.6): a ticket joined to an earlier one tells it (a signal), and the earlier one, concluded, passes
# its result to each joined ticket. Recorded where a join or a result is signalled; a history without it
# never joined a ticket. Never removable while a ticket that was joined, or has tickets joined, may replay.
JOINED_TICKETS = "joined-tickets"

# Issue 17: an update answers a small result (domain/action_result.py: revision, stage, outcome, the new event
# ids), not the whole TicketState, which the history recorded once per action (quadratic growth); the API reads
# the ticket after the action (api/action_view.py). The same marker starts the search attributes from those
# the ticket was started with, so their first upsert leaves out the values already set (workflows/effects.py).
# Histories recorded before answer the whole state and replay on that branch; the API takes both answers.
# Removable once no ticket opened before 2026-12-03 is running (and the API reads either answer until then).
SLIM_RESULT = "slim-result"

# domain/changes.py: a ticket opened from now on is judged by the latest verdicts; one opened before (its
# history holds none of the later markers) keeps the version it opened with. One patch per version, each
# setting its own number, so a ticket opened under version 2 replays as 2 once a 3 exists.
# Never removable while a ticket of that version may replay; a new version adds an entry.
VERDICT_PATCHES = {VERDICTS_V2: "verdicts-2", VERDICTS_V3: "verdicts-3", VERDICTS_V4: "verdicts-4"}
assert max(VERDICT_PATCHES) == VERDICTS_LATEST

# Not a patch: A21 (issue 16) an archived ticket reopened for a supplementary answer is a NEW run whose input
# carries `reopened_for_supplement` (domain/ticket.py TicketInput); no earlier history holds the flag, so the
# branch it takes in TicketMachinery.__init__ needs no marker (tests/histories/ticket-REPLAY-ARCHIVED-SUPPLEMENT).
