"""Building blocks of `inspect()` output, shared by the generic shell and each format's hooks.

Everything here turns untrusted decoded values into bounded, JSON-serializable values; nothing
verifies anything. A decoder failure becomes `{"error": {...}}` in place (`guard`).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .asn1 import raw_extension
from .errors import AttestationError

__all__ = [
    "MAX_EXTENSION_VALUE",
    "MAX_HEX",
    "MAX_TEXT",
    "error",
    "guard",
    "hex_prefix",
    "instant",
    "jsonable",
    "name",
    "oversized",
]

MAX_EXTENSION_VALUE = 1024
"""Extension values longer than this are listed but not decoded."""

MAX_TEXT = 200
MAX_HEX = 64  # bytes of a byte string shown in hex


def error(err: BaseException) -> dict[str, Any]:
    """`{"error": {"code", "check", "message"[, "rule"]}}` for one failed item."""
    if isinstance(err, AttestationError):
        body: dict[str, Any] = {"code": err.code, "check": err.check, "message": err.message}
        if err.rule is not None:
            body["rule"] = err.rule
        return {"error": body}
    # Not reached by design: a decoder let a foreign exception through (a bug to report).
    return {"error": {"code": "malformed", "check": None, "message": f"internal error: {type(err).__name__}"}}


def guard(func: Callable[[], Any]) -> Any:
    """Run one item-level decoder; a failure becomes that item's `{"error": ...}`."""
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - item failures are reported, never raised
        return error(exc)


def hex_prefix(data: bytes, limit: int = MAX_HEX) -> str:
    """At most `limit` bytes of `data` in hex, `...` when cut."""
    return data[:limit].hex() + ("..." if len(data) > limit else "")


def jsonable(value: Any) -> Any:
    """Plain JSON values for decoder results (dataclasses, enums, bytes, tuples, mappings)."""
    if isinstance(value, enum.Enum):
        return value.name
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, x509.Certificate):
        return {"subject": name(lambda: value.subject), "sha256": _cert_sha256(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return repr(value)[:MAX_TEXT]


def instant(value: datetime) -> str:
    """An instant as `YYYY-MM-DDTHH:MM:SSZ`."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def name(get: Callable[[], x509.Name]) -> str:
    """RFC 4514 text of the name `get` returns, or a marker when its strings do not decode."""
    try:
        return get().rfc4514_string()
    except ValueError as exc:  # undecodable attribute strings: show that, not fail the item
        return f"<undecodable name: {str(exc)[:80]}>"


def _cert_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def oversized(cert: x509.Certificate, arcs: tuple[str, ...]) -> list[str]:
    """The OIDs under `arcs` whose values exceed `MAX_EXTENSION_VALUE` (listed, not decoded)."""
    return [
        ext.oid.dotted_string
        for ext in cert.extensions
        if ext.oid.dotted_string.startswith(arcs) and len(raw_extension(ext)) > MAX_EXTENSION_VALUE
    ]
