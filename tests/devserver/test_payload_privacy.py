"""A32 in Temporal itself: a ticket's history, as the server stores it, shows no requester in clear.

Tickets are registered on a real dev server with a name, a phone and an organisation (one of them
confidential) and walked through a few actions; each whole history is then fetched from the server
(`fetch_history`, what Temporal UI and the CLI read) and its raw bytes searched for the requester. The
workflow's description (search attributes, memo) is searched too. A control decrypts the start event's
input with the codec and finds the requester there: the search looks where the data is.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.commands import ContactAttempt, Requester, Review, SignFor
from domain.vocabulary import Category
from tests.devserver.support import dev_server
from tests.driver import OPERATOR, Hotline, unit
from tests.support import SQLITE, read_model
from worker import build_worker
from workflows.converter import EncryptionCodec, is_encrypted
from workflows.ticket import TicketWorkflow

pytestmark = pytest.mark.devserver

OPEN = Requester(name="李华", phone="13800000000", organisation="解放路居委会")
CONFIDENTIAL = Requester(name="王保密", phone="13912345678", organisation="韶关某厂", confidential=True)


def secrets_of(requester: Requester) -> list[bytes]:
    return [v.encode() for v in (requester.name, requester.phone, requester.organisation)]


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server() as server:
        yield server


@pytest.fixture(scope="module")
async def sessions(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with read_model(SQLITE, tmp_path_factory.mktemp("privacy") / "hotline.db") as maker:
        yield maker


@pytest.fixture(scope="module")
async def handles(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[dict[str, WorkflowHandle[TicketWorkflow, object]]]:
    """An open requester's ticket walked to its closure review's approval; a confidential one signed for
    and contacted."""
    task_queue = f"privacy-{uuid.uuid4()}"
    async with build_worker(env.client, sessions, task_queue):
        hotline = Hotline(env, task_queue, sessions)
        opened = await hotline.register(Category.COMPLAINT, dispatch_to="U1", requester=OPEN)
        await hotline.act(opened, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
        state = await hotline.inform_requester(opened)
        await hotline.act(opened, TicketWorkflow.apply_closure, hotline.closure(state))
        await hotline.act(opened, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))

        kept = await hotline.register(Category.COMPLAINT, dispatch_to="U1", requester=CONFIDENTIAL)
        await hotline.act(kept, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
        await hotline.act(
            kept,
            TicketWorkflow.record_contact,
            ContactAttempt(actor=unit("U1"), at=await hotline.now(), reached=False),
        )
        yield {"open": opened, "confidential": kept}


@pytest.mark.parametrize(("ticket", "requester"), [("open", OPEN), ("confidential", CONFIDENTIAL)])
async def test_the_stored_history_names_no_requester(
    env: WorkflowEnvironment,
    handles: dict[str, WorkflowHandle[TicketWorkflow, object]],
    ticket: str,
    requester: Requester,
) -> None:
    handle = handles[ticket]
    history = await handle.fetch_history()
    assert len(history.events) > 20, "the actions are in the history"
    raw = History(events=history.events).SerializeToString()
    as_json = history.to_json().encode()
    description = (await handle.describe()).raw_description.SerializeToString()
    for secret in secrets_of(requester):
        assert secret not in raw, f"{secret.decode()} in clear in the history"
        assert secret not in as_json, f"{secret.decode()} in the history's JSON"
        assert secret not in description, f"{secret.decode()} in the workflow's description"

    # Control: the start event's input is encrypted, and the codec finds the requester inside.
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert is_encrypted(started)
    codec = env.client.data_converter.payload_codec
    assert isinstance(codec, EncryptionCodec)
    (plain,) = await codec.decode([started])
    for secret in secrets_of(requester):
        assert secret in plain.data
