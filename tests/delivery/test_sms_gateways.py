"""The requester's SMS through both adapters, each against a loopback gateway speaking its request shape:
Aliyun dysmsapi (SendSms, form parameters, the RPC HMAC-SHA1 signature checked by the gateway) and the
generic HTTP one. A refusal no retry can mend is dead-lettered at once; a requester who left no number is
reached by no other channel; a confidential request's messages keep the matter behind the link (A32)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from domain.commands import NotAccept, Requester
from domain.delivery import DeliveryStatus
from domain.vocabulary import Category, NotAcceptedReason
from tests.delivery.support import (
    ALIYUN_KEY_ID,
    ALIYUN_KEY_SECRET,
    AliyunGateway,
    Arrival,
    HttpGateway,
    all_settled,
    deliveries,
    dispatching,
    fast_settings,
    serving,
)
from tests.driver import OPERATOR, Hotline
from workflows.ticket import TicketWorkflow


def aliyun_settings(gateway: AliyunGateway) -> dict[str, object]:
    return {
        "sms_provider": "aliyun",
        "sms_aliyun_endpoint": gateway.url + "/",
        "sms_aliyun_access_key_id": ALIYUN_KEY_ID,
        "sms_aliyun_access_key_secret": ALIYUN_KEY_SECRET,
        "sms_aliyun_sign_name": "韶关12345",
        "sms_aliyun_template_codes": {"registered": "SMS_100001", "*": "SMS_100000"},
    }


async def test_aliyun_sendsms_carries_the_delivery_id_as_outid_signed(hotline: Hotline) -> None:
    gateway = AliyunGateway()
    async with serving(gateway):
        handles = [await hotline.register(dispatch_to="U1") for _ in range(3)]
        async with dispatching(fast_settings(**aliyun_settings(gateway)), hotline.session_maker):
            rows = await all_settled(hotline.session_maker, client=hotline.client)
    to_requester = {n.id for n in rows if n.recipient == "requester"}
    assert len(to_requester) == len(handles) and not gateway.refused
    assert sorted(gateway.ids()) == sorted(to_requester)
    for a in gateway.arrivals:
        assert a.body["SignName"] == "韶关12345" and a.body["PhoneNumbers"] == "13800000000"
        assert a.body["TemplateCode"] == "SMS_100001"
        params = json.loads(a.body["TemplateParam"])
        assert params["progress_link"].startswith("http://hotline.test/t/")
    sent_for = {json.loads(a.body["TemplateParam"])["ticket_no"] for a in gateway.arrivals}
    assert sent_for == {h.id.removeprefix("ticket-") for h in handles}
    records = await deliveries(hotline.session_maker)
    assert {records[i].status for i in to_requester} == {DeliveryStatus.SENT}
    assert {records[i].provider_ref for i in to_requester} <= {f"biz-{n}" for n in range(1, 4)}


@dataclass
class RefusingAliyun(AliyunGateway):
    def answer(self, arrival: Arrival) -> bytes:
        return json.dumps({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}).encode()


async def test_a_refusal_no_retry_can_mend_is_dead_lettered_at_once(hotline: Hotline) -> None:
    gateway = RefusingAliyun()
    async with serving(gateway):
        await hotline.register(dispatch_to="U1")
        async with dispatching(fast_settings(**aliyun_settings(gateway)), hotline.session_maker):
            rows = await all_settled(hotline.session_maker, client=hotline.client)
    [notice] = [n for n in rows if n.recipient == "requester"]
    record = (await deliveries(hotline.session_maker))[notice.id]
    assert record.status == DeliveryStatus.DEAD_LETTERED and record.attempts == 1
    assert "isv.MOBILE_NUMBER_ILLEGAL" in record.detail and gateway.ids() == [notice.id]


async def test_no_number_no_message_and_a_confidential_matter_stays_behind_the_link(hotline: Hotline) -> None:
    gateway = HttpGateway()
    async with serving(gateway):
        silent = await hotline.register(dispatch_to="U1", requester=Requester(name="匿名"))
        secret = await hotline.register(
            Category.CONSULTATION,
            dispatch_to=None,
            requester=Requester(name="王某", phone="+86 139-0000-1111", confidential=True),
        )
        await hotline.act(
            secret,
            TicketWorkflow.not_accept,
            NotAccept(actor=OPERATOR, reason=NotAcceptedReason.PETITION_CHANNEL, basis="已进入信访程序"),
        )
        settings = fast_settings(sms_provider="http", sms_http_url=gateway.url)
        async with dispatching(settings, hotline.session_maker):
            rows = await all_settled(hotline.session_maker, client=hotline.client)
    records = await deliveries(hotline.session_maker)
    silent_no = silent.id.removeprefix("ticket-")
    to_silent = [n for n in rows if n.recipient == "requester" and n.ticket_no == silent_no]
    assert to_silent and {records[n.id].status for n in to_silent} == {DeliveryStatus.NO_CHANNEL}
    texts = {a.body["kind"]: a.body for a in gateway.arrivals}
    assert set(texts) == {"registered", "not_accepted"}  # only the confidential requester's, to their number
    refusal = texts["not_accepted"]
    assert refusal["phone"] == "13900001111"
    assert (
        "信访" not in refusal["text"]
        and "王某" not in refusal["text"]
        and "请通过链接查看" in refusal["text"]
    )
