"""The one data converter: pydantic payloads, encrypted with AES-GCM before they leave the process.

Workflow inputs, updates, results, queries, activity arguments and failures carry the requester's name and
phone (A32), confidential requests included. Temporal stores and shows what it is given, so it is given
ciphertext: whoever reads a history (Temporal UI, the CLI, a database dump) sees no identity unless the
codec server (api/routes/codec.py) decrypts it for a cleared operator.

- Each encrypted payload names its key in its metadata (`encryption-key-id`), so keys rotate: the current
  key encrypts, every configured key decrypts (config.Settings.payload_keys).
- The key id is bound to the ciphertext as associated data: a payload relabelled with another key id does
  not decrypt.
- A payload that is not encrypted passes through on decode: histories written before encryption (and the
  checked-in ones under tests/histories/) still replay.
- Failures are converted with their message and stack trace inside an encoded payload
  (DefaultFailureConverterWithEncodedAttributes): an ApplicationError's message may quote the request.
- What Temporal UI must show in clear is left unencrypted, marked `hotline-public` by the payload converter:
  the ticket's summary and details, its timers' and activities' summaries, the unit names in the memo, the
  `timeline` query (domain/ticket_summary.py `PublicText`, `TimelineView`: they name the matter, never the
  requester), and the SDK's own workflow-metadata query that carries the current details.

The codec follows temporalio/samples-python `encryption/codec.py`.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.contrib.pydantic import (
    PydanticJSONPlainPayloadConverter,
    PydanticPayloadConverter,
    pydantic_data_converter,
)
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from config import DEMO_PAYLOAD_KEY, DEMO_PAYLOAD_KEY_ID, Settings, payload_key_bytes

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
PUBLIC = "hotline-public"
_NONCE_BYTES = 12


class PayloadKeyError(ValueError):
    """A payload the configured keys cannot decrypt: unknown key id, or tampered / wrong key."""


class EncryptionCodec(PayloadCodec):
    """AES-GCM over each whole serialized payload (metadata and data), keyed by id."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        super().__init__()
        if current not in keys:
            raise ValueError(f"current payload key {current!r} is not among the keys")
        self.current = current
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    @classmethod
    def from_settings(cls, settings: Settings) -> EncryptionCodec:
        keys = {key_id: payload_key_bytes(key) for key_id, key in settings.payload_keys.items()}
        return cls(keys, settings.payload_key_id)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [p if p.metadata.get(PUBLIC) == b"1" else self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        key_id = self.current.encode()
        sealed = self._ciphers[self.current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if not is_encrypted(payload):
            return payload  # written before encryption: passes through (replay of old histories)
        key_id = payload.metadata.get(KEY_ID, b"")
        name = key_id.decode(errors="replace")
        cipher = self._ciphers.get(name)
        if cipher is None:
            raise PayloadKeyError(f"payload encrypted with unknown key id {name!r}")
        try:
            plain = cipher.decrypt(payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:], key_id)
        except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
            raise PayloadKeyError(f"payload does not decrypt with key {name!r}") from None
        return Payload.FromString(plain)


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def encrypted_count(payloads: Iterable[Payload]) -> int:
    return sum(1 for p in payloads if is_encrypted(p))


def hotline_data_converter(settings: Settings) -> DataConverter:
    """The converter for every client, worker, test environment and Replayer (STYLE pattern 4)."""
    return _with_codec(EncryptionCodec.from_settings(settings))


def demo_data_converter() -> DataConverter:
    """The converter with the demo key alone, whatever the environment holds: test environments, the
    Replayer of the checked-in histories, the benchmarks."""
    demo_key = base64.b64decode(DEMO_PAYLOAD_KEY)
    return _with_codec(EncryptionCodec({DEMO_PAYLOAD_KEY_ID: demo_key}, DEMO_PAYLOAD_KEY_ID))


# The SDK makes a payload converter for every workflow it creates; each made its own cache of pydantic
# TypeAdapters, so every cached ticket held a TypeAdapter per type it decoded (~4 KiB, B3). One cache for the
# process instead: a TypeAdapter holds no state of a workflow, and `lru_cache` is thread-safe.
_SHARED_TYPE_ADAPTERS = functools.lru_cache(maxsize=1024)(TypeAdapter)


class HotlinePayloadConverter(PydanticPayloadConverter):
    """Pydantic payloads; a value the UI shows in clear is marked so the codec leaves it readable."""

    def __init__(self) -> None:
        super().__init__()
        for converter in self.converters.values():
            if isinstance(converter, PydanticJSONPlainPayloadConverter):
                converter._type_adapter = _SHARED_TYPE_ADAPTERS

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        payloads = super().to_payloads(values)
        for value, payload in zip(values, payloads, strict=True):
            if getattr(type(value), "hotline_public", False) or isinstance(value, WorkflowMetadata):
                payload.metadata[PUBLIC] = b"1"
        return payloads


def _with_codec(codec: EncryptionCodec) -> DataConverter:
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=HotlinePayloadConverter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
