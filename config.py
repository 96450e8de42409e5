"""One Settings object for the API, the worker and the tools (env prefix HOTLINE_)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A secret shipped in the repo may serve a laptop demo, never production.
DEMO_TOKEN_SECRET = "demo-only-secret-change-me-0000000000000000"


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
    # How long a POST's Idempotency-Key is honoured; older keys are purged (operations/idempotency.py).
    idempotency_retention_hours: float = Field(168.0, gt=0)

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

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.token_secret == DEMO_TOKEN_SECRET:
            raise ValueError("HOTLINE_TOKEN_SECRET must be set in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
