"""The figures behind the chapter 5 reports, from the SQL read model: the A26 bulletin (bulletin.py), the
A27 assessment (assessment.py, its arithmetic in domain/assessment.py) and the A25 supervision list
(supervision.py); api/routes/reports.py serves them.

Figures come from `tickets` and `timeline_events`, never from Temporal visibility (STYLE pattern 7). There
are two kinds:

- *Ticket figures* (concluded, on time, yellow, red) count the tickets a unit leads now (`lead_unit`) that
  were concluded in the period or are still open, with the card they froze at on conclusion or have now
  (A22: a concluded ticket's clocks stop; the read model keeps no older card). *On time* means the answer
  clock (A17) was met while green; a ticket may be on time on its answer and yellow on its sign-for.
- *Event figures* (received, cards shown, returns, extensions, redos, callbacks, ratings) count timeline
  events in the period, each charged to the unit that held the ticket when it happened: the lead of the
  latest `dispatched` event before it (A6: a sub-unit acts for its lead, which stays responsible; a return
  approved and re-dispatched stays charged to the unit that returned it), stored on the event's row by the
  projection (`timeline_events.unit`, migration 0016).
- *Rates* (api/figures/rates.py, domain/rates.py): 响应率, 解决率 and 满意率, and the acceptance stage's
  ratings; docs/reports.md writes out what each counts.

A period is half-open, `[start, end)`.
"""
