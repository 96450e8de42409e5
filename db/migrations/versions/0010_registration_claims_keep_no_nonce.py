"""registration claims keep no nonce: the requester's secrets can no longer be recomputed from the database

A registration's idempotency claim kept the nonce its access secret and rating code were derived from, so
the database and the server's token secret together regenerated both. From this revision the secrets
derive from the caller's Idempotency-Key, which a registration claim keeps as its SHA-256 digest only
(api/registration.py). Existing claims: the key becomes its digest (so a retry still finds its claim) and
the nonce is removed, marked `secrets_withheld`; a retry of such a registration gets new secrets.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:45:00+00:00
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGISTRATION = "register:%"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # In SQL, so the offline script (`upgrade --sql`) holds it too.
        op.execute(
            "UPDATE idempotency_keys SET key = encode(sha256(convert_to(key, 'UTF8')), 'hex'), "
            "payload = ((payload::jsonb - 'nonce') || '{\"secrets_withheld\": true}'::jsonb)::json "
            f"WHERE scope LIKE '{REGISTRATION}' AND (payload::jsonb -> 'nonce') IS NOT NULL"
        )
        return
    if context.is_offline_mode():
        raise NotImplementedError("0007 on SQLite needs a live database (SQLite has no SHA-256 in SQL)")
    bind = op.get_bind()
    claims = bind.execute(
        sa.text("SELECT key, scope, payload FROM idempotency_keys WHERE scope LIKE :scope"),
        {"scope": REGISTRATION},
    ).all()
    for key, scope, raw in claims:
        payload = json.loads(raw) if isinstance(raw, str) else dict(raw)
        if "nonce" not in payload:
            continue
        del payload["nonce"]
        payload["secrets_withheld"] = True
        bind.execute(
            sa.text(
                "UPDATE idempotency_keys SET key = :digest, payload = :payload WHERE key = :key AND scope = :scope"
            ),
            {
                "digest": hashlib.sha256(key.encode()).hexdigest(),
                "payload": json.dumps(payload, ensure_ascii=False),
                "key": key,
                "scope": scope,
            },
        )


def downgrade() -> None:
    # The nonces are gone for good, which is the point. The digested keys stay: code before this revision
    # does not find them, and a retry of such a registration (within the keys' retention) opens a new ticket.
    pass
