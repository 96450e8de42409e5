"""The knowledge base's own time limits (A28): when a unit reports a policy, how fast it fixes an error.

Pure: the working calendar comes in, nothing is read or written here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.calendar import Deadline, WorkingCalendar


class PointKind(StrEnum):
    DUTY = "duty"  # A28.1: duties, power lists, service items, contacts, service hours
    POLICY = "policy"  # A28.2: a new policy of public interest, reported before its publication
    EVENT_SCRIPT = "event_script"  # A28.3: an answer script for a major or sudden event, at once


class ErrorSeverity(StrEnum):
    GENERAL = "general"  # fixed within 2 WD of the notice
    MAJOR = "major"  # an error touching a major or sudden event: within 24 hours


class ReportTiming(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"  # fewer than 3 working days before publication
    EARLY = "early"  # more than 10 working days before publication


# A28.2: reported 3–10 working days before publication.
POLICY_LEAD_WORKING_DAYS = (3, 10)
# A28: errors the hotline finds are fixed within 2 WD (general) or 24 hours (major / sudden event).
GENERAL_FIX_WORKING_DAYS = 2
MAJOR_FIX = timedelta(hours=24)


def policy_lead(calendar: WorkingCalendar, reported_at: datetime, publishes_on: date) -> int:
    """Working days from the report to the publication: those after the report's day (Asia/Shanghai), up
    to and including the publication day, as a limit counts them ("Counting time"). Zero or less when the
    report comes on or after the publication day (minus the working days it is late by)."""
    reported_on = calendar.local_date(reported_at)
    first, last, sign = (
        (reported_on, publishes_on, 1) if reported_on <= publishes_on else (publishes_on, reported_on, -1)
    )
    days = (last - first).days
    count = sum(1 for i in range(1, days + 1) if calendar.is_working_day(first + timedelta(days=i)))
    return sign * count


def policy_report_timing(lead: int) -> ReportTiming:
    low, high = POLICY_LEAD_WORKING_DAYS
    if lead < low:
        return ReportTiming.LATE
    if lead > high:
        return ReportTiming.EARLY
    return ReportTiming.ON_TIME


def correction_due(calendar: WorkingCalendar, noticed_at: datetime, severity: ErrorSeverity) -> Deadline:
    """When the owning unit must have corrected an error the hotline told it of (A28)."""
    if severity == ErrorSeverity.MAJOR:
        return Deadline(due_at=noticed_at + MAJOR_FIX, provisional=False)
    return calendar.working_days_deadline(noticed_at, GENERAL_FIX_WORKING_DAYS)
