"""The worker's Prometheus exporter (issue 15) never stops a worker: a second worker on the host with the same
address (F1 restarts one beside another; two processes under one supervisor) runs without metrics instead
of exiting on "Address already in use"."""

from __future__ import annotations

import socket

from worker import telemetry


def test_a_second_worker_on_the_same_metrics_address_runs_without_the_exporter() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    first = telemetry(address)
    assert first is not None  # serving
    assert telemetry(address) is None  # the address is taken: no exporter, no crash
