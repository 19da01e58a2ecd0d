"""Strict readers and writers of the JSON values in identity records (SPEC v2 §2.2, check R1).

Every reader takes the value and a `where` naming it for the error message, and raises
`MalformedError` with check `R1` for anything but the one spelling `to_record` writes.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .errors import MalformedError

__all__ = [
    "array",
    "b64",
    "boolean",
    "cert_text",
    "certificate",
    "enum_text",
    "enum_value",
    "fail",
    "integer",
    "members",
    "raw_bytes",
    "strings",
    "string",
]

B64URL = re.compile(r"[A-Za-z0-9_-]*")


def fail(message: str) -> MalformedError:
    """The R1 error for a record that is not exactly record 1."""
    return MalformedError(f"identity record: {message}", check="R1")


def b64(data: bytes) -> str:
    """Unpadded base64url text of `data`."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def cert_text(cert: x509.Certificate) -> str:
    """A certificate as unpadded base64url DER."""
    return b64(cert.public_bytes(serialization.Encoding.DER))


def enum_text(value: enum.IntEnum | int | None) -> str | int | None:
    """A known enumerated value as its lowercase name; an unknown one stays an integer."""
    if isinstance(value, enum.IntEnum):
        return value.name.lower()
    return value


def members(value: object, keys: tuple[str, ...], where: str) -> Mapping[str, object]:
    """A JSON object with exactly `keys` (none missing, none extra)."""
    if not isinstance(value, dict):
        raise fail(f"{where} must be an object")
    missing = [k for k in keys if k not in value]
    extra = [k for k in value if k not in keys]
    if missing:
        raise fail(f"{where} lacks {', '.join(sorted(missing))}")
    if extra:
        raise fail(f"{where} has unknown member {str(sorted(map(str, extra))[0])[:64]!r}")
    return value


def string(value: object, where: str, *, optional: bool = False) -> Any:
    """A JSON string (or `null` when `optional`)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise fail(f"{where} must be a string{' or null' if optional else ''}")
    return value


def integer(value: object, where: str, *, optional: bool = False) -> Any:
    """A JSON integer, never a boolean (or `null` when `optional`)."""
    if value is None and optional:
        return None
    # JSON true/false are Python bools, which are ints: never accept one for a number.
    if type(value) is not int:
        raise fail(f"{where} must be an integer{' or null' if optional else ''}")
    return value


def boolean(value: object, where: str, *, optional: bool = False) -> Any:
    """A JSON boolean (or `null` when `optional`)."""
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise fail(f"{where} must be a boolean{' or null' if optional else ''}")
    return value


def raw_bytes(value: object, where: str, *, optional: bool = False) -> Any:
    """Bytes from canonical unpadded base64url (or `null` when `optional`)."""
    if value is None and optional:
        return None
    encoded = string(value, where)
    if not B64URL.fullmatch(encoded) or len(encoded) % 4 == 1:
        raise fail(f"{where} is not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise fail(f"{where} is not unpadded base64url") from None
    # Only the canonical spelling is accepted, so one record has exactly one text form.
    if b64(raw) != encoded:
        raise fail(f"{where} has non-zero unused bits")
    return raw


def array(value: object, where: str, limit: int = 64) -> list[object]:
    """A JSON array of at most `limit` items."""
    if not isinstance(value, list):
        raise fail(f"{where} must be an array")
    if len(value) > limit:
        raise fail(f"{where} has more than {limit} items")
    return value


def certificate(value: object, where: str) -> x509.Certificate:
    """A certificate from base64url DER."""
    der = raw_bytes(value, where)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise fail(f"{where} is not a DER certificate") from None
    return cert


def enum_value(value: object, kind: type[enum.IntEnum], where: str) -> Any:
    """A member of `kind` from its lowercase name, an unknown integer, or `null`."""
    if value is None or type(value) is int:
        # An integer that names a known member was written as its name: accept only the canonical form.
        if value is not None and value in kind._value2member_map_:
            raise fail(f"{where} must be written as its name")
        return value
    if isinstance(value, str):
        for member in kind:
            if member.name.lower() == value:
                return member
    raise fail(f"{where} must be one of {', '.join(m.name.lower() for m in kind)}, an integer or null")


def strings(value: object, where: str) -> tuple[str, ...]:
    """A JSON array of strings."""
    return tuple(string(item, f"{where} item") for item in array(value, where))
