"""`inspect()`: decode an attestation statement **without trusting it**.

For debugging and support: shows what a device sent (fmt, attStmt fields, each certificate,
the Apple / Yubico / TPM extensions, the TPM structures) as a JSON-serializable dict marked
`"verified": false`. Nothing here checks a chain or a signature, so nothing here may be used to
decide anything. Only the top-level decoding (checks D2-D4) raises; every other problem is
reported in place as `{"error": {"code", "check", "message"}}`.

Values are decoded with the same strict decoders that verification uses after validation, but
only extension values of at most 1 024 bytes are decoded (they are untrusted here).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from . import apple, cbor, fields, step, x509path
from .api import FORMATS, public_boundary
from .errors import AttestationError, MalformedError
from .identity import fingerprint
from .tpm import akcert, structures

__all__ = ["MAX_EXTENSION_VALUE", "inspect", "jsonable"]

MAX_EXTENSION_VALUE = 1024
"""Extension values longer than this are listed but not decoded."""

_MAX_KEYS = 64  # attStmt keys shown
_MAX_TEXT = 200
_MAX_HEX = 64  # bytes of a byte string shown in hex
_APPLE_ARC = "1.2.840.113635."
_STEP_ARCS = ("1.3.6.1.4.1.41482.", "1.3.6.1.4.1.37476.9000.64.")
_TPM_BLOBS = ("certInfo", "pubArea", "sig")
# fmt -> (x5c shape check, certificate parse check), as in SPEC §4.
_X5C_CHECKS = {"apple": ("A1", "A2"), "step": ("S1", "S2"), "tpm": ("T3", "T3")}
_ALG_NAMES = {v: k[4:] for k, v in vars(structures).items() if k.startswith("ALG_") and isinstance(v, int)}
_ATTRIBUTE_BITS = {
    "fixedTPM": 0x2, "stClear": 0x4, "fixedParent": 0x10, "sensitiveDataOrigin": 0x20,
    "userWithAuth": 0x40, "adminWithPolicy": 0x80, "noDA": 0x400, "encryptedDuplication": 0x800,
    "restricted": 0x10000, "decrypt": 0x20000, "sign": 0x40000, "x509sign": 0x80000,
}  # fmt: skip


def _error(err: BaseException) -> dict[str, Any]:
    if isinstance(err, AttestationError):
        body: dict[str, Any] = {"code": err.code, "check": err.check, "message": err.message}
        if err.rule is not None:
            body["rule"] = err.rule
        return {"error": body}
    # Not reached by design: a decoder let a foreign exception through (a bug to report).
    return {"error": {"code": "malformed", "check": None, "message": f"internal error: {type(err).__name__}"}}


def _guard(func: Callable[[], Any]) -> Any:
    """Run one item-level decoder; a failure becomes that item's `{"error": ...}`."""
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - item failures are reported, never raised
        return _error(exc)


