"""One Settings object for the API, the worker and the tools (env prefix HOTLINE_)."""

from __future__ import annotations

from functools import lru_cache

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
    api_host: str = "127.0.0.1"
    api_port: int = 8000
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
