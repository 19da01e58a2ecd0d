"""`inspect()`: decode an attestation statement **without trusting it**.

For debugging and support: shows what a device sent (fmt, attStmt fields, each certificate,
the Apple / Yubico / TPM extensions, the Android KeyDescription, the TPM structures) as a
JSON-serializable dict marked `"verified": false`. Nothing here checks a chain or a signature,
so nothing here may be used to decide anything. Only the top-level decoding (checks D2-D4)
raises; every other problem is reported in place as `{"error": {"code", "check", "message"}}`.

Values are decoded with the same strict decoders that verification uses after validation, but
only extension values of at most 1 024 bytes are decoded (they are untrusted here).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import android, apple, cbor, fields, step, tpm, x509path
from .api import FORMATS
from .asn1 import raw_extension
from .describe import (
    MAX_EXTENSION_VALUE,
    MAX_HEX,
    MAX_TEXT,
    error,
    guard,
    hex_prefix,
    instant,
    jsonable,
    name,
)
from .errors import AttestationError, MalformedError, public_boundary
from .identity import fingerprint

__all__ = ["MAX_EXTENSION_VALUE", "inspect", "jsonable"]

_MAX_KEYS = 64  # attStmt keys shown
# An unimplemented format's x5c is still listed, parsed with these checks; its errors then carry
# no check id (no SPEC check applies).
_UNKNOWN_X5C_CHECKS = ("A1", "A2")


class _Hooks(NamedTuple):
    """What `inspect()` asks of a format module, beyond the generic certificate summary."""

    x5c_checks: tuple[str, str]
    describe_statement: Callable[[Mapping[object, object]], dict[str, Any]]
    describe_leaf: Callable[[x509.Certificate], dict[str, Any]] | None = None


# fmt -> the format's hooks (every implemented format has an entry).
_REGISTRY: dict[str, _Hooks] = {
    apple.FORMAT: _Hooks(apple.X5C_CHECKS, apple.describe_statement),
    step.FORMAT: _Hooks(step.X5C_CHECKS, step.describe_statement),
    tpm.FORMAT: _Hooks(tpm.X5C_CHECKS, tpm.describe_statement, tpm.describe_leaf),
    android.FORMAT: _Hooks(android.X5C_CHECKS, android.describe_statement),
}
# Extension decoders that apply to a certificate in any statement (a step chain may hold an
# Apple certificate, say); each returns `None` for a certificate without its extensions.
_CERTIFICATE_HOOKS: tuple[Callable[[x509.Certificate], dict[str, Any] | None], ...] = (
    apple.describe_certificate,
    step.describe_certificate,
    android.describe_certificate,
)


def _summarize_value(value: object) -> Any:
    """One attStmt value for display: scalars as they are, byte strings by length and prefix."""
    if isinstance(value, (bytes, bytearray)):
        return {"type": "bytes", "length": len(value), "hex": hex_prefix(bytes(value))}
    if isinstance(value, str):
        return value[:MAX_TEXT] + ("..." if len(value) > MAX_TEXT else "")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        # A decoded Mapping may hold any int; json.dumps refuses those over 4 300 digits.
        return value if value.bit_length() <= 64 else {"type": "int", "bits": value.bit_length()}
    if isinstance(value, (list, tuple)):
        return {"type": "array", "length": len(value)}
    if isinstance(value, Mapping):
        return {"type": "map", "length": len(value)}
    return {"type": type(value).__name__}


def _key(cert: x509.Certificate, check: str) -> dict[str, Any]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        # The certificate parsed but its key does not (unknown curve, bad point or modulus).
        reason = type(exc).__name__
        raise MalformedError(f"the certificate key does not decode: {reason}", check=check) from None
    summary: dict[str, Any]
    if isinstance(key, ec.EllipticCurvePublicKey):
        summary = {"type": "EC", "curve": key.curve.name, "size": key.curve.key_size}
    elif isinstance(key, rsa.RSAPublicKey):
        summary = {"type": "RSA", "size": key.key_size, "exponent": _exponent(key.public_numbers().e)}
    elif isinstance(key, ed25519.Ed25519PublicKey):
        summary = {"type": "Ed25519", "size": 256}
    else:
        return {"type": type(key).__name__}
    summary["fingerprint"] = fingerprint(key)
    return summary


def _exponent(value: int) -> int | str:
    # A certificate may carry an exponent of thousands of digits, beyond what `str(int)` and so
    # `json.dumps` accept; such a value is shown as shortened hex.
    if value.bit_length() <= 64:
        return value
    digits = format(value, "x")
    return "0x" + digits[: 2 * MAX_HEX] + ("..." if len(digits) > 2 * MAX_HEX else "")


def _extensions(cert: x509.Certificate) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    for ext in cert.extensions:
        item: dict[str, Any] = {"oid": ext.oid.dotted_string, "critical": ext.critical}
        known = getattr(ext.oid, "_name", "Unknown OID")
        if known != "Unknown OID":
            item["name"] = known
        raw = guard(functools.partial(raw_extension, ext))
        if isinstance(raw, bytes):
            item["length"] = len(raw)
            item["value"] = hex_prefix(raw, MAX_EXTENSION_VALUE)
        if isinstance(ext.value, x509.BasicConstraints):
            item["ca"] = ext.value.ca
            item["path_length"] = ext.value.path_length
        elif isinstance(ext.value, x509.ExtendedKeyUsage):
            item["usages"] = [oid.dotted_string for oid in ext.value]
        listed.append(item)
    return listed


def _certificate(index: int, item: bytes, fmt: str, parse_check: str) -> dict[str, Any]:
    cert = x509path.parse_x5c([item], check=parse_check)[0]
    summary: dict[str, Any] = {
        "index": index,
        "subject": name(lambda: cert.subject),
        "issuer": name(lambda: cert.issuer),
        "version": cert.version.name,
        "serial": format(cert.serial_number, "x"),
        "not_before": instant(cert.not_valid_before_utc),
        "not_after": instant(cert.not_valid_after_utc),
        "signature_algorithm": cert.signature_algorithm_oid.dotted_string,
        "sha256": hashlib.sha256(item).hexdigest(),
        "key": guard(lambda: _key(cert, parse_check)),
        "extensions": guard(lambda: _extensions(cert)),
    }
    sig_name = getattr(cert.signature_algorithm_oid, "_name", "Unknown OID")
    if sig_name != "Unknown OID":
        summary["signature_algorithm_name"] = sig_name
    for describe_certificate in _CERTIFICATE_HOOKS:
        summary.update(describe_certificate(cert) or {})
    hooks = _REGISTRY.get(fmt)
    if index == 0 and hooks is not None and hooks.describe_leaf is not None:
        summary.update(hooks.describe_leaf(cert))
    return summary


def _certificates(att_stmt: Mapping[object, object], fmt: str) -> list[Any] | dict[str, Any]:
    hooks = _REGISTRY.get(fmt)
    shape_check, parse_check = hooks.x5c_checks if hooks is not None else _UNKNOWN_X5C_CHECKS
    try:
        items = fields.get_bytes_list(att_stmt, "x5c", check=shape_check)
    except AttestationError as err:
        if hooks is None:
            err.check = None  # no SPEC check applies to a format this library does not implement
        return error(err)
    return [guard(functools.partial(_certificate, i, it, fmt, parse_check)) for i, it in enumerate(items)]


def _att_stmt(fmt: str, att_stmt: Mapping[object, object]) -> dict[str, Any]:
    keys = list(att_stmt)[:_MAX_KEYS]
    result: dict[str, Any] = {
        "attStmt_keys": keys,
        "attStmt": {key: _summarize_value(att_stmt[key]) for key in keys if isinstance(key, str)},
    }
    if "x5c" in att_stmt:
        result["certificates"] = _certificates(att_stmt, fmt)
    hooks = _REGISTRY.get(fmt)
    if hooks is not None:
        result.update(hooks.describe_statement(att_stmt))
    return result


def inspect(statement: bytes | bytearray | memoryview | str | Mapping[str, object]) -> dict[str, Any]:
    """Decode an attestation statement without trusting it, for display and debugging.

    Nothing is verified: no chain, no signature, no challenge binding. The result says so with
    `"verified": False`. Certificates are summarised (subject, issuer, serial, validity, key,
    signature algorithm, SHA-256, extensions); Apple, Yubico/step and TPM AK extensions and the
    TPM structures are decoded with the verifier's strict decoders, extension values only up to
    1 024 bytes each. A part that fails to decode is reported in place as
    `{"error": {"code": ..., "check": ..., "message": ...}}`.

    Args:
        statement: the attestation object in any form `verify()` accepts (CBOR bytes, unpadded
            base64url str, or a decoded mapping).

    Returns:
        A JSON-serializable dict with keys `verified` (always `False`), `fmt`, `implemented`
        and, when `attStmt` is a map with text keys, `attStmt_keys`, `attStmt` (a summary of
        each field), `certificates` (if `x5c` is present), `tpm` or `step_sig`; otherwise
        `attStmt` holds an error.

    Raises:
        MalformedError: D2 (input form or size), D3 (CBOR), D4 (not a map, or `fmt` missing or
            not text).
    """
    with public_boundary():
        top, fmt = cbor.decode_attestation_object(statement)
        result: dict[str, Any] = {"verified": False, "fmt": fmt[:MAX_TEXT], "implemented": fmt in FORMATS}
        att_stmt = top.get("attStmt")
        if not isinstance(att_stmt, Mapping):
            missing = MalformedError("the attestation object needs a map 'attStmt'", check="D6")
            result["attStmt"] = error(missing)
        elif not all(isinstance(k, str) for k in att_stmt):
            result["attStmt"] = error(MalformedError("attStmt keys must be text strings", check="D6"))
        else:
            result.update(_att_stmt(fmt, att_stmt))
        return result
