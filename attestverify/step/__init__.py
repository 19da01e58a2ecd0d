"""Format `step`: YubiKey PIV attestation and smallstep-managed devices.

`attStmt = {"alg": int, "sig": bstr, "x5c": [leaf, F9, further intermediates...]}`. The leaf is a
YubiKey slot attestation certificate (or a step-managed-device certificate from the customer's CA)
whose key signs the UTF-8 key authorization; `sig` holds that signature wrapped in one more CBOR
byte string. `alg` is not read (step-ca ignores it too).

Two entries share one implementation of each check: `verify_statement` (registered in `api.py`,
S1-S8) and `verify_chain` (S1-S2, S4-S5, S7-S8, for real YubiKey chains that come without a
key-authorization signature). `decode_extensions` is the pure decoder of the Yubico and step
extensions, reusable by `inspect()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

from .. import cbor, chain, describe, fields, keys, x509path
from ..arguments import check_flag, check_now, trust_from_arguments
from ..context import Context
from ..errors import BadSignatureError, MalformedError, PolicyError, public_boundary
from ..identity import DeviceIdentity, PublicKey, permanent_identifier_acme
from ..trust import Trust
from . import extensions
from .extensions import *  # noqa: F403 - the extension decoders are part of the `step` API
from .extensions import decode_extensions, read_details, with_serial

__all__ = [
    "FORMAT",
    "X5C_CHECKS",
    "Options",
    "describe_certificate",
    "describe_statement",
    "verify_chain",
    "verify_statement",
]
__all__ += extensions.__all__

FORMAT = "step"
X5C_CHECKS = ("S1", "S2")
"""The check ids of `attStmt.x5c`: its shape, and the parsing of each certificate."""
_ARCS = ("1.3.6.1.4.1.41482.", "1.3.6.1.4.1.37476.9000.64.")  # Yubico, step managed device
_MAX_SIG = 1024
# YSA-2017-01: RSA keys generated on-device by firmware 4.2.6 ... 4.3.4 are ROCA-weak.
_FIRST_FIXED_FIRMWARE = (4, 3, 5)
# S5: the step client signs with P-256 only; `verify_chain` (no signature) also takes the YubiKey
# P-384 slot keys.
_SIGNING_CURVES = ("secp256r1",)
_SLOT_CURVES = ("secp256r1", "secp384r1")


@dataclass(frozen=True, slots=True)
class Options:
    """The `step` options of one verification.

    Attributes:
        allow_legacy_f9: relaxation (a), the pinned YubiKey F9 without basicConstraints
            (`"yubikey-legacy-f9"`). From `verify(step_allow_legacy_f9=...)`.
    """

    allow_legacy_f9: bool = True

    @classmethod
    def from_context(cls, ctx: Context) -> Options:
        """The options `verify()` passed in `ctx.options`."""
        return cls(allow_legacy_f9=ctx.flag("step_allow_legacy_f9", True))


def describe_certificate(cert: x509.Certificate) -> dict[str, Any] | None:
    """`inspect()` hook: `{"yubico": ...}`, serial and details of any certificate carrying a
    Yubico or step extension, else `None`."""
    if not any(ext.oid.dotted_string.startswith(_ARCS) for ext in cert.extensions):
        return None
    return {"yubico": describe.guard(lambda: _describe_extensions(cert))}


def _describe_extensions(cert: x509.Certificate) -> dict[str, Any]:
    skipped = describe.oversized(cert, _ARCS)
    if skipped:
        raise MalformedError(
            f"extension values over {describe.MAX_EXTENSION_VALUE} bytes are not decoded: "
            f"{', '.join(skipped)[:120]}",
            check="S7",
        )
    decoded = decode_extensions(cert, check="S7")
    return {"serial_number": decoded.serial_number, **describe.jsonable(decoded.details)}


def describe_statement(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    """`inspect()` hook: `{"step_sig": {"length", "hex"}}`, the inner signature, when `sig` is present."""
    if "sig" not in att_stmt:
        return {}
    return {"step_sig": describe.guard(lambda: _describe_signature(att_stmt))}


def _describe_signature(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    # No minimum length here: inspect() shows what `cbor` says about an empty `sig`.
    inner = cbor.decode_inner_bstr(
        fields.get_bytes(att_stmt, "sig", check="S3", max_len=_MAX_SIG), check="S3"
    )
    return {"length": len(inner), "hex": describe.hex_prefix(inner, _MAX_SIG)}


def _check_leaf(leaf: x509.Certificate, firmware: tuple[int, int, int] | None, *, signs: bool) -> PublicKey:
    """S5: the leaf is not a CA and holds an acceptable key; without a signature to check
    (`signs=False`, `verify_chain`) also the YubiKey slot keys EC P-384 and X25519."""
    key = keys.end_entity_key(leaf, check="S5", what="the step leaf certificate")
    if isinstance(key, ec.EllipticCurvePublicKey):
        curves = _SIGNING_CURVES if signs else _SLOT_CURVES
        keys.check_ec_curve(key, curves, check="S5", what="step leaf key")
        return key
    if isinstance(key, x25519.X25519PublicKey) and not signs:
        return key
    if isinstance(key, rsa.RSAPublicKey):
        keys.check_rsa_key(key, check="S5", what="step leaf key")
        if firmware is not None and firmware < _FIRST_FIXED_FIRMWARE:
            version = ".".join(map(str, firmware))
            raise PolicyError(
                f"RSA leaf generated by YubiKey firmware {version} (< 4.3.5, YSA-2017-01 / ROCA)",
                check="S5",
            )
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    allowed = (
        "EC P-256, RSA 2048-4096 or Ed25519" if signs else "EC P-256/P-384, RSA 2048-4096, Ed25519 or X25519"
    )
    raise PolicyError(f"step leaf key {type(key).__name__} is not {allowed}", check="S5")


def _read_signature(att_stmt: Mapping[object, object]) -> bytes:
    """S3: `sig`, a byte string wrapping the signature in one more CBOR byte string."""
    sig = fields.get_bytes(att_stmt, "sig", check="S3", min_len=1, max_len=_MAX_SIG)
    return cbor.decode_inner_bstr(sig, check="S3")


def _check_signature(key: PublicKey, signature: bytes, message: bytes) -> None:
    """S6: `signature` over `message` by the leaf key."""
    if not keys.signature_valid(key, signature, message):
        raise BadSignatureError(
            "the step signature over the key authorization does not verify with the leaf key",
            check="S6",
        )


def _verify(
    certs: tuple[x509.Certificate, ...],
    signature: bytes | None,
    binding: bytes,
    trust: Trust,
    options: Options,
) -> DeviceIdentity:
    """S4-S8 on parsed certificates, the one implementation; `signature=None` (for `verify_chain`)
    skips S6."""
    path = chain.validate(certs, trust, check="S4", allow_legacy_f9=options.allow_legacy_f9)
    leaf = certs[0]
    # One walk over the leaf extensions serves S5 (firmware), S7 and S8, in that order.
    details, found = read_details(leaf)
    key = _check_leaf(leaf, details.firmware_version, signs=signature is not None)
    if signature is not None:
        _check_signature(key, signature, binding)
    extensions = with_serial(leaf, details, found, check="S7")
    ident = permanent_identifier_acme(extensions.serial_number)
    return DeviceIdentity.build(
        format=FORMAT,
        public_key=key,
        chain=tuple(path.chain),
        acme_identifiers=() if ident is None else (ident,),
        serial_number=extensions.serial_number,
        relaxations=tuple(path.relaxations),
        step=extensions.details,
    )


def verify_statement(att_stmt: Mapping[object, object], ctx: Context) -> DeviceIdentity:
    """Verify a `step` attestation statement (checks S1-S8).

    Args:
        att_stmt: the decoded `attStmt` map.
        ctx: the validated verification context from `verify()`.

    Returns:
        The verified identity; `identifiers` is `(serial,)` or empty.

    Raises:
        MalformedError: S1 (`x5c`), S2 (certificate parsing), S3 (`sig`), S7 (serial encoding).
        UntrustedChainError: S4, the chain does not validate to `ctx.anchors`.
        PolicyError: S5, leaf is a CA or its key is not acceptable.
        BadSignatureError: S6, the signature over the key authorization does not verify.
    """
    certs = chain.read_x5c(att_stmt, shape_check="S1", parse_check="S2")
    signature = _read_signature(att_stmt)
    binding = ctx.key_authorization.encode("utf-8")
    return _verify(certs, signature, binding, ctx.trust, Options.from_context(ctx))


def verify_chain(
    x5c: Sequence[bytes | x509.Certificate],
    *,
    roots: Iterable[x509.Certificate] | None = None,
    intermediates: Iterable[x509.Certificate] | None = None,
    now: datetime | None = None,
    allow_legacy_f9: bool = True,
) -> DeviceIdentity:
    """Verify a YubiKey (or step-managed) certificate chain without a key-authorization signature.

    Runs S1-S2, S4-S5 and S7-S8, the same code as `verify()` for `step`, for real
    device chains (slot leaf + F9 ...) whose private key is not at hand. It proves which key a
    device holds, not that the key signed anything fresh.

    Args:
        x5c: the chain as sent by the device, leaf first: DER `bytes` or `x509.Certificate`.
        roots: trust anchors; `None` uses the bundled Yubico anchors. An empty iterable
            trusts nothing.
        intermediates: extra untrusted path-building certificates. `None` means the bundled
            Yubico 5.7.4+ intermediates when `roots` is `None`, else none.
        now: tz-aware validation instant; `None` is the current time.
        allow_legacy_f9: relaxation (a), the pinned YubiKey F9 without basicConstraints
            (recorded as `"yubikey-legacy-f9"` when used).

    Returns:
        The identity (`format == "step"`, serial, details, relaxations, validated chain);
        `identifiers` is `(serial,)` or empty.

    Raises:
        UsageError: `malformed`, D1: `x5c` not a sequence, bad `roots` / `intermediates`, a
            naive `now`, a non-`bool` `allow_legacy_f9`.
        MalformedError: `malformed`: S1 (not 1 ... 10 items, an empty or non-bytes item), S2
            (a certificate does not parse), S7 (serial extension encoding).
        UntrustedChainError: `untrusted-chain`, S4, with `rule` `"P1"` ... `"P10"`.
        PolicyError: `policy`, S5: the leaf is a CA, or its key is not EC P-256 or P-384, RSA
            2048-4096 (no ROCA fingerprint, firmware 4.3.5 or later), Ed25519 or X25519 (the last
            two slot key types only here: the full `step` statement signs with P-256, RSA or Ed25519).
    """
    with public_boundary(FORMAT):
        options = Options(allow_legacy_f9=check_flag("allow_legacy_f9", allow_legacy_f9))
        trust = trust_from_arguments(FORMAT, roots, intermediates, check_now(now))
        items = chain.certificate_items(x5c, what="x5c", check="S1")
        certs = x509path.parse_x5c(items, check="S2")
        return _verify(certs, None, b"", trust, options)
