"""Issue 18: an operator reads a ticket in Temporal UI without knowing the code.

A complaint is walked on a real dev server through a return (A14.1), an extension (A17) and a coordination
(A14.5). Then what Temporal UI reads is read through the client, as the UI does: the workflow's static
summary (the description), its current details (the SDK's workflow-metadata query), the memo, the search
attributes, the summaries on its timers, activities and child workflows (the history), and the `timeline`
query. Each is in Chinese, in China time, names units by name, and holds no requester identity (A32): those
payloads are the ones the codec leaves in clear.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payload
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.commands import (
    ApplyExtension,
    ApplyReturn,
    Designation,
    FiledSignatory,
    RaiseDispute,
    Requester,
    Review,
    ReviewReturn,
    SignFor,
    SignOff,
)
from domain.ticket import ANSWER, TicketState
from domain.ticket_summary import TimelineView, china_time
from domain.vocabulary import Category, DisputeKind, ReturnKind, Stage
from operations.credentials import create_unit
from tests.devserver.support import dev_server, eventually
from tests.driver import OPERATOR, Hotline, unit
from tests.support import SQLITE, read_model
from worker import build_worker
from workflows import search_attributes as sa
from workflows.converter import PUBLIC, is_encrypted
from workflows.coordination import CoordinationWorkflow, coordination_workflow_id
from workflows.ticket import TicketWorkflow

pytestmark = pytest.mark.devserver

REQUESTER = Requester(name="李华", phone="13800000000")
CONTENT = "新华南路路灯连续一周不亮，我是李华，电话13800000000，夜里行人摔倒。"
UNITS = [  # (id, name, tier, kind, parent): a district with its bureau, and a utility (A4–A6)
    ("U1", "韶关市武江区人民政府", 2, "county", None),
    ("U2", "武江区城市管理和综合执法局", 3, "department", "U1"),
    ("U3", "广东电网有限责任公司韶关供电局", 2, "utility", None),
]
# A15 (verdicts 4): a leader the unit filed with the office.
SIGN_OFF = SignOff(
    name="王伟", title="分管副局长", filed=FiledSignatory(person_id=1, role="leader_in_charge")
)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server() as server:
        yield server


@pytest.fixture(scope="module")
async def walked(
    env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[WorkflowHandle[Any, Any], TicketState]]:
    """The complaint, returned by U2 to U1 (approved), extended, disputed and designated back to U2."""
    async with read_model(SQLITE, tmp_path_factory.mktemp("ui") / "hotline.db") as maker:
        await _units(maker)
        task_queue = f"ui-{uuid.uuid4()}"
        async with build_worker(env.client, maker, task_queue):
            hotline = Hotline(env, task_queue, maker)
            h = await hotline.register(
                Category.COMPLAINT,
                dispatch_to="U2",
                co_units=["U3"],
                requester=REQUESTER,
                content=CONTENT,
                location="武江区新华南路88号",
            )
            await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U2")))
            s = await hotline.act(h, TicketWorkflow.apply_return, _return())
            await hotline.act(
                h,
                TicketWorkflow.review_return,
                ReviewReturn(actor=OPERATOR, return_id=s.returns[-1].id, approve=True, redispatch_to="U1"),
            )
            await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
            await hotline.act(
                h,
                TicketWorkflow.apply_extension,
                ApplyExtension(actor=unit("U1"), reason="需协调供电局更换灯杆", requester_told=True),
            )
            await hotline.act(h, TicketWorkflow.review_extension, Review(actor=OPERATOR, approve=True))
            await hotline.act(h, TicketWorkflow.raise_dispute, _dispute())
            child = env.client.get_workflow_handle_for(
                CoordinationWorkflow.run, coordination_workflow_id(h.id, 1)
            )
            await child.execute_update(
                CoordinationWorkflow.designate,
                Designation(actor=OPERATOR, lead_unit="U2", co_units=["U3"], note="路灯由城管局管养"),
            )
            s = await hotline.until(h, lambda s: s.lead_unit == "U2" and s.stage == Stage.DISPATCHED)
            # The memo follows the projection: wait until it names the designated lead.
            await eventually(lambda: _memo_names(h, "U2"), "the memo never named the designated lead")
            yield h, s


async def _units(maker: async_sessionmaker[AsyncSession]) -> None:
    for unit_id, name, tier, kind, parent in UNITS:
        await create_unit(maker, unit_id=unit_id, name=name, tier=tier, kind=kind, parent_id=parent)  # type: ignore[arg-type]


def _return() -> ApplyReturn:
    return ApplyReturn(
        actor=unit("U2"),
        kind=ReturnKind.NOT_OUR_DUTY,
        reason="灯杆属区政府统一管养",
        basis="《韶关市城市照明管理办法》第五条",
        suggested_unit="U1",
        signed_off_by=SIGN_OFF,
    )


def _dispute() -> RaiseDispute:
    return RaiseDispute(
        actor=unit("U1"),
        kind=DisputeKind.CONTESTED_JURISDICTION,
        units=["U1", "U2"],
        reason="人行道属区管养，路灯属城管局",
    )


async def _memo_names(handle: WorkflowHandle[Any, Any], lead: str) -> bool:
    memo = await (await handle.describe()).memo()
    return f"（{lead}）" in str(memo.get("主办单位", ""))


def _text(payload: Payload) -> str:
    assert not is_encrypted(payload) and payload.metadata.get(PUBLIC) == b"1", "left encrypted for the UI"
    return str(json.loads(payload.data))


async def _summaries(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [_text(e.user_metadata.summary) for e in history.events if e.user_metadata.HasField("summary")]


async def test_the_list_and_the_page_say_what_the_ticket_is(
    walked: tuple[WorkflowHandle[Any, Any], TicketState],
) -> None:
    handle, _ = walked
    description = await handle.describe()
    summary = await description.static_summary()
    assert summary == "投诉｜新华南路路灯连续一周不亮｜武江区新华南路"
    # Unit names in the memo, beside their ids (the designated lead, the co-unit).
    memo = await description.memo()
    assert memo == {
        "主办单位": "武江区城市管理和综合执法局（U2）",
        "协办单位": "广东电网有限责任公司韶关供电局（U3）",
    }
    attributes = description.typed_search_attributes
    assert attributes.get(sa.DISTRICT) == "武江区"  # U2 sits in 武江区's tree (A4)
    assert attributes.get(sa.EMERGENCY) is False
    assert attributes.get(sa.STAGE) == Stage.DISPATCHED.value
    assert attributes.get(sa.REGISTERED_DAY) and attributes.get(sa.REGISTERED_AT) is not None
    assert attributes.get(sa.NEXT_DUE) is not None


async def test_the_current_details_give_stage_lead_and_limits_in_china_time(
    walked: tuple[WorkflowHandle[Any, Any], TicketState],
) -> None:
    handle, state = walked
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    details = metadata.current_details
    assert details.startswith("**已转派，待签收**")
    assert "登记时间" in (await (await handle.describe()).static_details() or "")
    assert "主办：武江区城市管理和综合执法局（U2）" in details
    assert "协办：广东电网有限责任公司韶关供电局（U3）" in details
    # A17: the answer limit, extended, in China time ("24:00" of its last working day).
    assert f"A17 答复时限 {china_time(state.clocks[ANSWER].due_at)}" in details
    assert china_time(state.clocks[ANSWER].due_at).endswith("24:00")


async def test_timers_activities_and_children_carry_summaries_naming_the_rule(
    env: WorkflowEnvironment, walked: tuple[WorkflowHandle[Any, Any], TicketState]
) -> None:
    handle, _ = walked
    summaries = await _summaries(handle)
    assert any(s.startswith("A17 签收时限 到期转黄牌") for s in summaries), summaries  # a timer (A22)
    assert "A17 按工作日（含调休）计算时限" in summaries  # the planning activity
    assert "更新工单读模型" in summaries  # the projection
    assert "查询承办单位名称及所属区县" in summaries  # the units named (for the memo)
    assert any(s.startswith("A14.5 争议协调") for s in summaries), summaries  # the coordination child
    child = env.client.get_workflow_handle(coordination_workflow_id(handle.id, 1))
    child_summary = await (await child.describe()).static_summary()
    assert child_summary is not None and child_summary.startswith("A14.5 争议协调")


async def test_the_timeline_query_reads_as_the_regulation_with_no_identity(
    walked: tuple[WorkflowHandle[Any, Any], TicketState],
) -> None:
    handle, state = walked
    view = await handle.query("timeline", result_type=TimelineView)
    assert len(view.events) == len(state.timeline)
    whats = [e.what for e in view.events]
    assert whats[0] == "诉求已登记"
    assert {"承办单位申请退回", "延期已同意", "已提请协调", "已指定牵头单位"} <= set(whats)
    first = view.events[0]
    assert first.at == china_time(state.timeline[0].at)
    assert any(e.who == "承办单位 武江区城市管理和综合执法局（U2）" for e in view.events)
    assert any(e.rule == "A17" for e in view.events)
    # Nothing the UI shows in clear names the requester (A32).
    clear = json.dumps(view.model_dump(), ensure_ascii=False) + "".join(await _summaries(handle))
    for secret in (REQUESTER.name, REQUESTER.phone):
        assert secret not in clear
