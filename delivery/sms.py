"""The requester's SMS: a pluggable gateway with two adapters, Aliyun dysmsapi and a plain HTTP one.

The delivery id (the notice id) travels as the message's out-id (Aliyun `OutId`, the HTTP adapter's
`out_id`), so a gateway that dedupes on it — and the tests' loopback gateways do — sends a retried
message once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

import httpx

from config import Settings


@dataclass(frozen=True)
class SmsMessage:
    out_id: str
    phone: str
    kind: str  # the event kind: picks the Aliyun template code
    text: str  # the office's template, filled in
    params: dict[str, str] = field(default_factory=dict)  # the template's values (Aliyun TemplateParam)


@dataclass(frozen=True)
class SmsOutcome:
    accepted: bool
    detail: str = ""
    provider_ref: str | None = None
    # A refusal no retry can mend (a malformed number, no template): dead-lettered at once.
    permanent: bool = False


class SmsSender(Protocol):
    @property
    def name(self) -> str: ...

    async def send(self, http: httpx.AsyncClient, message: SmsMessage) -> SmsOutcome: ...


# -- a generic HTTP gateway ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpSms:
    """POST {"out_id", "phone", "text", "kind", "params"} as JSON; any 2xx is accepted (`id` kept if sent)."""

    url: str
    token: str = ""
    name: str = "http"

    async def send(self, http: httpx.AsyncClient, message: SmsMessage) -> SmsOutcome:
        body = {
            "out_id": message.out_id,
            "phone": message.phone,
            "text": message.text,
            "kind": message.kind,
            "params": message.params,
        }
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await http.post(self.url, json=body, headers=headers)
        if response.is_success:
            ref = _json(response).get("id")
            return SmsOutcome(True, f"HTTP {response.status_code}", str(ref) if ref else None)
        return SmsOutcome(False, f"HTTP {response.status_code}: {response.text[:200]}")


# -- Aliyun dysmsapi (SendSms, RPC style, signature version 1.0) --------------------------------------------
# Refusals a retry cannot mend: the number, the template or the signature is wrong.
ALIYUN_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
    }
)


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun's RPC signature wants it: space %20, `*` %2A, `~` kept."""
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], access_key_secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    mac = hmac.new(f"{access_key_secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


@dataclass(frozen=True)
class AliyunSms:
    endpoint: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    template_codes: dict[str, str]  # event kind -> template code; "*" for any other kind
    region: str = "cn-hangzhou"
    name: str = "aliyun"

    def request_params(self, message: SmsMessage, now: datetime, nonce: str) -> dict[str, str]:
        code = self.template_codes.get(message.kind) or self.template_codes.get("*")
        if code is None:
            raise LookupError(
                f"no Aliyun template code for {message.kind} (HOTLINE_SMS_ALIYUN_TEMPLATE_CODES)"
            )
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": message.phone,
            "SignName": self.sign_name,
            "TemplateCode": code,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "OutId": message.out_id,
        }
        params["Signature"] = aliyun_signature(params, self.access_key_secret)
        return params

    async def send(self, http: httpx.AsyncClient, message: SmsMessage) -> SmsOutcome:
        try:
            params = self.request_params(message, datetime.now(UTC), uuid.uuid4().hex)
        except LookupError as err:
            return SmsOutcome(False, str(err), permanent=True)
        response = await http.post(self.endpoint, data=params)
        answer = _json(response)
        code = str(answer.get("Code", ""))
        if response.is_success and code == "OK":
            return SmsOutcome(True, "Aliyun OK", str(answer.get("BizId") or "") or None)
        detail = f"Aliyun HTTP {response.status_code} {code}: {str(answer.get('Message', ''))[:200]}"
        return SmsOutcome(False, detail, permanent=code in ALIYUN_PERMANENT)


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def sender_from(settings: Settings) -> SmsSender | None:
    """The configured gateway, or None (HOTLINE_SMS_PROVIDER=none): the requester is then not texted."""
    if settings.sms_provider == "http" and settings.sms_http_url:
        return HttpSms(settings.sms_http_url, settings.sms_http_token)
    if settings.sms_provider == "aliyun":
        return AliyunSms(
            endpoint=settings.sms_aliyun_endpoint,
            access_key_id=settings.sms_aliyun_access_key_id,
            access_key_secret=settings.sms_aliyun_access_key_secret,
            sign_name=settings.sms_aliyun_sign_name,
            template_codes=dict(settings.sms_aliyun_template_codes),
            region=settings.sms_aliyun_region,
        )
    return None
