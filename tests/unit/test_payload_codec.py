"""The payload codec (workflows/converter.py) and its keys (config.py): rotation, pass-through, refusals."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr, ValidationError
from temporalio.api.common.v1 import Payload

from config import DEMO_PAYLOAD_KEY, DEMO_PAYLOAD_KEY_ID, Settings
from workflows.converter import KEY_ID, EncryptionCodec, PayloadKeyError, hotline_data_converter, is_encrypted

OLD, NEW = b"o" * 32, b"n" * 32
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data='{"requester":{"name":"李华"}}'.encode())


def b64(key: bytes) -> SecretStr:
    return SecretStr(base64.b64encode(key).decode())


async def test_a_payload_is_sealed_under_the_current_key_and_opens_again() -> None:
    codec = EncryptionCodec({"2026-06": OLD}, "2026-06")
    (sealed,) = await codec.encode([PLAIN])
    assert is_encrypted(sealed) and sealed.metadata[KEY_ID] == b"2026-06"
    assert "李华".encode() not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [PLAIN]


async def test_rotation_keeps_old_payloads_readable_and_seals_new_ones_under_the_new_key() -> None:
    (before,) = await EncryptionCodec({"2026-06": OLD}, "2026-06").encode([PLAIN])
    rotated = EncryptionCodec({"2026-12": NEW, "2026-06": OLD}, "2026-12")
    (after,) = await rotated.encode([PLAIN])
    assert after.metadata[KEY_ID] == b"2026-12"
    assert await rotated.decode([before, after]) == [PLAIN, PLAIN]
    # Once the old key is removed, what it sealed no longer opens: a clear error, not garbage.
    with pytest.raises(PayloadKeyError, match="unknown key id"):
        await EncryptionCodec({"2026-12": NEW}, "2026-12").decode([before])


async def test_a_relabelled_or_altered_payload_does_not_open() -> None:
    codec = EncryptionCodec({"a": OLD, "b": NEW}, "a")
    (sealed,) = await codec.encode([PLAIN])
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"b"}, data=sealed.data)
    with pytest.raises(PayloadKeyError, match="does not decrypt"):
        await codec.decode([relabelled])
    altered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(PayloadKeyError):
        await codec.decode([altered])


async def test_a_payload_written_before_encryption_passes_through() -> None:
    codec = EncryptionCodec({"a": OLD}, "a")
    assert await codec.decode([PLAIN]) == [PLAIN]


async def test_the_converter_takes_its_keys_from_settings() -> None:
    settings = Settings(
        environment="test", payload_keys={"k2": b64(NEW), "k1": b64(OLD)}, payload_key_id="k2"
    )
    converter = hotline_data_converter(settings)
    (sealed,) = await converter.encode(["李华 13800000000"])
    assert sealed.metadata[KEY_ID] == b"k2"
    assert await converter.decode([sealed], [str]) == ["李华 13800000000"]
    (older,) = await EncryptionCodec({"k1": OLD}, "k1").encode([PLAIN])
    assert await converter.payload_codec.decode([older]) == [PLAIN]  # type: ignore[union-attr]


def test_the_demo_key_serves_local_and_test_only() -> None:
    for environment in ("local", "test"):
        assert Settings(environment=environment).payload_key_id == DEMO_PAYLOAD_KEY_ID
    with pytest.raises(ValidationError, match="demo key"):
        Settings(environment="production", token_secret="s" * 40)
    with pytest.raises(ValidationError, match="demo key"):  # kept as an older key: refused too
        Settings(
            environment="production",
            token_secret="s" * 40,
            payload_keys={"k2": b64(NEW), "demo-1": SecretStr(DEMO_PAYLOAD_KEY)},
            payload_key_id="k2",
        )
    production = Settings(
        environment="production", token_secret="s" * 40, payload_keys={"k2": b64(NEW)}, payload_key_id="k2"
    )
    assert production.payload_key_id == "k2"


@pytest.mark.parametrize(
    ("keys", "current", "error"),
    [
        ({"k1": SecretStr("not base64!")}, "k1", "base64 of 16, 24 or 32 bytes"),
        ({"k1": b64(b"short")}, "k1", "base64 of 16, 24 or 32 bytes"),
        ({"k1": b64(OLD)}, "k9", "is not in HOTLINE_PAYLOAD_KEYS"),
    ],
)
def test_bad_keys_are_refused_at_start_up(keys: dict[str, SecretStr], current: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        Settings(environment="test", payload_keys=keys, payload_key_id=current)


def test_keys_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_PAYLOAD_KEYS", f'{{"k2": "{b64(NEW).get_secret_value()}"}}')
    monkeypatch.setenv("HOTLINE_PAYLOAD_KEY_ID", "k2")
    settings = Settings(environment="test")
    assert list(settings.payload_keys) == ["k2"] and settings.payload_key_id == "k2"
