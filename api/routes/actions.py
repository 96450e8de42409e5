"""Every action on a ticket: `POST /tickets/{no}/<action>`, one workflow update each.

The table `ACTIONS` (api/action_catalogue.py) says, per action, the update it runs, the command it builds, who may call it and what the
server fills in; one function (`perform`) runs them all, so every action checks the same things in the same
order: the role (403, independent of any ticket), the ticket is one the caller may see (404), the units
named exist (422), the action's own preconditions on the records (its `prepare` hook, api/preconditions.py),
then the workflow's own verdict (409/422/404, api/errors.py).

The request's `Idempotency-Key` becomes the update id, so a retried POST has exactly one effect.

No `from __future__ import annotations` here: the endpoints are built per action and FastAPI must read their
body types at definition time.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel
from temporalio.client import WorkflowUpdateFailedError

from api.action_catalogue import ACTIONS, Action
from api.auth import Caller
from api.county import require_in_county
from api.deps import IdempotencyKey, RuntimeDep, TicketNoDep, require_role, update_id
from api.errors import conflict, not_found, responses, rule_violation, verdict_error
from api.idempotency import claim_action_key
from api.preconditions import Acting, require_units
from api.runtime import Runtime
from api.schemas import TicketView
from api.ticket_access import actionable_ticket, relation_in, ticket_view
from domain.commands import Command
from domain.errors import RuleViolation
from domain.stages.ending import check_apply_supplement, may_reopen, reopen_for_supplement
from domain.ticket import TicketState
from domain.timeline import Step
from domain.vocabulary import Stage

router = APIRouter(prefix="/tickets", tags=["ticket actions"])


async def perform(
    action: Action,
    runtime: Runtime,
    caller: Caller,
    ticket_no: str,
    body: BaseModel,
    item: str | None,
    idempotency_key: str | None,
) -> TicketView:
    actionable = await actionable_ticket(runtime, caller, ticket_no, reopens_archive=action.reopens_archive)
    acting = Acting(runtime, caller, ticket_no, actionable)
    data: dict[str, Any] = dict(body) | {"actor": caller.actor}
    if action.item is not None:
        data[action.item] = item
    async with runtime.session_maker() as session:
        confidential = acting.ticket.confidential and action.hands_over
        await require_units(session, action.units(data), lead=action.lead(data), confidential=confidential)
        await require_in_county(session, caller, [*action.units(data), action.lead(data)])  # A4
    if action.prepare is not None:
        await action.prepare(acting, data)
    command = action.command.model_validate(data)
    purpose = f"action:{action.update}"
    recorded = False  # A32: the answer's audit row written with the key's claim
    if idempotency_key is not None:
        scope = f"{action.update}:cred-{caller.credential_id}"
        read = (caller.credential_id, purpose) if actionable.reveals else None
        recorded = await claim_action_key(
            runtime, scope, idempotency_key, ticket_no, body, item, identity_read=read
        )
    the_id = update_id(action.update, f"cred-{caller.credential_id}", idempotency_key)
    try:
        if action.reopens_archive:
            updated = await _reopening(runtime, ticket_no, action, command, the_id)
        else:
            answer = await runtime.temporal.update_ticket(ticket_no, action.update, command, the_id)
            updated = await runtime.state_after(ticket_no, answer)
    except WorkflowUpdateFailedError as failed:
        raise verdict_error(failed, caller_sees_ticket=True) from None
    # Shown as the caller now stands to the ticket (the action may have changed it), as before if not at all.
    relation = await relation_in(runtime, caller, updated) or acting.ticket.relation
    return await ticket_view(runtime, caller, updated, relation, purpose, recorded=recorded)


async def _reopening(
    runtime: Runtime, ticket_no: str, action: Action, command: Command, the_id: str
) -> TicketState:
    """A21: an application for a supplementary answer, which an archived ticket still takes. Its state (the
    workflow's, or the read model's once Temporal no longer keeps the history) is judged first as it would be
    reopened, so a refused application does not start the ticket again; then one update-with-start."""
    state = await runtime.ticket_state(ticket_no)
    if state is None:
        raise not_found()
    if state.stage != Stage.ARCHIVED:
        # Not archived (the workflow's own word): an ordinary update. A workflow ended outside the service
        # (terminated from Temporal UI) is never started again by this door: its update is refused.
        answer = await runtime.temporal.update_ticket(ticket_no, action.update, command, the_id)
        return await runtime.state_after(ticket_no, answer)
    if not may_reopen(state):
        raise conflict("STAGE_FORBIDS_ACTION", "the ticket is archived; it takes no more actions", "A21")
    reopened = state.model_copy(deep=True)
    reopen_for_supplement(reopened, Step(now=await runtime.clock(), new_id=lambda: "preview"))
    try:
        check_apply_supplement(reopened, command)  # type: ignore[arg-type]
    except RuleViolation as violation:
        raise rule_violation(violation) from None
    answer = await runtime.temporal.update_reopening(state, action.update, command, the_id)
    return await runtime.state_after(ticket_no, answer)


_ITEM_EXAMPLES = {"return_id": "R1", "supplement_id": "S1", "order_id": "S1"}


def _add_route(action: Action) -> None:
    body_type = action.body
    allowed = Depends(require_role(*action.roles))
    examples = {"example": {"summary": action.summary, "value": action.example}}
    # Annotated with runtime values (one body type per action): checkers cannot follow, FastAPI can.
    body_param = Annotated[body_type, Body(openapi_examples=examples)]  # type: ignore[valid-type]

    if action.item is None and not any(f.is_required() for f in body_type.model_fields.values()):
        # Nothing to say (a sign-for): no body at all is the empty body.
        optional_body = Annotated[body_type | None, Body(openapi_examples=examples)]  # type: ignore[valid-type]

        async def on_ticket_body_optional(
            no: TicketNoDep,
            runtime: RuntimeDep,
            caller: Annotated[Caller, allowed],
            body: optional_body = None,
            idempotency_key: IdempotencyKey = None,
        ) -> TicketView:
            return await perform(action, runtime, caller, no, body or body_type(), None, idempotency_key)

        endpoint: Callable[..., Awaitable[TicketView]] = on_ticket_body_optional
    elif action.item is None:

        async def on_ticket(
            no: TicketNoDep,
            body: body_param,
            runtime: RuntimeDep,
            caller: Annotated[Caller, allowed],
            idempotency_key: IdempotencyKey = None,
        ) -> TicketView:
            return await perform(action, runtime, caller, no, body, None, idempotency_key)

        endpoint = on_ticket
    else:
        item_param = Annotated[
            str,
            Path(
                alias=action.item,
                min_length=1,
                max_length=64,
                description=f"The {action.item.replace('_', ' ')}.",
                examples=[_ITEM_EXAMPLES[action.item]],
            ),
        ]

        async def on_item(
            no: TicketNoDep,
            item: item_param,
            body: body_param,
            runtime: RuntimeDep,
            caller: Annotated[Caller, allowed],
            idempotency_key: IdempotencyKey = None,
        ) -> TicketView:
            return await perform(action, runtime, caller, no, body, item, idempotency_key)

        endpoint = on_item

    roles = ", ".join(sorted(r.value for r in action.roles))
    description = (
        f"{action.description}\n\nRoles: {roles}. Answers with the ticket after the action. "
        "Send an `Idempotency-Key` so a retry has exactly one effect."
    )
    for n, path in enumerate((action.path, *action.deprecated_paths)):
        old = n > 0
        router.add_api_route(
            "/{no}" + path,
            endpoint,
            methods=["POST"],
            response_model=TicketView,
            name=f"{action.update}_as_{path.strip('/').replace('-', '_')}" if old else action.update,
            operation_id=f"{action.update}_deprecated_{n}" if old else action.update,
            summary=action.summary,
            description=f"**Deprecated**: the former path of `POST /tickets/{{no}}{action.path}`, served for "
            f"one release.\n\n{description}"
            if old
            else description,
            responses=responses(401, 403, 404, 409, 422, 503),
            deprecated=old,
        )


for _action in ACTIONS:
    _add_route(_action)
