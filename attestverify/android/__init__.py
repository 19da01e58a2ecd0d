"""Format `android-key`: Android Key Attestation (SPEC §4.4, checks K1-K13; §2.6).

`attStmt = {"alg": int, "sig": bstr, "x5c": [leaf, intermediates..., optionally the root]}`. The
leaf is the certificate Android Keystore issues for a key generated in the TEE or StrongBox with
the ACME key authorization as attestation challenge; its KeyDescription extension
(`keydescription`) says where the key lives, how it was made and how the device booted; `sig` is
the key's own signature over the key authorization. `alg` is not read (step-ca ignores it too).

Two entries share one implementation of each check: `verify_statement` (K1-K13) and
`verify_chain` (K1, K2, K4-K10, K11 when a challenge is given, K13) for real device chains
without a key-authorization signature. Revocation (K5) uses a `StatusList` the caller fetched
and parsed; the library stays offline.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from .. import fields, keys, x509path
from ..api import check_certificates, check_now, public_boundary
from ..context import Context
from ..errors import (
    BadSignatureError,
    ChallengeMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
    UsageError,
)
from ..identity import DeviceIdentity, PublicKey, permanent_identifier_acme
from ..roots import bundled
from .details import AndroidDetails, details_from, utf8_or_none
from .keydescription import (
    OID_KEY_DESCRIPTION,
    AuthorizationList,
    KeyDescription,
    RootOfTrust,
    SecurityLevel,
    VerifiedBootState,
    decode_key_description,
)
from .status import STATUS_UNCHECKED, StatusList, StatusUnchecked

__all__ = [
    "FORMAT",
    "RELAXATION_STATUS_UNCHECKED",
    "RELAXATION_UNVERIFIED_BOOT",
    "STATUS_UNCHECKED",
    "AndroidDetails",
    "AuthorizationList",
    "KeyDescription",
    "RootOfTrust",
    "SecurityLevel",
    "StatusList",
    "StatusUnchecked",
    "VerifiedBootState",
    "decode_key_description",
    "verify_chain",
    "verify_statement",
]

FORMAT = "android-key"
RELAXATION_STATUS_UNCHECKED = "android-status-unchecked"
RELAXATION_UNVERIFIED_BOOT = "android-unverified-boot"

_MAX_SIG = 1024
_MAX_CHALLENGE = 1024
_KEY_DESCRIPTION = x509.ObjectIdentifier(OID_KEY_DESCRIPTION)
_LEAF_CURVES = ("secp256r1", "secp384r1", "secp521r1")
_HARDWARE_LEVELS = (SecurityLevel.TRUSTED_ENVIRONMENT, SecurityLevel.STRONGBOX)
_ORIGIN_GENERATED = 0
_PURPOSE_SIGN = 2


@dataclass(frozen=True, slots=True)
class _Options:
    """Verification options: `status` None means unchecked (recorded)."""

    status: StatusList | None
    allow_unverified_boot: bool


# --- checks, in SPEC order ---------------------------------------------------------------------


def _check_k1_k2_x5c(att_stmt: Mapping[object, object]) -> tuple[x509.Certificate, ...]:
    """K1: `x5c` is 1 ... 10 byte strings; K2: each is a strict DER certificate."""
    x5c_der = fields.get_bytes_list(att_stmt, "x5c", check="K1")
    return x509path.parse_x5c(x5c_der, check="K2")


def _check_k3_sig(att_stmt: Mapping[object, object]) -> bytes:
    """K3: `sig` is a byte string of 1 ... 1 024 bytes (the signature itself, no CBOR wrapper)."""
    return fields.get_bytes(att_stmt, "sig", check="K3", min_len=1, max_len=_MAX_SIG)


def _check_k4_path(
    x5c: tuple[x509.Certificate, ...],
    anchors: tuple[x509.Certificate, ...],
    intermediates: tuple[x509.Certificate, ...],
    now: datetime,
) -> x509path.ValidatedPath:
    """K4: path validation (§5) from the leaf to the android-key anchors."""
    return x509path.validate_path(x5c[0], tuple(x5c[1:]) + tuple(intermediates), anchors, now, check="K4")


def _check_k5_status(chain: tuple[x509.Certificate, ...], status: StatusList | None) -> tuple[str, ...]:
    """K5: no certificate of the validated path (anchor included) is on the status list."""
    if status is None:
        return (RELAXATION_STATUS_UNCHECKED,)
    for position, cert in enumerate(chain):
        listed = status.lookup(cert)
        if listed is not None:
            shown = listed[:32] or "listed"
            raise UntrustedChainError(
                f"certificate {position} of the path (serial {cert.serial_number:x}) is on the "
                f"attestation status list: {shown}",
                check="K5",
            )
    return ()


def _has_key_description(cert: x509.Certificate) -> bool:
    return any(ext.oid == _KEY_DESCRIPTION for ext in cert.extensions)


def _check_k6_key_description(chain: tuple[x509.Certificate, ...]) -> KeyDescription:
    """K6: the leaf, and only the leaf, carries the KeyDescription; it decodes."""
    leaf = chain[0]
    for position, cert in enumerate(chain[1:], start=1):
        if _has_key_description(cert):
            raise PolicyError(
                f"certificate {position} of the path carries a KeyDescription: only the leaf may",
                check="K6",
            )
    try:
        value = leaf.extensions.get_extension_for_oid(_KEY_DESCRIPTION).value
    except x509.ExtensionNotFound:
        raise PolicyError("the leaf certificate has no KeyDescription extension", check="K6") from None
    if not isinstance(value, x509.UnrecognizedExtension):  # pragma: no cover - cryptography does not know it
        raise MalformedError("the KeyDescription extension is not opaque DER", check="K6")
    return decode_key_description(value.value, check="K6")


def _check_k7_leaf_key(leaf: x509.Certificate) -> PublicKey:
    """K7: the leaf is not a CA; its key is EC P-256/384/521, RSA 2048-4096 (no ROCA) or Ed25519."""
    key = keys.end_entity_key(leaf, check="K7", what="the Android leaf certificate")
    if isinstance(key, ec.EllipticCurvePublicKey):
        keys.check_ec_curve(key, _LEAF_CURVES, check="K7", what="Android leaf key")
        return key
    if isinstance(key, rsa.RSAPublicKey):
        keys.check_rsa_key(key, check="K7", what="Android leaf key")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise PolicyError(
        f"Android leaf key {type(key).__name__} is not EC P-256/P-384/P-521, RSA 2048-4096 or Ed25519",
        check="K7",
    )


def _check_k8_security_levels(kd: KeyDescription) -> None:
    """K8: attestation and KeyMint security levels are both TrustedEnvironment or StrongBox."""
    for what, level in (
        ("attestationSecurityLevel", kd.attestation_security_level),
        ("keyMintSecurityLevel", kd.keymint_security_level),
    ):
        if level not in _HARDWARE_LEVELS:
            raise PolicyError(f"{what} is {level.label}: the key is not hardware-backed", check="K8")


def _check_k9_key_properties(kd: KeyDescription) -> None:
    """K9: hardware-enforced origin GENERATED and purpose SIGN; allApplications in neither list."""
    hw = kd.hardware_enforced
    if hw.origin != _ORIGIN_GENERATED:
        found = "absent" if hw.origin is None else str(hw.origin)
        raise PolicyError(
            f"hardwareEnforced.origin is {found}, not GENERATED (0): the key was not made on the device",
            check="K9",
        )
    if hw.purposes is None or _PURPOSE_SIGN not in hw.purposes:
        raise PolicyError("hardwareEnforced.purpose does not contain SIGN (2)", check="K9")
    if hw.all_applications or kd.software_enforced.all_applications:
        raise PolicyError("the key is usable by all applications (allApplications)", check="K9")


def _check_k10_boot(kd: KeyDescription, allow_unverified_boot: bool) -> tuple[str, ...]:
    """K10: verified boot and a locked bootloader; SelfSigned/Unverified/unlocked only with the option."""
    rot = kd.hardware_enforced.root_of_trust
    if rot is None:
        raise PolicyError("hardwareEnforced.rootOfTrust is absent", check="K10")
    if rot.verified_boot_state == VerifiedBootState.FAILED:
        raise PolicyError("verifiedBootState is Failed", check="K10")
    if rot.verified_boot_state == VerifiedBootState.VERIFIED and rot.device_locked:
        return ()
    if allow_unverified_boot:
        return (RELAXATION_UNVERIFIED_BOOT,)
    lock = "locked" if rot.device_locked else "unlocked"
    raise PolicyError(
        f"verified boot is {rot.verified_boot_state.label} with the bootloader {lock}: the OS that "
        "asked for the key may not be the one the vendor signed (allow_unverified_boot relaxes this)",
        check="K10",
    )


def _check_k11_challenge(kd: KeyDescription, expected: bytes | None) -> None:
    """K11: attestationChallenge equals (constant time) the expected challenge; skipped for None."""
    if expected is None:
        return
    if not hmac.compare_digest(kd.attestation_challenge, expected):
        raise ChallengeMismatchError(
            "the KeyDescription attestationChallenge is not the expected challenge", check="K11"
        )


def _check_k12_signature(key: PublicKey, signature: bytes, message: bytes) -> None:
    """K12: `sig` over `message` by the leaf key (ECDSA/SHA-256 DER, RSA PKCS#1 v1.5/SHA-256, Ed25519)."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, message)
    except (InvalidSignature, ValueError):  # ValueError: a malformed DER ECDSA signature
        raise BadSignatureError(
            "the android-key signature over the key authorization does not verify with the leaf key",
            check="K12",
        ) from None


def _check_k13_serial(kd: KeyDescription) -> str | None:
    """K13: the hardware-attested serial, strict UTF-8; softwareEnforced values never count."""
    raw = kd.hardware_enforced.attestation_id_serial
    if raw is None:
        return None
    serial = utf8_or_none(raw)
    if serial is None:
        raise MalformedError("hardwareEnforced.attestationIdSerial is not UTF-8", check="K13")
    return serial


# --- the one core ------------------------------------------------------------------------------


def _verify(
    x5c: tuple[x509.Certificate, ...],
    anchors: tuple[x509.Certificate, ...],
    intermediates: tuple[x509.Certificate, ...],
    now: datetime,
    options: _Options,
    *,
    challenge: bytes | None,
    signed: tuple[bytes, bytes] | None,
) -> DeviceIdentity:
    """K4-K13 on parsed certificates; `signed` is `(signature, message)` for K12, or None."""
    path = _check_k4_path(x5c, anchors, intermediates, now)
    chain = tuple(path.chain)
    relaxations = list(path.relaxations)
    relaxations += _check_k5_status(chain, options.status)
    kd = _check_k6_key_description(chain)
    key = _check_k7_leaf_key(chain[0])
    _check_k8_security_levels(kd)
    _check_k9_key_properties(kd)
    relaxations += _check_k10_boot(kd, options.allow_unverified_boot)
    _check_k11_challenge(kd, challenge)
    if signed is not None:
        _check_k12_signature(key, *signed)
    serial = _check_k13_serial(kd)
    ident = permanent_identifier_acme(serial)
    identity = DeviceIdentity.build(
        format=FORMAT,
        public_key=key,
        chain=chain,
        acme_identifiers=() if ident is None else (ident,),
        serial_number=serial,
        relaxations=tuple(relaxations),
    )
    return dataclasses.replace(identity, android=details_from(kd, status_checked=options.status is not None))


def _status_option(status: object) -> StatusList | None:
    if isinstance(status, StatusList):
        return status
    if status is None or status is STATUS_UNCHECKED:
        return None
    raise UsageError("status must be an android.StatusList or android.STATUS_UNCHECKED", check="D1")


def verify_statement(
    att_stmt: Mapping[object, object],
    ctx: Context,
    *,
    status: StatusList | StatusUnchecked,
    allow_unverified_boot: bool = False,
) -> DeviceIdentity:
    """Verify an `android-key` attestation statement (SPEC §4.4, checks K1-K13).

    Args:
        att_stmt: the decoded `attStmt` map.
        ctx: the validated verification context (key authorization, time, anchors).
        status: a parsed `StatusList` (K5), or `STATUS_UNCHECKED` to skip K5 (recorded as
            relaxation `"android-status-unchecked"`).
        allow_unverified_boot: K10 accepts SelfSigned / Unverified boot or an unlocked
            bootloader (recorded as `"android-unverified-boot"`).

    Returns:
        The verified identity; `identifiers` is `(attestationIdSerial,)` or empty.

    Raises:
        UsageError: `status` is neither a `StatusList` nor `STATUS_UNCHECKED`.
        MalformedError: K1 (`x5c`), K2 (certificate parsing), K3 (`sig`), K6 (undecodable
            KeyDescription), K13 (serial not UTF-8).
        UntrustedChainError: K4 (path validation), K5 (a path certificate on the status list).
        PolicyError: K6 (KeyDescription absent from the leaf or on another certificate), K7
            (leaf key), K8 (security levels), K9 (origin, purpose, allApplications), K10 (boot).
        ChallengeMismatchError: K11, attestationChallenge is not the key authorization.
        BadSignatureError: K12, `sig` does not verify with the leaf key.
    """
    if status is not STATUS_UNCHECKED and not isinstance(status, StatusList):
        raise UsageError("status must be an android.StatusList or android.STATUS_UNCHECKED", check="D1")
    if not isinstance(allow_unverified_boot, bool):
        raise UsageError("allow_unverified_boot must be True or False", check="D1")
    x5c = _check_k1_k2_x5c(att_stmt)
    signature = _check_k3_sig(att_stmt)
    message = ctx.key_authorization.encode("utf-8")
    options = _Options(_status_option(status), allow_unverified_boot)
    return _verify(
        x5c, ctx.anchors, ctx.intermediates, ctx.now, options, challenge=message, signed=(signature, message)
    )


def _x5c_der(x5c: object) -> tuple[bytes, ...]:
    if isinstance(x5c, (str, bytes, bytearray, memoryview, x509.Certificate, Mapping)) or not isinstance(
        x5c, Sequence
    ):
        raise UsageError("x5c must be a sequence of DER certificates or x509.Certificate", check="D1")
    if not 1 <= len(x5c) <= 10:
        raise MalformedError(f"x5c must hold 1 ... 10 certificates, found {len(x5c)}", check="K1")
    items: list[bytes] = []
    for index, item in enumerate(x5c):
        if isinstance(item, x509.Certificate):
            items.append(item.public_bytes(Encoding.DER))
        elif isinstance(item, (bytes, bytearray, memoryview)) and len(item) > 0:
            items.append(bytes(item))
        else:
            raise MalformedError(f"x5c[{index}] must be non-empty DER bytes or a Certificate", check="K1")
    return tuple(items)


def _challenge_option(challenge: object) -> bytes | None:
    if challenge is None:
        return None
    if not isinstance(challenge, (bytes, bytearray, memoryview)):
        raise UsageError("challenge must be bytes or None", check="D1")
    value = bytes(challenge)
    if len(value) > _MAX_CHALLENGE:
        raise UsageError(f"challenge is longer than {_MAX_CHALLENGE} bytes", check="D1")
    return value


def verify_chain(
    x5c: Sequence[bytes | x509.Certificate],
    *,
    challenge: bytes | None = None,
    roots: Iterable[x509.Certificate] | None = None,
    intermediates: Iterable[x509.Certificate] | None = None,
    now: datetime | None = None,
    status: StatusList | StatusUnchecked | None = None,
    allow_unverified_boot: bool = False,
) -> DeviceIdentity:
    """Verify an Android Key Attestation certificate chain without a key-authorization signature.

    Runs K1, K2, K4-K10 and K13 of SPEC §4.4, the same code as the full statement, and K11 when
    `challenge` is given: for real device chains (an app's exported chain, a WebAuthn
    `android-key` x5c) whose private key is not at hand. It proves which key a device holds and
    how it was made; only a fresh `challenge` proves that the attestation is recent.

    Args:
        x5c: the chain as the device sent it, leaf first: DER `bytes` or `x509.Certificate`.
        challenge: the expected attestationChallenge (for WebAuthn the clientDataHash; for a key
            attested by an app, its server nonce); `None` skips K11 and leaves the value in
            `identity.android.challenge` for the caller to compare.
        roots: trust anchors; `None` uses the bundled Google hardware attestation roots. An empty
            iterable trusts nothing.
        intermediates: extra untrusted path-building certificates.
        now: tz-aware validation instant; `None` is the current time.
        status: a parsed `StatusList` for K5; `None` or `STATUS_UNCHECKED` skips it and records
            relaxation `"android-status-unchecked"`.
        allow_unverified_boot: K10 accepts SelfSigned / Unverified boot or an unlocked bootloader
            (recorded as `"android-unverified-boot"`); a missing rootOfTrust or Failed boot still fails.

    Returns:
        The identity (`format == "android-key"`, `android` details, relaxations, validated chain);
        `identifiers` is `(attestationIdSerial,)` when the hardware attests a usable serial, else empty.

    Raises:
        UsageError: `malformed`, D1: `x5c` not a sequence, bad `roots` / `intermediates` /
            `challenge` / `status`, a naive `now`, a non-`bool` `allow_unverified_boot`.
        MalformedError: `malformed`: K1 (not 1 ... 10 items), K2 (a certificate does not parse),
            K6 (the KeyDescription does not decode), K13 (the serial is not UTF-8).
        UntrustedChainError: `untrusted-chain`: K4 (with `rule` `"P1"` ... `"P10"`), K5.
        PolicyError: `policy`: K6 (placement), K7 (leaf key), K8 (security level), K9 (origin,
            purpose, allApplications), K10 (boot state).
        ChallengeMismatchError: `challenge-mismatch`, K11.
    """
    with public_boundary(FORMAT):
        if not isinstance(allow_unverified_boot, bool):
            raise UsageError("allow_unverified_boot must be True or False", check="D1")
        options = _Options(_status_option(status), allow_unverified_boot)
        expected = _challenge_option(challenge)
        instant = check_now(now)
        anchors = bundled(FORMAT) if roots is None else check_certificates(roots, "roots")
        extra = () if intermediates is None else check_certificates(intermediates, "intermediates")
        parsed = x509path.parse_x5c(_x5c_der(x5c), check="K2")
        return _verify(parsed, anchors, extra, instant, options, challenge=expected, signed=None)
