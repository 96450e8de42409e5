"""A circuit breaker in front of Temporal: once the API knows the server is away, calls fail at once.

Without it every call waits out the whole RPC timeout (the SDK retries an unreachable server until then)
before its 503, and a queue of callers each hold a connection that long. Here:

- closed: calls go through. A call that fails as a server away would (the timeout passed, UNAVAILABLE)
  is followed by one short probe (GetSystemInfo, no retries, `temporal_probe_timeout_seconds`); the probe
  failing too opens the breaker. A workflow that is slow or has no worker (F5) fails the call but not the
  probe: the server is there, the breaker stays closed.
- open: calls are refused without an RPC, 503 `TEMPORAL_UNAVAILABLE` with `Retry-After` the seconds left
  of `temporal_breaker_cooldown_seconds`.
- once the cooldown has passed, the next call probes first (one at a time; the others are still refused);
  a probe that answers closes the breaker and the call goes on.

Reads served from SQL (lists, figures, /units …) never come here and keep answering while it is open.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum

from api.errors import ApiError, temporal_unavailable

log = logging.getLogger("hotline.api.temporal")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


class TemporalBreaker:
    def __init__(
        self,
        cooldown_seconds: float,
        probe: Callable[[], Awaitable[bool]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cooldown = cooldown_seconds
        self._probe = probe
        self._clock = clock
        self._lock = asyncio.Lock()
        self.state = BreakerState.CLOSED
        self._opened_at = 0.0
        # What the breaker has done, for /healthz readers and the tests: calls refused without an RPC.
        self.refused = 0
        self.times_opened = 0

    def _seconds_left(self) -> float:
        return max(0.0, self._opened_at + self.cooldown - self._clock())

    def _refusal(self) -> ApiError:
        self.refused += 1
        log.info("refused without calling Temporal: breaker open, %.1f s left", self._seconds_left())
        err = temporal_unavailable("the ticket service (Temporal) is unreachable; retry later")
        err.headers["Retry-After"] = str(max(1, math.ceil(self._seconds_left())))
        return err

    async def admit(self) -> None:
        """Return if a call may go to Temporal now; raise the 503 if the breaker is open."""
        if self.state == BreakerState.CLOSED:
            return
        if self._seconds_left() > 0 or self._lock.locked():
            raise self._refusal()
        # Half-open: this caller probes, the others are refused meanwhile (the lock was free: no wait here).
        async with self._lock:
            if await self._probe():
                log.warning("Temporal answers again: breaker closed")
                self.state = BreakerState.CLOSED
                return
            self._open()
        raise self._refusal()

    async def failed(self) -> None:
        """A call failed as it would with the server away: probe once, and open if the probe fails too."""
        if self.state == BreakerState.OPEN or self._lock.locked():
            return
        async with self._lock:
            if self.state == BreakerState.CLOSED and not await self._probe():
                self._open()

    def open(self) -> None:
        """The client could not even connect: the server is away."""
        if self.state == BreakerState.CLOSED:
            self._open()

    def _open(self) -> None:
        self.state = BreakerState.OPEN
        self._opened_at = self._clock()
        self.times_opened += 1
        log.warning("Temporal unreachable: breaker open, calls refused for %.0f s", self.cooldown)
