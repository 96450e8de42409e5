"""The hotline office's delivery settings at run time: each unit's webhook, and the requester's templates.

A unit's webhook is a Standard Webhooks endpoint: every notice is POSTed with `webhook-id` (the delivery
id, stable across retries), `webhook-timestamp` and `webhook-signature` (`v1,` HMAC-SHA256 with the unit's
`whsec_` secret). A unit without one follows `GET /notifications`. Templates: one per requester message
(A13, A17, A19, A20, A24 …), Chinese defaults until the office writes its own; a template that drops what
the rule says the requester is told, or names an unknown placeholder, is refused (422).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import AnyHttpUrl, BaseModel, Field, field_validator
from sqlalchemy import delete, select

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, SessionDep
from api.errors import ApiError, responses
from db.api_models import UnitRow
from db.delivery_models import DeliveryChannelRow, MessageTemplateRow
from delivery import signing
from domain.commands import Words
from domain.delivery import MAX_TEMPLATE_CHARS, MESSAGE_KINDS, TemplateError, check_template

router = APIRouter(prefix="/notifications", tags=["notifications"])

UnitIdPath = Annotated[str, Path(min_length=1, max_length=64, examples=["WJ-URBAN"])]
KindPath = Annotated[str, Path(min_length=1, max_length=64, examples=["registered"])]


class WebhookIn(BaseModel):
    model_config = BODY_CONFIG

    url: AnyHttpUrl = Field(examples=["https://dispatch.wj-urban.example/hotline/webhook"])
    secret: str | None = Field(
        None,
        max_length=200,
        description="`whsec_` + base64 (≥ 16 bytes); omitted: one is generated and shown once.",
    )
    enabled: bool = True

    @field_validator("secret")
    @classmethod
    def _standard_secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            key = base64.b64decode(value.removeprefix(signing.PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a secret is `whsec_` followed by base64") from None
        if not value.startswith(signing.PREFIX) or len(key) < 16:
            raise ValueError("a secret is `whsec_` followed by base64 of at least 16 bytes")
        return value


class WebhookOut(BaseModel):
    unit_id: str
    url: str
    enabled: bool
    updated_at: datetime
    # Only in the answer that set it: keep it, it is not shown again.
    secret: str | None = None


@router.put(
    "/channels/units/{unit_id}",
    response_model=WebhookOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="Set a unit's webhook (operator)",
    description="Notices to the unit go to this URL, signed with Standard Webhooks; the receiver dedupes on "
    "`webhook-id`. The secret is shown in this answer only.",
)
async def set_webhook(
    unit_id: UnitIdPath, body: WebhookIn, caller: OperatorDep, session: SessionDep, now: NowDep
) -> WebhookOut:
    if await session.get(UnitRow, unit_id) is None:
        raise ApiError(404, "UNIT_NOT_FOUND", f"no unit {unit_id}", "A6")
    secret = body.secret or signing.new_secret()
    await session.merge(
        DeliveryChannelRow(
            recipient=f"unit:{unit_id}",
            url=str(body.url),
            secret=secret,
            enabled=body.enabled,
            updated_at=now,
        )
    )
    await session.commit()
    return WebhookOut(unit_id=unit_id, url=str(body.url), enabled=body.enabled, updated_at=now, secret=secret)


@router.get(
    "/channels",
    response_model=list[WebhookOut],
    responses=responses(401, 403, 503),
    summary="The units' webhooks (operator)",
)
async def list_webhooks(caller: OperatorDep, session: SessionDep) -> list[WebhookOut]:
    rows = await session.scalars(select(DeliveryChannelRow).order_by(DeliveryChannelRow.recipient))
    return [
        WebhookOut(
            unit_id=r.recipient.removeprefix("unit:"), url=r.url, enabled=r.enabled, updated_at=r.updated_at
        )
        for r in rows
    ]


@router.delete(
    "/channels/units/{unit_id}",
    status_code=204,
    responses=responses(401, 403, 503),
    summary="Remove a unit's webhook (operator)",
    description="The unit's notices then wait in its feed (`GET /notifications`).",
)
async def remove_webhook(unit_id: UnitIdPath, caller: OperatorDep, session: SessionDep) -> Response:
    # Idempotent: a unit without a webhook has none afterwards either.
    await session.execute(delete(DeliveryChannelRow).where(DeliveryChannelRow.recipient == f"unit:{unit_id}"))
    await session.commit()
    return Response(status_code=204)


# -- requester templates ---------------------------------------------------------------------------------
class TemplateIn(BaseModel):
    model_config = BODY_CONFIG

    text: Words = Field(
        min_length=1,
        max_length=MAX_TEMPLATE_CHARS,
        examples=["【韶关12345】您的诉求已受理，工单编号{ticket_no}，进度请查看：{progress_link}"],
    )


class TemplateOut(BaseModel):
    kind: str  # the event kind the message tells
    rule: str
    text: str
    default: str
    required: list[str]
    optional: list[str]
    customised: bool
    updated_at: datetime | None = None


def _require_kind(kind: str) -> None:
    if kind not in MESSAGE_KINDS:
        raise ApiError(404, "UNKNOWN_MESSAGE_KIND", f"no requester message for {kind}")


def _template_out(kind: str, row: MessageTemplateRow | None) -> TemplateOut:
    spec = MESSAGE_KINDS[kind]
    return TemplateOut(
        kind=kind,
        rule=spec.rule,
        text=row.text if row else spec.default,
        default=spec.default,
        required=sorted(spec.required),
        optional=sorted(spec.optional),
        customised=row is not None,
        updated_at=row.updated_at if row else None,
    )


@router.get(
    "/templates",
    response_model=list[TemplateOut],
    responses=responses(401, 403, 503),
    summary="The requester's message templates (operator)",
)
async def list_templates(caller: OperatorDep, session: SessionDep) -> list[TemplateOut]:
    rows = {r.kind: r for r in await session.scalars(select(MessageTemplateRow))}
    return [_template_out(kind, rows.get(kind)) for kind in MESSAGE_KINDS]


@router.put(
    "/templates/{kind}",
    response_model=TemplateOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="Write a requester message template (operator)",
    description="`{placeholders}` from the kind's `required` (all of them) and `optional` lists; at most "
    f"{MAX_TEMPLATE_CHARS} characters. Messages sent from now on use it.",
)
async def set_template(
    kind: KindPath, body: TemplateIn, caller: OperatorDep, session: SessionDep, now: NowDep
) -> TemplateOut:
    _require_kind(kind)
    try:
        check_template(kind, body.text)
    except TemplateError as err:
        raise ApiError(422, err.code, str(err), MESSAGE_KINDS[kind].rule) from None
    row = await session.merge(
        MessageTemplateRow(kind=kind, text=body.text, updated_at=now, updated_by=caller.actor.id)
    )
    await session.commit()
    return _template_out(kind, row)


@router.delete(
    "/templates/{kind}",
    response_model=TemplateOut,
    responses=responses(401, 403, 404, 503),
    summary="Restore a template's default (operator)",
)
async def reset_template(kind: KindPath, caller: OperatorDep, session: SessionDep) -> TemplateOut:
    _require_kind(kind)
    await session.execute(delete(MessageTemplateRow).where(MessageTemplateRow.kind == kind))
    await session.commit()
    return _template_out(kind, None)
