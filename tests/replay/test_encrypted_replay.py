"""An encrypted history replays with the keys the worker holds, also after the key has rotated.

The checked-in histories (tests/histories/) predate encryption: their payloads pass through the codec
(test_replay.py). This one is written encrypted by a ticket on the time-skipping server, then replayed by
a Replayer whose current key is newer: the older key id in each payload's metadata picks the key.
"""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr
from temporalio.worker import Replayer

from config import DEMO_PAYLOAD_KEY, DEMO_PAYLOAD_KEY_ID, Settings
from domain.commands import SignFor
from tests.driver import Hotline, unit
from worker import WORKFLOWS
from workflows.converter import KEY_ID, hotline_data_converter, is_encrypted
from workflows.ticket import TicketWorkflow

NEXT_KEY = SecretStr(base64.b64encode(b"n" * 32).decode())


def rotated(*, keep_old: bool) -> Settings:
    keys = {"next": NEXT_KEY} | ({DEMO_PAYLOAD_KEY_ID: SecretStr(DEMO_PAYLOAD_KEY)} if keep_old else {})
    return Settings(environment="test", payload_keys=keys, payload_key_id="next")


async def test_an_encrypted_history_replays_after_the_key_rotated(hotline: Hotline) -> None:
    handle = await hotline.register()
    await hotline.act(handle, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert is_encrypted(started) and started.metadata[KEY_ID] == DEMO_PAYLOAD_KEY_ID.encode()

    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=hotline_data_converter(rotated(keep_old=True))
    )
    await replayer.replay_workflow(history)

    # Without the old key the history cannot be read: the key is removed only once no history needs it.
    forgetful = Replayer(
        workflows=list(WORKFLOWS), data_converter=hotline_data_converter(rotated(keep_old=False))
    )
    # The worker would retry the workflow task until the key is back (a failed task, not a failed ticket).
    with pytest.raises(Exception, match="PayloadKeyError"):
        await forgetful.replay_workflow(history)
