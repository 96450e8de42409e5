"""One Settings object for the API, the worker and the tools (env prefix HOTLINE_)."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A secret shipped in the repo may serve a laptop demo, never production.
DEMO_TOKEN_SECRET = "demo-only-secret-change-me-0000000000000000"
# Likewise the payload key (workflows/converter.py): AES-256, base64 of 32 bytes, for laptops and tests only.
DEMO_PAYLOAD_KEY_ID = "demo-1"
DEMO_PAYLOAD_KEY = base64.b64encode(b"demo-only-payload-key-0000000000").decode()
# Environments where the demo secrets may serve; anything else must bring its own.
DEV_ENVIRONMENTS = frozenset({"local", "dev", "test"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    environment: str = Field("local", description="local | test | production")
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "hotline-tickets"
    database_url: str = "sqlite+aiosqlite:///data/hotline.db"
    token_secret: str = DEMO_TOKEN_SECRET
    # How long the API waits for a workflow update/query before answering 503.
    temporal_rpc_timeout_seconds: float = 10.0
    # Once Temporal is known to be away, calls are refused at once for this long, then one probes
    # (api/temporal_breaker.py); the probe is one GetSystemInfo without retries, bounded by the second.
    temporal_breaker_cooldown_seconds: float = Field(5.0, gt=0)
    temporal_probe_timeout_seconds: float = Field(1.0, gt=0)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(1, ge=1)
    # What one connection may cost the API (api/serve.py builds uvicorn's options from these; the proxy in
    # front in production applies its own bounds first, README). The largest legitimate body is a knowledge
    # point's text or a registration, a few kB: 1 MiB leaves room and refuses floods unread.
    api_max_body_bytes: int = Field(1024 * 1024, gt=0)
    # From a request's first byte to its last header, and from there to its last body byte: a client
    # slower than this is closed (slowloris). uvicorn has no such timeout of its own (api/connection_guard.py).
    api_header_timeout_seconds: float = Field(10.0, gt=0)
    api_body_timeout_seconds: float = Field(30.0, gt=0)
    # An idle keep-alive connection is closed after this (uvicorn's timeout_keep_alive; whole seconds).
    api_keep_alive_seconds: int = Field(5, ge=1)
    # Open connections and in-flight requests past which uvicorn answers 503 at once.
    api_limit_concurrency: int = Field(200, ge=1)
    api_backlog: int = Field(256, ge=1)
    temporal_ui_port: int = 8233
    data_dir: str = "data"
    log_level: str = "INFO"
    # Tickets the worker keeps in memory: a cached ticket wakes without replaying its history. Each costs
    # about 0.2 MiB (bench/README.md, B3); size it to the tickets whose limits fall together (B4).
    worker_max_cached_workflows: int = Field(1000, ge=0)
    # The worker imports the workflow modules once (worker.py workflow_runner); true: afresh for every
    # workflow, as the SDK does by default and the test tier always does. Slower, for diagnosis.
    worker_strict_sandbox: bool = False
    # How long the API trusts what a bearer token resolved to before looking it up again (api/auth.py): a
    # credential revoked outside this API process (the CLI, another worker) is refused within this bound;
    # revoked through it (a unit's deactivation), at once. 0: every request looks its token up.
    credential_cache_seconds: float = Field(5.0, ge=0, le=60)
    # How long a POST's Idempotency-Key is honoured; older keys are purged (operations/idempotency.py).
    idempotency_retention_hours: float = Field(168.0, gt=0)
    # Workflow payloads are encrypted (workflows/converter.py): key id -> base64 AES key (16, 24 or 32
    # bytes), JSON in the environment. `payload_key_id` encrypts; every key listed still decrypts, so a key
    # is rotated by adding the new one, making it current, and removing the old one once no history kept
    # by Temporal (retention) was written with it.
    payload_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEMO_PAYLOAD_KEY_ID: SecretStr(DEMO_PAYLOAD_KEY)}
    )
    payload_key_id: str = DEMO_PAYLOAD_KEY_ID
    # Origins of Temporal UI allowed to call the codec server (api/routes/codec.py) from the browser.
    codec_cors_origins: list[str] = ["http://127.0.0.1:8233", "http://localhost:8233"]
    # How often the worker looks for tickets whose workflow was ended outside the service (terminated or
    # failed from Temporal UI or the CLI) and marks them in the read model (activities/reconcile.py).
    reconcile_interval_seconds: float = Field(60.0, gt=0)
    # Prometheus (api/metrics.py, worker.py). The API's /metrics answers this bearer token only; unset, it is
    # 404. The worker serves the Temporal SDK's metrics and the read-model gauges at this address's
    # /metrics (the SDK's own HTTP server; empty: off); bind it where only Prometheus reaches.
    metrics_token: SecretStr | None = None
    metrics_cache_seconds: float = Field(5.0, ge=0)
    worker_metrics_address: str = "127.0.0.1:9464"
    worker_metrics_interval_seconds: float = Field(15.0, gt=0)

    # A10.6/A18 repeat detection (api/repeats.py): an earlier ticket at the same place is a candidate while
    # open, or for this many natural days after it concluded; the same requester's tickets are candidates
    # for as long again, times `repeat_requester_window_factor`. A candidate at or above the threshold (the
    # matters' TF-IDF cosine, domain/repeats.py) is a likely repeat; the labelled pairs measured it (README).
    repeat_window_days: int = Field(90, ge=1, le=3650)
    repeat_requester_window_factor: int = Field(4, ge=1, le=100)
    repeat_threshold: float = Field(0.09, gt=0, le=1)
    repeat_candidates_shown: int = Field(10, ge=1, le=50)

    def uvicorn_options(self) -> dict[str, Any]:
        """The one set of uvicorn options: `make run`, the Dockerfile and docker-compose.yml all start the
        API with `python -m api.serve`, which passes these to `uvicorn.run`."""
        from hotline_logging import uvicorn_log_config

        return {
            "host": self.api_host,
            "port": self.api_port,
            "workers": self.api_workers,
            # httptools with a header and body deadline (api/connection_guard.py) and JSON 400s.
            "http": "api.connection_guard:GuardedHttpProtocol",
            "timeout_keep_alive": self.api_keep_alive_seconds,
            "limit_concurrency": self.api_limit_concurrency,
            "backlog": self.api_backlog,
            "log_config": uvicorn_log_config(self.log_level),
            "server_header": False,
        }

    # -- reaching people (delivery/): the dispatcher draining the `notices` outbox --------------------
    # Run the dispatcher inside the worker process; false: run `python -m operations deliver` instead.
    delivery_in_worker: bool = True
    delivery_poll_seconds: float = Field(0.25, gt=0)
    delivery_batch_size: int = Field(64, ge=1, le=1000)
    # Notices in flight at once (HTTP calls are I/O: B6 measured 16 against 64).
    delivery_concurrency: int = Field(64, ge=1, le=256)
    delivery_http_timeout_seconds: float = Field(10.0, gt=0)
    # A claimed notice is the dispatcher's for this long; one that died holding it is retried after.
    delivery_lease_seconds: float = Field(60.0, gt=0)
    # Outcomes signalled to the tickets' workflows (`delivery_reported`): at most this many per interval.
    delivery_reports_per_round: int = Field(200, ge=1, le=5000)
    delivery_report_interval_seconds: float = Field(1.0, gt=0)
    delivery_backoff_base_seconds: float = Field(2.0, gt=0)
    delivery_backoff_cap_seconds: float = Field(300.0, gt=0)
    # A notice not delivered within this time of its event is dead-lettered (listed for operators).
    delivery_dead_letter_after_seconds: float = Field(86400.0, gt=0)
    # Delivered notices leave the outbox after this; `deliveries` keeps their status.
    delivery_retention_hours: float = Field(168.0, gt=0)
    # Where the requester's links point (A19 progress, A24 rating).
    public_base_url: str = "http://127.0.0.1:8000"
    # The hotline office's duty system (the `hotline` recipient): a Standard Webhooks endpoint.
    duty_webhook_url: str = ""
    duty_webhook_secret: str = ""
    # The requester's SMS: none | http (POST JSON to sms_http_url) | aliyun (dysmsapi SendSms).
    sms_provider: str = Field("none", pattern="^(none|http|aliyun)$")
    sms_http_url: str = ""
    sms_http_token: str = ""
    sms_aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    sms_aliyun_access_key_id: str = ""
    sms_aliyun_access_key_secret: str = ""
    sms_aliyun_sign_name: str = ""
    sms_aliyun_region: str = "cn-hangzhou"
    # Event kind -> the template code approved by Aliyun, e.g. {"registered": "SMS_123"} (JSON).
    sms_aliyun_template_codes: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _duty_webhook_is_signed(self) -> Settings:
        if self.duty_webhook_url and not self.duty_webhook_secret.startswith("whsec_"):
            raise ValueError(
                "HOTLINE_DUTY_WEBHOOK_SECRET (whsec_…) must be set with HOTLINE_DUTY_WEBHOOK_URL"
            )
        return self

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.token_secret == DEMO_TOKEN_SECRET:
            raise ValueError("HOTLINE_TOKEN_SECRET must be set in production")
        return self

    @model_validator(mode="after")
    def _check_payload_keys(self) -> Settings:
        if self.payload_key_id not in self.payload_keys:
            raise ValueError(f"HOTLINE_PAYLOAD_KEY_ID {self.payload_key_id!r} is not in HOTLINE_PAYLOAD_KEYS")
        for key_id, key in self.payload_keys.items():
            if not key_id or not key_id.isascii() or not key_id.isprintable():
                raise ValueError(f"payload key id {key_id!r}: printable ASCII, not empty")
            if len(payload_key_bytes(key)) not in (16, 24, 32):
                raise ValueError(f"payload key {key_id!r}: base64 of 16, 24 or 32 bytes (AES)")
            if self.environment not in DEV_ENVIRONMENTS and key.get_secret_value() == DEMO_PAYLOAD_KEY:
                raise ValueError(f"payload key {key_id!r} is the demo key: set HOTLINE_PAYLOAD_KEYS")
        return self


def payload_key_bytes(key: SecretStr) -> bytes:
    """A configured payload key's bytes; b"" (refused by the check above) when it is not base64."""
    try:
        return base64.b64decode(key.get_secret_value(), validate=True)
    except (binascii.Error, ValueError):
        return b""


@lru_cache
def get_settings() -> Settings:
    return Settings()
