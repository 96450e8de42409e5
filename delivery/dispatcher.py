"""The dispatcher: drains the `notices` outbox the projection fills, in the ticket's own transaction.

Why an outbox and not activities started by the workflow: a notice costs the ticket nothing — no
activity, no timer, no history event, no retry state in its workflow; the projection already writes the
rows atomically with the event. The dispatcher's state lives in the database (attempts, next try, lease,
dead-letter limit), so it survives its own restarts, the worker's, the recipients' outages and the
database's (every loop catches and backs off). It reports each outcome to the ticket's workflow with the
signal `delivery_reported` (a DeliveryReport), best effort and retried, and records it in `deliveries`.

Runs as a task inside the worker (HOTLINE_DELIVERY_IN_WORKER, the default) or as its own process
(`python -m operations deliver`); on PostgreSQL several may run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from config import Settings
from db.delivery_models import DeliveryRow
from delivery import links, outbox, signing
from delivery.messages import Context, load_contexts, requester_text, requester_values, webhook_body
from delivery.outbox import Claimed, Settle
from delivery.sms import SmsMessage, SmsOutcome, SmsSender, sender_from
from domain.delivery import DeliveryReport, DeliveryStatus, Reach, RetryPolicy, Route, route_for

log = logging.getLogger("hotline.delivery")

SIGNAL = "delivery_reported"
# How long the recorder waits for more outcomes to record together (B6: fewer, larger transactions).
SETTLE_GATHER_SECONDS = 0.01
# While a backlog keeps half the dispatcher's room busy, one report round in this many.
REPORT_EVERY_ROUNDS_WHEN_BUSY = 5
Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: DeliveryStatus
    detail: str = ""
    provider_ref: str | None = None
    permanent: bool = False


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        client: Client | None = None,
        connect: Callable[[], Awaitable[Client]] | None = None,
        sms: SmsSender | None = None,
        clock: Clock = wall_clock,
    ) -> None:
        self.settings, self.sessions, self.clock = settings, sessions, clock
        self._client, self._connect = client, connect
        self.sms = sms if sms is not None else sender_from(settings)
        self.policy = RetryPolicy(
            base=timedelta(seconds=settings.delivery_backoff_base_seconds),
            cap=timedelta(seconds=settings.delivery_backoff_cap_seconds),
            dead_letter_after=timedelta(seconds=settings.delivery_dead_letter_after_seconds),
        )
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self._http: httpx.AsyncClient | None = None
        self._in_flight = 0  # claimed and not yet settled
        self._batch_floor = max(1, settings.delivery_concurrency // 4)
        self._settled = asyncio.Event()
        self._settles: asyncio.Queue[Settle] = asyncio.Queue()

    # -------------------------------------------------------------------------------- the loops
    async def run(self, stop: asyncio.Event) -> None:
        self._http = httpx.AsyncClient(timeout=self.settings.delivery_http_timeout_seconds)
        loops = [
            asyncio.create_task(self._drain_forever(stop)),
            asyncio.create_task(self._report_forever(stop)),
            asyncio.create_task(self._purge_forever(stop)),
        ]
        log.info("dispatcher draining the outbox (sms: %s)", self.sms.name if self.sms else "none")
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            for task in loops:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._http.aclose()

    async def _drain_forever(self, stop: asyncio.Event) -> None:
        """Claim what is due while there is room; each claim's notices go out at once, and their outcomes
        are recorded in batches (one transaction for all that finished meanwhile)."""
        settler = asyncio.create_task(self._settle_forever())
        batches: set[asyncio.Task[None]] = set()
        failures = 0
        try:
            while not stop.is_set():
                self._settled.clear()  # any settle from here on wakes the wait below
                room = self.settings.delivery_concurrency - self._in_flight
                claimed: list[Claimed] = []
                # Under load, claim in batches (a quarter of the room at least): fewer transactions.
                if room > 0 and (room >= self._batch_floor or self._in_flight == 0):
                    try:
                        claimed = await outbox.claim(
                            self.sessions,
                            self.clock(),
                            limit=min(room, self.settings.delivery_batch_size),
                            lease=self.lease,
                            dead_letter_after=self.policy.dead_letter_after,
                        )
                        failures = 0
                    except Exception:  # the database away: back off, the state is all in it
                        failures += 1
                        log.warning("claiming notices failed (try %d); backing off", failures, exc_info=True)
                        await asyncio.sleep(min(0.5 * 2**failures, 30))
                        continue
                if claimed:
                    self._in_flight += len(claimed)
                    batch = asyncio.create_task(self.deliver_batch(claimed))
                    batches.add(batch)
                    batch.add_done_callback(batches.discard)
                    if self._in_flight < self.settings.delivery_concurrency:
                        continue  # more may be due right now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._settled.wait(), self.settings.delivery_poll_seconds)
        finally:
            for task in (*batches, settler):
                task.cancel()

    async def _settle_forever(self) -> None:
        while True:
            items = [await self._settles.get()]
            if self._in_flight > 1:
                await asyncio.sleep(SETTLE_GATHER_SECONDS)  # let the outcomes in flight join this batch
            while not self._settles.empty() and len(items) < 256:
                items.append(self._settles.get_nowait())
            # The database may be away right after a send: retry within the lease, after which the
            # notices go again with the same ids (the recipients dedupe).
            for attempt in range(8):
                try:
                    await outbox.settle_many(self.sessions, items, self.clock())
                    break
                except Exception:
                    log.warning(
                        "recording %d outcomes failed (try %d)", len(items), attempt + 1, exc_info=True
                    )
                    await asyncio.sleep(min(0.25 * 2**attempt, self.lease.total_seconds() / 8))
            self._in_flight -= len(items)
            self._settled.set()

    async def _report_forever(self, stop: asyncio.Event) -> None:
        """Reports trail deliveries: a bounded round each interval, and while a backlog keeps the
        dispatcher busy only every REPORT_EVERY_ROUNDS_WHEN_BUSY-th, so its signals do not take the CPU the
        deliveries need (B6); they catch up when the outbox is quiet."""
        skipped = 0
        while not stop.is_set():
            busy = self._in_flight >= max(1, self.settings.delivery_concurrency // 2)
            if busy and skipped < REPORT_EVERY_ROUNDS_WHEN_BUSY - 1:
                skipped += 1
            else:
                skipped = 0
                try:
                    await self.report_once(self.settings.delivery_reports_per_round)
                except Exception:
                    log.warning("reporting deliveries failed; will retry", exc_info=True)
            await asyncio.sleep(self.settings.delivery_report_interval_seconds)

    async def _purge_forever(self, stop: asyncio.Event) -> None:
        retention = timedelta(hours=self.settings.delivery_retention_hours)
        while not stop.is_set():
            try:
                purged = await outbox.purge_delivered(self.sessions, self.clock() - retention)
                if purged:
                    log.info("purged %d delivered notices older than %s", purged, retention)
            except Exception:
                log.warning("purging delivered notices failed; will retry", exc_info=True)
            await asyncio.sleep(min(3600.0, retention.total_seconds() / 4))

    # ----------------------------------------------------------------------------- one claim
    async def deliver_batch(self, claimed: list[Claimed]) -> None:
        try:
            contexts = await load_contexts(self.sessions, claimed)
        except Exception:  # their leases run out and they are tried again, with the same ids
            log.warning(
                "reading %d notices failed; they are retried after their lease", len(claimed), exc_info=True
            )
            self._in_flight -= len(claimed)
            self._settled.set()
            return
        await asyncio.gather(*(self._deliver_one(c, contexts[c.id]) for c in claimed))

    async def _deliver_one(self, c: Claimed, ctx: Context) -> None:
        reach = Reach(
            unit_webhook=ctx.webhook is not None,
            requester_phone=bool(ctx.phone),
            sms_gateway=self.sms is not None,
            duty_webhook=bool(self.settings.duty_webhook_url),
        )
        route, why = route_for(c.recipient, reach)
        try:
            outcome = await self._send(c, ctx, route, why)
        except Exception as err:  # a bug or the database while minting a link: a failed try, retried
            log.exception("delivering %s failed", c.id)
            outcome = Outcome(False, DeliveryStatus.FAILED, f"{type(err).__name__}: {err}"[:300])
        self._settles.put_nowait(self._judged(c, route, outcome))

    async def _send(self, c: Claimed, ctx: Context, route: Route, why: str) -> Outcome:
        if route == Route.FEED:
            return Outcome(True, DeliveryStatus.SENT, "in the unit's feed (GET /notifications)")
        if route == Route.LINKAGE:
            return Outcome(False, DeliveryStatus.HELD, why)
        if route == Route.NONE:
            return Outcome(True, DeliveryStatus.NO_CHANNEL, why)
        if route == Route.SMS:
            return await self._text(c, ctx)
        if route == Route.WEBHOOK:
            assert ctx.webhook is not None
            return await self._post(c, ctx, ctx.webhook.url, ctx.webhook.secret)
        return await self._post(c, ctx, self.settings.duty_webhook_url, self.settings.duty_webhook_secret)

    async def _post(self, c: Claimed, ctx: Context, url: str, secret: str) -> Outcome:
        assert self._http is not None
        body = webhook_body(c, ctx, self.settings.public_base_url)
        headers = signing.headers(secret, c.id, int(time.time()), body) | {"content-type": "application/json"}
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as err:
            return Outcome(False, DeliveryStatus.FAILED, f"{type(err).__name__}: {err}"[:300])
        if response.is_success:
            return Outcome(True, DeliveryStatus.ACKNOWLEDGED, f"HTTP {response.status_code}")
        return Outcome(False, DeliveryStatus.FAILED, f"HTTP {response.status_code}")

    async def _text(self, c: Claimed, ctx: Context) -> Outcome:
        assert self._http is not None and self.sms is not None
        values = requester_values(c, ctx, await self._links(c, ctx))
        message = SmsMessage(
            out_id=c.id, phone=ctx.phone, kind=c.kind, text=requester_text(c, ctx, values), params=values
        )
        try:
            sent: SmsOutcome = await self.sms.send(self._http, message)
        except httpx.HTTPError as err:
            return Outcome(False, DeliveryStatus.FAILED, f"{type(err).__name__}: {err}"[:300])
        if sent.accepted:
            return Outcome(True, DeliveryStatus.SENT, sent.detail, sent.provider_ref)
        return Outcome(False, DeliveryStatus.FAILED, sent.detail, permanent=sent.permanent)

    async def _links(self, c: Claimed, ctx: Context) -> dict[str, str]:
        """A19 a progress link in every message; A24 a one-time rating link in the rating request."""

        async def link(purpose: str, expires_at: datetime | None, rating_round: int | None = None) -> str:
            token = await links.mint(
                self.sessions,
                server_secret=self.settings.token_secret,
                delivery_id=c.id,
                ticket_no=c.ticket_no,
                purpose=purpose,
                now=self.clock(),
                expires_at=expires_at,
                rating_round=rating_round,
            )
            return links.link_url(self.settings.public_base_url, token)

        found = {"progress_link": await link(links.PROGRESS, None)}
        if c.kind == "rating_requested":
            expires = ctx.event_data.get("expires_at")
            found["rating_link"] = await link(
                links.RATING,
                datetime.fromisoformat(expires) if expires else None,
                int(ctx.event_data.get("round") or 1),
            )
        return found

    def _judged(self, c: Claimed, route: Route, outcome: Outcome) -> Settle:
        """The outcome as recorded: a failed try backs off, or is dead-lettered past the limit."""
        now = self.clock()
        status, next_try, detail = outcome.status, None, outcome.detail
        if not outcome.ok and status == DeliveryStatus.FAILED:
            next_try = now + self.policy.delay(c.attempts, random.random())
            if outcome.permanent or self.policy.gives_up(c.dead_letter_at, next_try):
                status, next_try = DeliveryStatus.DEAD_LETTERED, None
                detail = f"dead-lettered after {c.attempts} tries: {detail}"
                log.warning("notice %s to %s dead-lettered: %s", c.id, c.recipient, outcome.detail)
            else:
                detail = f"try {c.attempts} failed: {detail}; next at {next_try.isoformat()}"
        return Settle(c, route, status, detail, outcome.provider_ref, next_try)

    # --------------------------------------------------------------------- telling the workflow
    async def _temporal(self) -> Client | None:
        if self._client is None and self._connect is not None:
            try:
                self._client = await self._connect()
            except Exception:
                log.warning("Temporal unreachable: delivery reports wait", exc_info=True)
        return self._client

    async def report_once(self, limit: int = 100) -> int:
        """Signal `delivery_reported` for each delivery whose status has not been told; best effort: a
        ticket whose workflow has ended (or has no handler yet) does not hold delivery up."""
        client = await self._temporal()
        if client is None:
            return 0
        rows = await outbox.unreported(self.sessions, limit)
        gate = asyncio.Semaphore(16)

        async def tell(row: DeliveryRow) -> tuple[str, str] | None:
            report = DeliveryReport(
                event_id=row.event_id,
                recipient=row.recipient,
                delivery_id=row.id,
                status=DeliveryStatus(row.status),
                at=row.updated_at,
                detail=row.detail[:500],
            )
            async with gate:
                try:
                    await client.get_workflow_handle(f"ticket-{row.ticket_no}").signal(SIGNAL, report)
                except RPCError as err:
                    if err.status != RPCStatusCode.NOT_FOUND:
                        log.warning("Temporal did not take the report of %s: %s; will retry", row.id, err)
                        return None
                    log.info("ticket %s has no running workflow: report of %s kept", row.ticket_no, row.id)
                except Exception:
                    log.warning("report of %s could not be sent; kept in deliveries", row.id, exc_info=True)
            return row.id, row.status

        told = [t for t in await asyncio.gather(*(tell(row) for row in rows)) if t is not None]
        await outbox.mark_reported(self.sessions, told)
        return len(told)


async def run_process(settings: Settings) -> None:
    """`python -m operations deliver`: the dispatcher as its own process, until SIGINT or SIGTERM."""
    import signal

    from db.session import make_engine, make_session_maker
    from worker import connect

    engine = make_engine(settings.database_url)
    dispatcher = Dispatcher(settings, make_session_maker(engine), connect=lambda: connect(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await dispatcher.run(stop)
    finally:
        await engine.dispose()
