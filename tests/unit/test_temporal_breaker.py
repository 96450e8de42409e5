"""The breaker's states on their own (api/temporal_breaker.py), with a probe and a clock the test holds.
tests/faults/test_f6_temporal_away.py shows it against a real dev server that stops and starts again."""

from __future__ import annotations

import pytest

from api.errors import ApiError
from api.temporal_breaker import BreakerState, TemporalBreaker


class Probe:
    def __init__(self) -> None:
        self.answers = True
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        return self.answers


async def test_a_failure_opens_only_when_the_probe_fails_too_and_a_later_probe_closes() -> None:
    now = [100.0]
    probe = Probe()
    breaker = TemporalBreaker(5.0, probe, clock=lambda: now[0])

    await breaker.failed()  # a slow workflow: the server answers the probe
    assert breaker.state == BreakerState.CLOSED and probe.calls == 1
    probe.answers = False
    await breaker.failed()
    assert breaker.state == BreakerState.OPEN and probe.calls == 2

    now[0] += 3.2  # within the cool-down: refused without probing, told to come back in 2 s
    with pytest.raises(ApiError) as refused:
        await breaker.admit()
    assert (refused.value.status, refused.value.code) == (503, "TEMPORAL_UNAVAILABLE")
    assert refused.value.headers["Retry-After"] == "2" and probe.calls == 2

    now[0] += 2.0  # the cool-down passed, the server still away: one probe, open again for 5 s
    with pytest.raises(ApiError) as again:
        await breaker.admit()
    assert again.value.headers["Retry-After"] == "5" and probe.calls == 3 and breaker.times_opened == 2

    now[0] += 5.0
    probe.answers = True
    await breaker.admit()  # the probe answers: closed, and the call goes on
    assert breaker.state == BreakerState.CLOSED and probe.calls == 4 and breaker.refused == 2