def _hex(data: bytes, limit: int = _MAX_HEX) -> str:
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
        return _instant(value)
    if isinstance(value, x509.Certificate):
        return {"subject": _name(lambda: value.subject), "sha256": _cert_sha256(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return repr(value)[:_MAX_TEXT]


def _instant(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(get: Callable[[], x509.Name]) -> str:
    try:
        return get().rfc4514_string()
    except ValueError as exc:  # undecodable attribute strings: show that, not fail the item
        return f"<undecodable name: {str(exc)[:80]}>"


def _same(name: x509.Name) -> x509.Name:
    return name


def _cert_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _summarize_value(value: object) -> Any:
    """One attStmt value for display: scalars as they are, byte strings by length and prefix."""
    if isinstance(value, (bytes, bytearray)):
        return {"type": "bytes", "length": len(value), "hex": _hex(bytes(value))}
    if isinstance(value, str):
        return value[:_MAX_TEXT] + ("..." if len(value) > _MAX_TEXT else "")
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
    return "0x" + digits[: 2 * _MAX_HEX] + ("..." if len(digits) > 2 * _MAX_HEX else "")


def _raw_extension(ext: x509.Extension[x509.ExtensionType]) -> bytes:
    if isinstance(ext.value, x509.UnrecognizedExtension):
        return bytes(ext.value.value)
    return ext.value.public_bytes()


def _extensions(cert: x509.Certificate) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    for ext in cert.extensions:
        item: dict[str, Any] = {"oid": ext.oid.dotted_string, "critical": ext.critical}
        known = getattr(ext.oid, "_name", "Unknown OID")
        if known != "Unknown OID":
            item["name"] = known
        raw = _guard(functools.partial(_raw_extension, ext))
        if isinstance(raw, bytes):
            item["length"] = len(raw)
            item["value"] = _hex(raw, MAX_EXTENSION_VALUE)
        if isinstance(ext.value, x509.BasicConstraints):
            item["ca"] = ext.value.ca
            item["path_length"] = ext.value.path_length
        elif isinstance(ext.value, x509.ExtendedKeyUsage):
            item["usages"] = [oid.dotted_string for oid in ext.value]
        listed.append(item)
    return listed


def _oversized(cert: x509.Certificate, arcs: tuple[str, ...]) -> list[str]:
    return [
        ext.oid.dotted_string
        for ext in cert.extensions
        if ext.oid.dotted_string.startswith(arcs) and len(_raw_extension(ext)) > MAX_EXTENSION_VALUE
    ]


def _apple(cert: x509.Certificate) -> dict[str, Any]:
    decoded = apple.decode_extensions(cert, strict=False, max_value_len=MAX_EXTENSION_VALUE)
    result: dict[str, Any] = jsonable(decoded)
    result["extensions"] = {oid: _hex(raw, MAX_EXTENSION_VALUE) for oid, raw in decoded.extensions.items()}
    skipped = _oversized(cert, (_APPLE_ARC,))
    if skipped:
        result["not_decoded"] = skipped
    return result


def _step(cert: x509.Certificate, check: str) -> dict[str, Any]:
    skipped = _oversized(cert, _STEP_ARCS)
    if skipped:
        raise MalformedError(
            f"extension values over {MAX_EXTENSION_VALUE} bytes are not decoded: {', '.join(skipped)[:120]}",
            check=check,
        )
    decoded = step.decode_extensions(cert, check=check)
    return {"serial_number": decoded.serial_number, **jsonable(decoded.details)}


def _tpm_ak(cert: x509.Certificate) -> dict[str, Any]:
    # The T6 profile and T7 identities as verification would judge them (no chain is checked).
    result: dict[str, Any] = {"profile": _guard(lambda: jsonable(akcert.check_profile(cert)))}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        result["subject_alt_name"] = None
        return result
    if len(_raw_extension(san)) > MAX_EXTENSION_VALUE:
        result["subject_alt_name"] = _error(
            MalformedError(f"subjectAltName over {MAX_EXTENSION_VALUE} bytes is not decoded", check="T7")
        )
        return result
    directories = san.value.get_values_for_type(x509.DirectoryName)
    result["directory_names"] = [_name(functools.partial(_same, d)) for d in directories]
    result["identities"] = _guard(lambda: _ak_identities(cert))
    return result


def _ak_identities(cert: x509.Certificate) -> dict[str, Any]:
    permanent, hardware = akcert.identities(cert)
    return {
        "permanent_identifiers": [jsonable(p) | {"acme_value": p.acme_value()} for p in permanent],
        "hardware_module_names": [jsonable(h) | {"acme_value": h.acme_value()} for h in hardware],
    }


def _certificate(index: int, item: bytes, fmt: str, parse_check: str) -> dict[str, Any]:
    cert = x509path.parse_x5c([item], check=parse_check)[0]
    summary: dict[str, Any] = {
        "index": index,
        "subject": _name(lambda: cert.subject),
        "issuer": _name(lambda: cert.issuer),
        "version": cert.version.name,
        "serial": format(cert.serial_number, "x"),
        "not_before": _instant(cert.not_valid_before_utc),
        "not_after": _instant(cert.not_valid_after_utc),
        "signature_algorithm": cert.signature_algorithm_oid.dotted_string,
        "sha256": hashlib.sha256(item).hexdigest(),
        "key": _guard(lambda: _key(cert, parse_check)),
        "extensions": _guard(lambda: _extensions(cert)),
    }
    sig_name = getattr(cert.signature_algorithm_oid, "_name", "Unknown OID")
    if sig_name != "Unknown OID":
        summary["signature_algorithm_name"] = sig_name
    oids = [ext.oid.dotted_string for ext in cert.extensions]
    if any(oid.startswith(_APPLE_ARC) for oid in oids):
        summary["apple"] = _guard(lambda: _apple(cert))
    if any(oid.startswith(_STEP_ARCS) for oid in oids):
        summary["yubico"] = _guard(lambda: _step(cert, "S7"))
    if fmt == "tpm" and index == 0:
        summary["tpm_ak"] = _guard(lambda: _tpm_ak(cert))
    return summary


def _certificates(att_stmt: Mapping[object, object], fmt: str) -> list[Any] | dict[str, Any]:
    shape_check, parse_check = _X5C_CHECKS.get(fmt, ("A1", "A2"))
    try:
        items = fields.get_bytes_list(att_stmt, "x5c", check=shape_check)
    except AttestationError as err:
        if fmt not in _X5C_CHECKS:
            err.check = None  # no SPEC check applies to a format this library does not implement
        return _error(err)
    return [_guard(functools.partial(_certificate, i, it, fmt, parse_check)) for i, it in enumerate(items)]


def _attributes(value: int) -> dict[str, bool]:
    return {name: bool(value & bit) for name, bit in _ATTRIBUTE_BITS.items()}


def _alg(value: int | None) -> str | None:
    return None if value is None else _ALG_NAMES.get(value, f"0x{value:04x}")


def _tpm(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    blobs = {
        key: _guard(functools.partial(fields.get_bytes, att_stmt, key, check="T4", max_len=2048))
        for key in _TPM_BLOBS
    }
    result: dict[str, Any] = {}
    cert_info = blobs["certInfo"]
    if isinstance(cert_info, bytes):
        result["certInfo"] = _guard(lambda: jsonable(structures.TpmsAttest.parse(cert_info)))
    else:
        result["certInfo"] = cert_info
    pub_area = blobs["pubArea"]
    if isinstance(pub_area, bytes):
        result["pubArea"] = _guard(lambda: _pub_area(pub_area, cert_info))
    else:
        result["pubArea"] = pub_area
    sig = blobs["sig"]
    if isinstance(sig, bytes):
        result["sig"] = _guard(lambda: _signature(sig))
    else:
        result["sig"] = sig
    return result


def _pub_area(data: bytes, cert_info: object) -> dict[str, Any]:
    public = structures.TpmtPublic.parse(data)
    result: dict[str, Any] = jsonable(public)
    del result["raw"]
    result["type_name"] = _alg(public.type)
    result["name_alg_name"] = _alg(public.name_alg)
    result["attributes"] = _attributes(public.object_attributes)
    name = _guard(lambda: structures.compute_name(public.name_alg, data))
    if isinstance(name, bytes):
        result["name"] = name.hex()
        if isinstance(cert_info, bytes):
            attest = _guard(lambda: structures.TpmsAttest.parse(cert_info))
            if isinstance(attest, structures.TpmsAttest):
                # A consistency hint only: the certInfo signature is not checked here.
                result["name_matches_certInfo"] = attest.name == name
    else:
        result["name"] = name
    return result


def _signature(data: bytes) -> dict[str, Any]:
    signature = structures.TpmtSignature.parse(data)
    result: dict[str, Any] = jsonable(signature)
    result["sig_alg_name"] = _alg(signature.sig_alg)
    result["hash_alg_name"] = _alg(signature.hash_alg)
    return result


def _step_sig(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    raw = fields.get_bytes(att_stmt, "sig", check="S3", max_len=1024)
    inner = cbor.decode_inner_bstr(raw, check="S3")
    return {"length": len(inner), "hex": _hex(inner, 1024)}


def _att_stmt(fmt: str, att_stmt: Mapping[object, object]) -> dict[str, Any]:
    keys = list(att_stmt)[:_MAX_KEYS]
    result: dict[str, Any] = {
        "attStmt_keys": keys,
        "attStmt": {key: _summarize_value(att_stmt[key]) for key in keys if isinstance(key, str)},
    }
    if "x5c" in att_stmt:
        result["certificates"] = _certificates(att_stmt, fmt)
    if fmt == "tpm":
        result["tpm"] = _tpm(att_stmt)
    elif fmt == "step" and "sig" in att_stmt:
        result["step_sig"] = _guard(lambda: _step_sig(att_stmt))
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
        result: dict[str, Any] = {"verified": False, "fmt": fmt[:_MAX_TEXT], "implemented": fmt in FORMATS}
        att_stmt = top.get("attStmt")
        if not isinstance(att_stmt, Mapping):
            missing = MalformedError("the attestation object needs a map 'attStmt'", check="D6")
            result["attStmt"] = _error(missing)
        elif not all(isinstance(k, str) for k in att_stmt):
            result["attStmt"] = _error(MalformedError("attStmt keys must be text strings", check="D6"))
        else:
            result.update(_att_stmt(fmt, att_stmt))
        return result
