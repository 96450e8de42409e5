"""The baselines' bare workflow: it sleeps until an instant and returns the workflow time it woke at.

Alone in its module on purpose: the workflow sandbox re-imports a workflow's module for every run, so a
module carrying the benchmark harness would bill the baseline for it (~110 KiB per cached workflow).
Run by `python -m bench.common bare-worker`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow


@workflow.defn(name="BareTimer")
class BareTimerWorkflow:
    def __init__(self) -> None:
        self._woke_at: datetime | None = None

    @workflow.run
    async def run(self, wake_at: datetime) -> datetime:
        delay = wake_at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        self._woke_at = workflow.now()
        return self._woke_at

    @workflow.query
    def woke_at(self) -> datetime | None:
        return self._woke_at
