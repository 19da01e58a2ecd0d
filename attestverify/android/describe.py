"""`inspect()` hooks of `android-key`: the KeyDescription and `sig`, decoded without trust.

The KeyDescription is decoded with the same strict reader verification uses, but only up to
`describe.MAX_EXTENSION_VALUE` bytes (it is untrusted here); nothing here checks a chain, a
signature or a policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509

from .. import describe, fields
from .values import OID_KEY_DESCRIPTION

__all__ = ["describe_certificate", "describe_statement"]

_MAX_SIG = 1024


def describe_certificate(cert: x509.Certificate) -> dict[str, Any] | None:
    """`inspect()` hook: `{"android_key_description": ...}` for any certificate carrying the
    KeyDescription extension (decoded, or an error in place), else `None`."""
    if not any(ext.oid.dotted_string == OID_KEY_DESCRIPTION for ext in cert.extensions):
        return None
    return {"android_key_description": describe.guard(lambda: _describe_key_description(cert))}


def _describe_key_description(cert: x509.Certificate) -> Any:
    from .keydescription import key_description_of  # noqa: PLC0415 - pyasn1 on first use

    kd = key_description_of(cert, check="K6", max_size=describe.MAX_EXTENSION_VALUE)
    return describe.jsonable(kd)


def describe_statement(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    """`inspect()` hook: `{"android_sig": {"length", "hex"}}`, the signature, when `sig` is present."""
    if "sig" not in att_stmt:
        return {}
    return {"android_sig": describe.guard(lambda: _describe_signature(att_stmt))}


def _describe_signature(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    sig = fields.get_bytes(att_stmt, "sig", check="K3", max_len=_MAX_SIG)
    return {"length": len(sig), "hex": describe.hex_prefix(sig, _MAX_SIG)}
