"""Input forms, limits and strict CBOR decoding (SPEC §3.2, checks D2 and D3).

Preliminary version; see the hardened scanner once it lands.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

import cbor2

from .errors import MalformedError

__all__ = ["decode_inner_bstr", "decode_statement"]

MAX_BYTES = 65536


def decode_statement(statement: object) -> object:
    """Decode the statement input (bytes, base64url str or Mapping) into Python values."""
    if isinstance(statement, Mapping):
        return statement
    if isinstance(statement, str):
        try:
            data = base64.urlsafe_b64decode(statement + "=" * (-len(statement) % 4))
        except (binascii.Error, ValueError):
            raise MalformedError("statement is not base64url", check="D2") from None
    elif isinstance(statement, (bytes, bytearray, memoryview)):
        data = bytes(statement)
    else:
        raise MalformedError("statement must be bytes, str or a mapping", check="D2")
    if not 1 <= len(data) <= MAX_BYTES:
        raise MalformedError("statement size out of range", check="D2")
    try:
        return cbor2.loads(data)
    except Exception as exc:  # noqa: BLE001
        raise MalformedError(f"CBOR decoding failed: {type(exc).__name__}", check="D3") from None


def decode_inner_bstr(data: bytes, *, check: str) -> bytes:
    """Decode a byte string that must hold exactly one CBOR byte string."""
    try:
        value = cbor2.loads(data)
    except Exception:  # noqa: BLE001
        raise MalformedError("inner value is not CBOR", check=check) from None
    if not isinstance(value, bytes):
        raise MalformedError("inner value is not a CBOR byte string", check=check)
    return value
