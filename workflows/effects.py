"""The ticket workflow's effects on the world around it, kept out of the workflow class: activities (local
where the history allows), the projection into the SQL read model, and the search attributes operators
filter by in Temporal UI. Workflow code only: it runs inside the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import PlanItem, PlannedDeadline, PlanRequest
    from domain.ticket import ActivityNames, TicketState
    from workflows import search_attributes as sa
    from workflows.patches import LOCAL_ACTIVITIES

# Database outages must not fail a ticket: activities retry until the database answers.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
# Short, so a worker killed mid-activity delays the retry by seconds, not half a minute.
ACTIVITY_TIMEOUT = timedelta(seconds=10)
# A workflow task waits for its local activities, and an update's answer with it. One try at projecting
# locally, bounded; if the database is away or slow the projection becomes an ordinary activity retried
# until it answers, and the action is answered then (F3: tickets keep acting while the database is away).
# Long enough for a burst of projections queued on SQLite's single writer and a busy worker (F1: 100
# at once), short enough for the API's 10 s timeout.
LOCAL_PROJECTION_TIMEOUT = timedelta(seconds=5)


async def run_activity(name: str, arg: Any, result_type: Any = None) -> Any:
    """An activity, local where the history allows it (LOCAL_ACTIVITIES), ordinary otherwise. A local
    activity that keeps failing (the database down) retries inside the worker, then on timers."""
    if workflow.patched(LOCAL_ACTIVITIES):
        return await workflow.execute_local_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
    return await _ordinary_activity(name, arg, result_type)


async def _ordinary_activity(name: str, arg: Any, result_type: Any = None) -> Any:
    return await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=ACTIVITY_RETRY,
    )


async def plan(items: list[PlanItem], red_after_working_days: int) -> dict[str, PlannedDeadline]:
    """Deadlines as data: the calendar reaches the workflow through an activity, recorded in history."""
    request = PlanRequest(items=items, red_after_working_days=red_after_working_days)
    planned: dict[str, PlannedDeadline] = await run_activity(
        ActivityNames.PLAN_DEADLINES, request, dict[str, PlannedDeadline]
    )
    return planned


async def project(delta: TicketState) -> None:
    if workflow.patched(LOCAL_ACTIVITIES):
        try:
            await workflow.execute_local_activity(
                ActivityNames.PROJECT_TICKET,
                delta,
                schedule_to_close_timeout=LOCAL_PROJECTION_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
            return
        except FailureError:  # the activity's own error, or its timeout
            workflow.logger.warning("projection handed to an ordinary activity: the database did not answer")
    await _ordinary_activity(ActivityNames.PROJECT_TICKET, delta)


class Publisher:
    """Publishes a ticket's changes: search attributes that changed, one new revision for the projector."""

    def __init__(self, carried: TicketState | None) -> None:
        self.projected_revision = -1 if carried is None else carried.revision - 1
        self._attributes: dict[str, Any] = {}
        self._events = -1
        self._logged = 0 if carried is None else len(carried.timeline)

    def publish(self, s: TicketState) -> None:
        self._log(s)
        updates = self._attribute_updates(s)
        if updates:
            workflow.upsert_search_attributes(updates)
        # Every change records a timeline event; a wake-up that changed nothing projects nothing.
        if len(s.timeline) != self._events or updates:
            self._events = len(s.timeline)
            s.revision += 1

    def _attribute_updates(self, s: TicketState) -> list[SearchAttributeUpdate[Any]]:
        values: dict[str, Any] = {
            sa.STAGE.name: s.stage.value,
            sa.CARD.name: s.card().value,
            sa.LEAD_UNIT.name: s.lead_unit or "",
            sa.CO_UNITS.name: s.co_units,
            sa.DEADLINE.name: s.answer_due_at(),
            sa.CATEGORY.name: s.registration.category.value,
            sa.CHANNEL.name: s.registration.channel.value,
        }
        updates: list[SearchAttributeUpdate[Any]] = []
        for key in sa.ALL:
            value = values[key.name]
            if self._attributes.get(key.name, ...) != value:
                updates.append(key.value_unset() if value is None else key.value_set(value))
                self._attributes[key.name] = value
        return updates

    def _log(self, s: TicketState) -> None:
        # Replay-safe logger; the JSON log formatter adds the ticket number from the workflow id.
        for event in s.timeline[self._logged :]:
            rule = f" ({event.rule})" if event.rule else ""
            workflow.logger.info("%s by %s%s", event.kind, event.actor, rule)
        self._logged = len(s.timeline)

    async def project_forever(self, state: Callable[[], TicketState]) -> None:
        """Project each new revision into the SQL read model (lists come from SQL, not visibility)."""
        projected_seq = 0
        while True:
            await workflow.wait_condition(lambda: self.projected_revision < state().revision)
            s = state()
            revision, timeline = s.revision, s.timeline
            # Only events not yet projected travel: history stays linear in the number of events.
            delta = s.model_copy(update={"timeline": [e for e in timeline if e.seq > projected_seq]})
            await project(delta)
            self.projected_revision = revision
            projected_seq = max((e.seq for e in delta.timeline), default=projected_seq)
