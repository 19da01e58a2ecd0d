"""Format `apple`: Apple Managed Device Attestation and the MDM entry point.

An Apple device attests a Secure Enclave key with a leaf certificate issued by "Apple Enterprise
Attestation Sub CA 1" under the Apple Enterprise Attestation Root CA. The leaf carries the device
properties (serial number, UDID, OS versions, security settings) and a freshness code in private
extensions 1.2.840.113635.100.8.*; for ACME `device-attest-01` the freshness code is
SHA-256(token), for an MDM `DevicePropertiesAttestation` query it is the server's raw nonce.

Binding caveat (read before relying on an `apple` identity):
    An `apple` statement binds only the ACME *token*, not the account key, and the same Apple CA and
    extension serve MDM `DevicePropertiesAttestation`, whose freshness code the MDM server chooses.
    Whoever can make a device attest with a chosen freshness code (its MDM, or an ACME server it
    talks to) can therefore produce a statement that verifies for another account's token. Servers
    must bind the authorization to `identity.public_key_der`, call `verify_csr` before issuing, and
    never let such an authorization alone authorize revocation or a different key.
    `identity.apple.binding` is `"token"` to make this explicit.

Entry points:
    * `verify_statement(att_stmt, ctx)`: the `apple` verifier behind `attestverify.verify()`.
    * `verify_device_properties(certificates, nonce, ...)`: for MDM backends.
    * `decode_extensions(cert)`: the Apple leaf extensions, decoded without trusting them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from . import chain, describe, fields, keys, x509path
from .arguments import check_flag, check_nonces, check_now, trust_from_arguments
from .asn1 import decode_der_integer, raw_extension
from .context import Context
from .errors import (
    AttestationError,
    ChallengeMismatchError,
    MalformedError,
    PolicyError,
    UsageError,
    public_boundary,
)
from .identity import AcmeIdentifier, AppleDetails, DeviceIdentity, permanent_identifier_acme
from .relaxations import APPLE_NONCE_ABSENT
from .trust import Trust

__all__ = [
    "AppleExtensions",
    "DecodedExtensions",
    "FORMAT",
    "MdmNonces",
    "Options",
    "X5C_CHECKS",
    "decode_extensions",
    "describe_certificate",
    "describe_statement",
    "verify_device_properties",
    "verify_statement",
]

FORMAT = "apple"
X5C_CHECKS = ("A1", "A2")
"""The check ids of `attStmt.x5c`: its shape, and the parsing of each certificate."""
NONCE_ABSENT = APPLE_NONCE_ABSENT
"""Relaxation recorded when a statement without freshness code is accepted."""

APPLE_ARC = "1.2.840.113635."
_P = "1.2.840.113635.100.8."
OID_SERIAL = _P + "9.1"
OID_UDID = _P + "9.2"
OID_SOFTWARE_UPDATE_DEVICE_ID = _P + "9.4"
OID_OS_VERSION = _P + "10.1"
OID_SEPOS_VERSION = _P + "10.2"
OID_LLB_VERSION = _P + "10.3"
OID_NONCE = _P + "11.1"
OID_SIP_STATUS = _P + "13.1"
OID_SECURE_BOOT = _P + "13.2"
OID_THIRD_PARTY_KEXTS = _P + "13.3"

_LEAF_CURVES = frozenset({"secp256r1", "secp384r1"})  # Secure Enclave keys
_MAX_MDM_NONCE = 32
_MAX_MDM_NONCES = 1024

OneNonce = bytes | bytearray | memoryview
MdmNonces = OneNonce | Sequence[OneNonce] | AbstractSet[bytes]
"""What `verify_device_properties` accepts as `nonce`: one nonce, or the nonces of the last 7 days."""


@dataclass(frozen=True, slots=True)
class Options:
    """The `apple` options of one verification.

    Attributes:
        require_nonce: A6; `False` accepts a leaf without freshness code (relaxation
            `"apple-nonce-absent"`). From `verify(apple_require_nonce=...)`.
    """

    require_nonce: bool = True

    @classmethod
    def from_context(cls, ctx: Context) -> Options:
        """The options `verify()` passed in `ctx.options`."""
        return cls(require_nonce=ctx.flag("apple_require_nonce", True))


@dataclass(frozen=True, slots=True)
class _Binding:
    """A6: the freshness codes the leaf may carry (any one matches) and how to name them in errors."""

    expected: tuple[bytes, ...]
    what: str


@dataclass(frozen=True, slots=True)
class AppleExtensions:
    """The Apple extensions of one leaf certificate, as
    `step.StepExtensions` holds the step ones.

    Attributes:
        serial_number: the serial number (8.9.1), or `None`.
        udid: the UDID (8.9.2), or `None`.
        details: every informational value and the raw `extensions` mapping (dotted OID of every
            1.2.840.113635.* extension to its raw extnValue). Values that are absent, or (except
            serial and UDID in strict mode) do not decode, are `None`.
    """

    serial_number: str | None = None
    udid: str | None = None
    details: AppleDetails = field(default_factory=AppleDetails)


DecodedExtensions = AppleExtensions
"""The former name of `AppleExtensions`, kept for existing imports."""


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return None


def _integer(raw: bytes | None) -> int | None:
    if raw is None:
        return None
    try:
        return decode_der_integer(raw, check="A5")
    except AttestationError:
        return None


def _identifier_text(raw: bytes | None, what: str, *, strict: bool) -> str | None:
    value = _text(raw)
    if value is None and raw is not None and strict:
        raise MalformedError(
            f"Apple {what} extension is not UTF-8: {len(raw)} bytes",
            check="A5",
        )
    return value


def decode_extensions(
    cert: x509.Certificate, *, strict: bool = False, max_value_len: int | None = None
) -> AppleExtensions:
    """Decode the Apple extensions of `cert` without trusting it.

    Extension values are used raw (no inner ASN.1 wrapper) except the DER INTEGERs of
    8.13.1 and 8.13.3. Text values must be strict UTF-8.

    Args:
        cert: the leaf certificate (any certificate; only Apple OIDs are read).
        strict: `True` (verification) makes an undecodable serial number (8.9.1) or UDID (8.9.2)
            a `MalformedError`; `False` (inspection) turns it into `None` like every other value.
        max_value_len: when given, values longer than this many bytes are not decoded (`None`);
            `inspect()` passes 1024. They stay in `extensions`.

    Returns:
        The decoded values.

    Raises:
        MalformedError: (A5) the certificate's extensions cannot be parsed, or, with `strict`,
            the serial number or UDID is not UTF-8.
    """
    try:
        exts = cert.extensions
    except ValueError as exc:
        raise MalformedError(f"certificate extensions do not decode: {exc}", check="A5") from None
    raw: dict[str, bytes] = {}
    for ext in exts:
        oid = ext.oid.dotted_string
        if oid.startswith(APPLE_ARC):
            raw[oid] = raw_extension(ext)

    def get(oid: str) -> bytes | None:
        value = raw.get(oid)
        if value is not None and max_value_len is not None and len(value) > max_value_len:
            return None
        return value

    details = AppleDetails(
        nonce=get(OID_NONCE),
        os_version=_text(get(OID_OS_VERSION)),
        sepos_version=_text(get(OID_SEPOS_VERSION)),
        llb_version=_text(get(OID_LLB_VERSION)),
        software_update_device_id=_text(get(OID_SOFTWARE_UPDATE_DEVICE_ID)),
        sip_status=_integer(get(OID_SIP_STATUS)),
        secure_boot=_text(get(OID_SECURE_BOOT)),
        third_party_kexts=_integer(get(OID_THIRD_PARTY_KEXTS)),
        extensions=MappingProxyType(raw),
    )
    return AppleExtensions(
        serial_number=_identifier_text(get(OID_SERIAL), "serial number (8.9.1)", strict=strict),
        udid=_identifier_text(get(OID_UDID), "UDID (8.9.2)", strict=strict),
        details=details,
    )


# The informational values `inspect()` shows, in extension-table order (`binding` is a property
# of verification, not of the certificate).
_DESCRIBED = (
    "software_update_device_id", "os_version", "sepos_version", "llb_version", "nonce",
    "sip_status", "secure_boot", "third_party_kexts",
)  # fmt: skip


def describe_certificate(cert: x509.Certificate) -> dict[str, Any] | None:
    """`inspect()` hook: `{"apple": ...}`, the Apple extensions of any certificate carrying one
    (values over 1 024 bytes listed under `not_decoded`), else `None`."""
    if not any(ext.oid.dotted_string.startswith(APPLE_ARC) for ext in cert.extensions):
        return None
    return {"apple": describe.guard(lambda: _describe_extensions(cert))}


def _describe_extensions(cert: x509.Certificate) -> dict[str, Any]:
    decoded = decode_extensions(cert, strict=False, max_value_len=describe.MAX_EXTENSION_VALUE)
    details = describe.jsonable(decoded.details)
    result: dict[str, Any] = {"serial_number": decoded.serial_number, "udid": decoded.udid}
    result.update((key, details[key]) for key in _DESCRIBED)
    limit = describe.MAX_EXTENSION_VALUE
    result["extensions"] = {
        oid: describe.hex_prefix(raw, limit) for oid, raw in decoded.details.extensions.items()
    }
    skipped = describe.oversized(cert, (APPLE_ARC,))
    if skipped:
        result["not_decoded"] = skipped
    return result


def describe_statement(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    """`inspect()` hook: an `apple` attStmt has nothing beyond its certificates."""
    del att_stmt
    return {}


def _check_leaf(leaf: x509.Certificate) -> ec.EllipticCurvePublicKey:
    """A4: the leaf is an end entity holding a Secure Enclave key (EC P-256 or P-384)."""
    key = keys.end_entity_key(leaf, check="A4", what="the Apple leaf certificate")
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in _LEAF_CURVES:
        kind = key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else type(key).__name__
        raise PolicyError(f"the Apple leaf key must be EC P-256 or P-384, found {kind}", check="A4")
    return key


def _check_nonce(found: bytes | None, binding: _Binding, *, require: bool) -> tuple[str, ...]:
    """A6: the freshness code equals one of `binding.expected`; returns the relaxations used."""
    if not found:
        if require:
            raise ChallengeMismatchError(
                "the Apple leaf has no freshness code (extension 1.2.840.113635.100.8.11.1)",
                check="A6",
            )
        return (NONCE_ABSENT,)
    # Every entry is compared, without early exit, so the time taken does not tell which one matched.
    matched = False
    for expected in binding.expected:
        matched |= hmac.compare_digest(found, expected)
    if not matched:
        raise ChallengeMismatchError(f"the Apple freshness code does not equal {binding.what}", check="A6")
    return ()


def _verify(items: Sequence[bytes], binding: _Binding, trust: Trust, options: Options) -> DeviceIdentity:
    """A2-A7 for an x5c-like list of DER certificates (leaf first), the one implementation."""
    certs = x509path.parse_x5c(items, check="A2")
    path = chain.validate(certs, trust, check="A3")
    leaf = certs[0]
    key = _check_leaf(leaf)
    decoded = decode_extensions(leaf, strict=True)
    nonce = decoded.details.nonce
    relaxations = tuple(path.relaxations) + _check_nonce(nonce, binding, require=options.require_nonce)
    acme: list[AcmeIdentifier] = []
    for value in (decoded.udid, decoded.serial_number):
        ident = permanent_identifier_acme(value)
        if ident is not None:
            acme.append(ident)
    return DeviceIdentity.build(
        format=FORMAT,
        public_key=key,
        chain=tuple(path.chain),
        acme_identifiers=tuple(acme),
        serial_number=decoded.serial_number,
        udid=decoded.udid,
        relaxations=relaxations,
        apple=decoded.details,
    )


def verify_statement(att_stmt: Mapping[object, object], ctx: Context) -> DeviceIdentity:
    """Verify an `apple` attestation statement (checks A1-A7).

    Args:
        att_stmt: the decoded `attStmt` map, `{"x5c": [leaf, Sub CA, ...]}`.
        ctx: anchors, intermediates, time, key authorization and `apple_require_nonce`.

    Returns:
        The verified identity; `identifiers` = (udid, serial) where present and ACME-usable.

    Raises:
        MalformedError: A1 (x5c missing or not 1 ... 10 byte strings), A2 (a certificate does
            not parse), A5 (serial number or UDID not UTF-8).
        UntrustedChainError: A3, the path does not validate to the apple anchors at `ctx.now`.
        PolicyError: A4, the leaf is a CA or its key is not EC P-256/P-384.
        ChallengeMismatchError: A6, the freshness code is absent (unless relaxed) or is not
            SHA-256 of the ACME token.
    """
    items = fields.get_bytes_list(att_stmt, "x5c", check="A1")
    binding = _Binding((hashlib.sha256(ctx.token.encode("utf-8")).digest(),), "SHA-256 of the ACME token")
    return _verify(items, binding, ctx.trust, Options.from_context(ctx))


def verify_device_properties(
    certificates: Sequence[bytes | x509.Certificate],
    nonce: MdmNonces,
    *,
    roots: Sequence[x509.Certificate] | None = None,
    now: datetime | None = None,
    require_nonce: bool = True,
) -> DeviceIdentity:
    """Verify the chain an Apple device returns to an MDM `DevicePropertiesAttestation` query.

    The checks are those of `verify()` for format `apple` (A1-A7), except that the freshness code
    (OID 1.2.840.113635.100.8.11.1) must equal a nonce byte for byte: for MDM queries the device
    places the raw `DeviceAttestationNonce`, whereas for ACME it places SHA-256(token). The binding
    caveat of the module docstring applies.

    Within 7 days of its last attestation a device answers a DeviceInformation query with that
    *cached* attestation, which carries the earlier nonce. Pass the nonces issued **to this
    enrollment** in the last 7 days (never every nonce the server ever issued: one device's
    attestation could then answer another device's query); the freshness code is compared in
    constant time against every entry, and `identity.apple.nonce` holds the one that matched.

    Args:
        certificates: the DER certificates (or `x509.Certificate` objects) the device returned,
            leaf first, then "Apple Enterprise Attestation Sub CA 1".
        nonce: the DeviceAttestationNonce the server sent (`bytes`, `bytearray` or `memoryview`,
            1 ... 32 bytes), or a `list`, `tuple`, `set` or `frozenset` of 1 ... 1 024 of them.
        roots: trust anchors; `None` uses the bundled Apple Enterprise Attestation Root CA.
        now: tz-aware instant for validity checks; `None` is the current time.
        require_nonce: `False` accepts a leaf without freshness code (recorded as relaxation
            `"apple-nonce-absent"`); a present but different one always fails.

    Returns:
        The verified identity (`format == "apple"`, serial number, UDID, `apple` details).

    Raises:
        UsageError: `malformed`, D1: wrong argument types, a nonce not of 1 ... 32 bytes, a
            nonce collection of another type, empty or over 1 024 entries, bad `roots`, a naive
            `now`, a non-`bool` `require_nonce`.
        MalformedError: `malformed`: A1 (not 1 ... 10 certificates, an empty item), A2 (a
            certificate does not parse), A5 (serial number or UDID not UTF-8).
        UntrustedChainError: `untrusted-chain`, A3, the chain does not validate to the anchors
            at `now`; `rule` names the path rule (`"P1"` ... `"P10"`).
        PolicyError: `policy`, A4, the leaf is a CA or its key is not EC P-256/P-384.
        ChallengeMismatchError: `challenge-mismatch`, A6, the freshness code is absent (unless
            relaxed) or equals none of the nonces.
    """
    with public_boundary(FORMAT):
        items = chain.certificate_items(certificates, what="certificates", check="A1", bad_item=UsageError)
        nonces = check_nonces(nonce, max_bytes=_MAX_MDM_NONCE, max_count=_MAX_MDM_NONCES)
        what = "the MDM nonce" if len(nonces) == 1 else f"any of the {len(nonces)} MDM nonces"
        binding = _Binding(nonces, what)
        trust = trust_from_arguments(FORMAT, roots, None, check_now(now))
        options = Options(require_nonce=check_flag("require_nonce", require_nonce))
        return _verify(items, binding, trust, options)
