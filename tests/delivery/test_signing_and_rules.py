"""Standard Webhooks signing against the specification's published example; the pure delivery rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from delivery import signing
from delivery.sms import aliyun_signature, percent_encode
from domain.delivery import (
    MESSAGE_KINDS,
    Reach,
    RetryPolicy,
    Route,
    TemplateError,
    check_template,
    render,
    route_for,
)

# The example of the Standard Webhooks specification and its reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_reproduces_the_specifications_example() -> None:
    assert signing.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    headers = signing.headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }


def test_a_receiver_accepts_only_the_signed_fresh_body() -> None:
    headers = signing.headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert signing.verify(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP + 10)
    assert not signing.verify(SPEC_SECRET, headers, b'{"test": 1}', SPEC_TIMESTAMP)
    assert not signing.verify(signing.new_secret(), headers, SPEC_BODY, SPEC_TIMESTAMP)
    assert not signing.verify(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP + 3600)  # a replay, later
    rotated = headers | {"webhook-signature": "v1,bm9wZQ== " + SPEC_SIGNATURE}
    assert signing.verify(SPEC_SECRET, rotated, SPEC_BODY, SPEC_TIMESTAMP)


def test_aliyun_percent_encoding_and_signature_follow_the_rpc_rules() -> None:
    assert percent_encode("a b*c~d/中") == "a%20b%2Ac~d%2F%E4%B8%AD"
    params = {"Action": "SendSms", "AccessKeyId": "id", "Timestamp": "2026-12-01T00:00:00Z"}
    # StringToSign = POST&%2F&percent(sorted "k=v" joined by &), keyed with "<secret>&" (HMAC-SHA1).
    canonical = "AccessKeyId=id&Action=SendSms&Timestamp=2026-12-01T00%3A00%3A00Z"
    to_sign = "POST&%2F&" + percent_encode(canonical)
    expected = base64.b64encode(hmac.new(b"secret&", to_sign.encode(), hashlib.sha1).digest()).decode()
    assert aliyun_signature(params, "secret") == expected


def test_backoff_doubles_to_its_cap_and_gives_up_at_the_limit() -> None:
    policy = RetryPolicy(
        base=timedelta(seconds=2), cap=timedelta(seconds=30), dead_letter_after=timedelta(hours=1)
    )
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    assert policy.delay(1, jitter=0.99) < timedelta(seconds=2.5)
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    limit = policy.dead_letter_at(t0)
    assert not policy.gives_up(limit, limit - timedelta(seconds=1)) and policy.gives_up(limit, limit)


@pytest.mark.parametrize(
    ("recipient", "reach", "route"),
    [
        ("unit:U1", Reach(unit_webhook=True), Route.WEBHOOK),
        ("unit:U1", Reach(), Route.FEED),
        ("requester", Reach(requester_phone=True, sms_gateway=True), Route.SMS),
        ("requester", Reach(sms_gateway=True), Route.NONE),  # no number: nobody else's channel is tried
        ("hotline", Reach(duty_webhook=True), Route.DUTY_WEBHOOK),
        ("linkage:110", Reach(unit_webhook=True, duty_webhook=True), Route.LINKAGE),
    ],
)
def test_each_recipient_has_its_route(recipient: str, reach: Reach, route: Route) -> None:
    assert route_for(recipient, reach)[0] == route


def test_every_default_template_passes_its_own_check_and_renders() -> None:
    for kind, spec in MESSAGE_KINDS.items():
        check_template(kind, spec.default)
        text = render(spec.default, {name: f"<{name}>" for name in spec.allowed})
        assert "{" not in text and "<ticket_no>" in text, kind
    assert render("工单{ticket_no}：{reason}", {"ticket_no": "T1"}) == "工单T1：—"


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("registered", "已登记，查询：{progress_link}", "MISSING_PLACEHOLDER"),  # A19: the number
        ("not_accepted", "工单{ticket_no}不予受理：{reason}", "MISSING_PLACEHOLDER"),  # A13: the basis
        ("extension_approved", "工单{ticket_no}延期：{reason}", "MISSING_PLACEHOLDER"),  # A17: the limit
        ("registered", "{name}：工单{ticket_no} {progress_link}", "UNKNOWN_PLACEHOLDER"),
        ("registered", "{ticket_no} {progress_link} {0}", "UNKNOWN_PLACEHOLDER"),
        ("registered", "{ticket_no} {progress_link", "TEMPLATE_MALFORMED"),
        ("registered", "{ticket_no}{progress_link}" + "字" * 300, "TEMPLATE_LENGTH"),
        ("card_changed", "{ticket_no}", "UNKNOWN_MESSAGE_KIND"),
    ],
)
def test_a_template_that_drops_or_invents_a_placeholder_is_refused(kind: str, text: str, code: str) -> None:
    with pytest.raises(TemplateError) as refused:
        check_template(kind, text)
    assert refused.value.code == code
