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

# 并案 (A10.6): a ticket joined to an earlier one tells it (a signal), and the earlier one, concluded, passes
# its result to each joined ticket. Recorded where a join or a result is signalled; a history without it
# never joined a ticket. Never removable while a ticket that was joined, or has tickets joined, may replay.
JOINED_TICKETS = "joined-tickets"

# domain/changes.py: a ticket opened from now on is judged by the latest verdicts; one opened before (its
# history holds none of the later markers) keeps the version it opened with. One patch per version, each
# setting its own number, so a ticket opened under version 2 replays as 2 once a 3 exists.
# Never removable while a ticket of that version may replay; a new version adds an entry.
VERDICT_PATCHES = {VERDICTS_V2: "verdicts-2", VERDICTS_V3: "verdicts-3", VERDICTS_V4: "verdicts-4"}
assert max(VERDICT_PATCHES) == VERDICTS_LATEST
