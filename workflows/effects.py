"""The ticket workflow's effects on the world around it, kept out of the workflow class: activities (local
where the history allows), the projection into the SQL read model, and the search attributes operators
filter by in Temporal UI. Workflow code only: it runs inside the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain import ticket_summary as summary
    from domain.deadlines import PlanItem, PlannedDeadline, PlanRequest
    from domain.ticket import ActivityNames, TicketState
    from domain.ticket_summary import PublicText, UnitDescription
    from workflows import search_attributes as sa
    from workflows.patches import LOCAL_ACTIVITIES, SLIM_RESULT, UI_LEGIBLE

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


# What each activity does, in the hotline's words, for the activity's summary in Temporal UI.
SUMMARIES = {
    ActivityNames.OPEN_TICKET: "A10/A11/A18 受理核查：规则集、事项终结、限制拨打",
    ActivityNames.PLAN_DEADLINES: "A17 按工作日（含调休）计算时限",
    ActivityNames.PROJECT_TICKET: "更新工单读模型",
    ActivityNames.DESCRIBE_UNITS: "查询承办单位名称及所属区县",
}


async def run_activity(name: str, arg: Any, result_type: Any = None, summary: str | None = None) -> Any:
    """An activity, local where the history allows it (LOCAL_ACTIVITIES), ordinary otherwise. A local
    activity that keeps failing (the database down) retries inside the worker, then on timers."""
    summary = PublicText(summary or SUMMARIES.get(name, name))
    if workflow.patched(LOCAL_ACTIVITIES):
        return await workflow.execute_local_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
            summary=summary,
        )
    return await _ordinary_activity(name, arg, result_type, summary)


async def _ordinary_activity(name: str, arg: Any, result_type: Any = None, summary: str | None = None) -> Any:
    return await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=ACTIVITY_RETRY,
        summary=PublicText(summary or SUMMARIES.get(name, name)),
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
                summary=PublicText(SUMMARIES[ActivityNames.PROJECT_TICKET]),
            )
            return
        except FailureError:  # the activity's own error, or its timeout
            workflow.logger.warning("projection handed to an ordinary activity: the database did not answer")
    await _ordinary_activity(ActivityNames.PROJECT_TICKET, delta)


class Publisher:
    """Publishes a ticket's changes: search attributes that changed, one new revision for the projector, and
    (UI_LEGIBLE) what Temporal UI shows: the current details, the unit names in the memo."""

    def __init__(self, carried: TicketState | None) -> None:
        self.projected_revision = -1 if carried is None else carried.revision - 1
        self._attributes: dict[str, Any] = {}
        self._events = -1
        self._logged = 0 if carried is None else len(carried.timeline)
        self._legible: bool | None = None
        self.units: dict[str, UnitDescription] = {}
        self._memo_for: tuple[str | None, tuple[str, ...]] | None = None
        self._attributes_changed = False
        self._seeded = False
        self._slim = False

    def legible(self) -> bool:
        if self._legible is None:
            self._legible = workflow.patched(UI_LEGIBLE)
        return self._legible

    def publish(self, s: TicketState) -> None:
        self._log(s)
        self._upsert_attributes(s)
        # Every change records a timeline event; a wake-up that changed nothing projects nothing.
        if len(s.timeline) != self._events or self._attributes_changed:
            self._events = len(s.timeline)
            s.revision += 1

    def _upsert_attributes(self, s: TicketState) -> None:
        if not self._seeded:
            self._seed_attributes()
        # SLIM_RESULT: while the units handling it are not named yet (after the projection, in the same
        # workflow task: its local activities keep it open) the attributes wait, so that task upserts once,
        # the district with the rest: at the opening, on a re-dispatch, on a designation.
        if not (self._slim and self.legible() and self._handling(s) != self._memo_for):
            updates = self._attribute_updates(s)
            self._attributes_changed = bool(updates)
            if updates:
                workflow.upsert_search_attributes(updates)
        if self.legible():  # not a command: the UI reads it through the workflow-metadata query
            workflow.set_current_details(summary.current_details(s, self.names()))

    @staticmethod
    def _handling(s: TicketState) -> tuple[str | None, tuple[str, ...]]:
        return s.lead_unit, tuple(s.co_units)

    def names(self) -> dict[str, str]:
        return {unit_id: unit.name for unit_id, unit in self.units.items() if unit.name}

    def _seed_attributes(self) -> None:
        """SLIM_RESULT: the attributes the ticket already holds (set at its start, or carried over by a
        continue-as-new) are known, so only what differs is upserted; one never set is known as unset."""
        self._seeded = True
        self._slim = workflow.patched(SLIM_RESULT)
        if self._slim:
            held = workflow.info().typed_search_attributes
            self._attributes = {key.name: held.get(key) for key in sa.ALL}

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
        if self.legible():
            values |= self._legible_values(s)
        updates: list[SearchAttributeUpdate[Any]] = []
        for key in sa.ALL:
            if key.name not in values:
                continue
            value = values[key.name]
            if self._attributes.get(key.name, ...) != value:
                updates.append(key.value_unset() if value is None else key.value_set(value))
                self._attributes[key.name] = value
        return updates

    def _legible_values(self, s: TicketState) -> dict[str, Any]:
        lead = self.units.get(s.lead_unit or "")
        received = s.registration.received_at
        return {
            sa.EMERGENCY.name: s.registration.emergency,
            sa.DISTRICT.name: lead.county if lead else None,
            # An empty list is unset, so `HotlineOverdue IS NULL` finds the tickets on time.
            sa.OVERDUE.name: summary.overdue(s) or None,
            sa.NEXT_DUE.name: summary.next_due(s),
            sa.LINKAGE_PENDING.name: summary.linkage_pending(s) or None,
            sa.SUPERVISION_PENDING.name: summary.supervision_pending(s),
            sa.REGISTERED_AT.name: received,
            sa.REGISTERED_DAY.name: f"{received.astimezone(summary.CHINA):%Y-%m-%d}",
        }

    async def describe_units(self, s: TicketState) -> None:
        """UI_LEGIBLE: name the lead and co-units (an activity, only for ids not named yet), then the memo,
        the district attribute and the details say who handles the ticket by name."""
        wanted = [u for u in dict.fromkeys([s.lead_unit, *s.co_units]) if u and u not in self.units]
        if wanted:
            try:
                described = await run_activity(
                    ActivityNames.DESCRIBE_UNITS, wanted, dict[str, UnitDescription]
                )
            except ActivityError:  # unnamed units are shown by id; the projector must go on regardless
                described = {}
            # An id the directory does not know is remembered as such: it is not asked for again.
            self.units |= {u: described.get(u, UnitDescription(name="", county="")) for u in wanted}
        handling = self._handling(s)
        if handling != self._memo_for:
            self._memo_for = handling
            names = self.names()
            workflow.upsert_memo(
                {
                    "主办单位": PublicText(summary.unit_name(s.lead_unit, names)),
                    "协办单位": PublicText("、".join(summary.unit_name(u, names) for u in s.co_units)),
                }
            )
            self._upsert_attributes(s)

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
            projected_seq = await self._project_revision(state(), projected_seq)
            # After the projection, which the API's answer waits for: naming units never delays an action.
            if self.legible():
                await self.describe_units(state())

    async def _project_revision(self, s: TicketState, projected_seq: int) -> int:
        """Project the state's revision; return the last event seq projected. A method of its own, so the
        copy sent does not stay referenced while the projector waits (memory per cached ticket, B3)."""
        revision = s.revision
        # Only events not yet projected travel: history stays linear in the number of events.
        delta = s.model_copy(update={"timeline": [e for e in s.timeline if e.seq > projected_seq]})
        await project(delta)
        self.projected_revision = revision
        return max((e.seq for e in delta.timeline), default=projected_seq)
