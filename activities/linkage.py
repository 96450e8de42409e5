"""A23: the hand-over to an emergency line's system, and the result told to a line that handed a matter to
12345. Plain JSON over HTTP to the endpoint the office configured for the line (`linkage_lines`), with a
stable `Idempotency-Key` the line's system dedupes on: a retried activity hands the same matter over once."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.linkage_models import LinkageLineRow
from domain.linkage import HandedOver, Handover, LineResult
from workflows.linkage import HAND_OVER, TELL_LINE_RESULT

# A line that answers this is refusing the request itself; retrying the same request cannot help.
_FINAL = {400, 401, 403, 404, 409, 410, 422}


class LinkageActivities:
    def __init__(
        self, session_maker: async_sessionmaker[AsyncSession], http: httpx.AsyncClient | None = None
    ) -> None:
        self._session_maker = session_maker
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(5.0))

    @activity.defn(name=HAND_OVER)
    async def hand_over_to_line(self, handover: Handover) -> HandedOver:
        answer = await self._post(
            handover.line, "/handovers", handover.linkage_id, handover.model_dump(mode="json")
        )
        return HandedOver(reference=str(answer.get("reference", "")))

    @activity.defn(name=TELL_LINE_RESULT)
    async def tell_line_result(self, result: LineResult) -> None:
        key = f"result-{result.ticket_no}"
        await self._post(result.line, "/results", key, result.model_dump(mode="json"))

    async def _post(self, line: str, path: str, key: str, body: dict[str, object]) -> dict[str, object]:
        async with self._session_maker() as session:
            configured = await session.get(LinkageLineRow, line)
        if configured is None:
            raise ApplicationError(
                f"no system configured for line {line}", type="LINE_NOT_CONFIGURED", non_retryable=True
            )
        headers = {"Idempotency-Key": key}
        if configured.token:
            headers["Authorization"] = f"Bearer {configured.token}"
        response = await self._http.post(configured.endpoint.rstrip("/") + path, json=body, headers=headers)
        if response.status_code in _FINAL:
            raise ApplicationError(
                f"line {line} refused: {response.status_code} {response.text[:200]}",
                type="LINE_REFUSED",
                non_retryable=True,
            )
        response.raise_for_status()  # 5xx, 429, 408: retried with backoff
        try:
            answer = response.json()
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}
