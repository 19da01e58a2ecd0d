"""Format `android-key`: Android Key Attestation (checks K1-K13).

`attStmt = {"alg": int, "sig": bstr, "x5c": [leaf, intermediates..., optionally the root]}`. The
leaf is the certificate Android Keystore issues for a key generated in the TEE or StrongBox with
the ACME key authorization as attestation challenge; its KeyDescription extension
(`keydescription`) says where the key lives, how it was made and how the device booted; `sig` is
the key's own signature over the key authorization. `alg` is not read (step-ca ignores it too).

Two entries share one implementation of each check: `verify_statement` (registered in `api.py`,
K1-K13) and `verify_chain` (K1, K2, K4-K10, K11 when a challenge is given, K13) for real device
chains without a key-authorization signature. Revocation (K5) uses a `StatusList` the caller
fetched and parsed; the library stays offline. `describe.py` holds the `inspect()` hooks.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .. import chain, fields, keys, x509path
from ..arguments import check_flag, check_now, trust_from_arguments
from ..context import Context
from ..details import AndroidDetails
from ..errors import (
    BadSignatureError,
    ChallengeMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
    UsageError,
    public_boundary,
)
from ..identity import DeviceIdentity, PublicKey, permanent_identifier_acme
from ..relaxations import ANDROID_BATCH_NOT_CA, ANDROID_STATUS_UNCHECKED, ANDROID_UNVERIFIED_BOOT
from ..trust import Trust
from .describe import describe_certificate, describe_statement
from .details import details_from, utf8_or_none
from .status import STATUS_UNCHECKED, StatusList, StatusUnchecked, check_status
from .values import (
    OID_KEY_DESCRIPTION,
    AuthorizationList,
    KeyDescription,
    RootOfTrust,
    SecurityLevel,
    VerifiedBootState,
)

if TYPE_CHECKING:
    from .keydescription import decode_key_description, key_description_of

__all__ = [
    "FORMAT",
    "RELAXATION_BATCH_NOT_CA",
    "RELAXATION_STATUS_UNCHECKED",
    "RELAXATION_UNVERIFIED_BOOT",
    "STATUS_UNCHECKED",
    "X5C_CHECKS",
    "AndroidDetails",
    "AuthorizationList",
    "KeyDescription",
    "Options",
    "RootOfTrust",
    "SecurityLevel",
    "StatusList",
    "StatusUnchecked",
    "VerifiedBootState",
    "check_status",
    "decode_key_description",
    "describe_certificate",
    "describe_statement",
    "key_description_of",
    "verify_chain",
    "verify_statement",
]

FORMAT = "android-key"
X5C_CHECKS = ("K1", "K2")
"""The check ids of `attStmt.x5c`: its shape, and the parsing of each certificate."""
RELAXATION_STATUS_UNCHECKED = ANDROID_STATUS_UNCHECKED
RELAXATION_UNVERIFIED_BOOT = ANDROID_UNVERIFIED_BOOT
RELAXATION_BATCH_NOT_CA = ANDROID_BATCH_NOT_CA

_MAX_SIG = 1024
_MAX_CHALLENGE = 1024
_KEY_DESCRIPTION = x509.ObjectIdentifier(OID_KEY_DESCRIPTION)
_LEAF_CURVES = ("secp256r1", "secp384r1", "secp521r1")
_HARDWARE_LEVELS = (SecurityLevel.TRUSTED_ENVIRONMENT, SecurityLevel.STRONGBOX)
_ORIGIN_GENERATED = 0
_PURPOSE_SIGN = 2


@dataclass(frozen=True, slots=True)
class Options:
    """The `android-key` options of one verification.

    Attributes:
        status: the parsed status list for K5, or `None` (unchecked, recorded as relaxation
            `"android-status-unchecked"`). From `verify(android_status=...)`.
        allow_unverified_boot: K10 accepts SelfSigned / Unverified boot or an unlocked bootloader
            (relaxation `"android-unverified-boot"`). From `verify(android_allow_unverified_boot=...)`.
    """

    status: StatusList | None = None
    allow_unverified_boot: bool = False

    @classmethod
    def from_context(cls, ctx: Context) -> Options:
        """The options `verify()` passed in `ctx.options` (it checked `android_status`, D1)."""
        setting = ctx.setting("android_status")
        return cls(
            status=setting if isinstance(setting, StatusList) else None,
            allow_unverified_boot=ctx.flag("android_allow_unverified_boot", False),
        )


# --- checks, in their documented order (K1, K2: chain.read_x5c / certificate_items) -------------


def _read_signature(att_stmt: Mapping[object, object]) -> bytes:
    """K3: `sig` is a byte string of 1 ... 1 024 bytes (the signature itself, no CBOR wrapper)."""
    return fields.get_bytes(att_stmt, "sig", check="K3", min_len=1, max_len=_MAX_SIG)


def _check_status(path: tuple[x509.Certificate, ...], status: StatusList | None) -> tuple[str, ...]:
    """K5: no certificate of the validated path (anchor included) is on the status list."""
    if status is None:
        return (ANDROID_STATUS_UNCHECKED,)
    for position, cert in enumerate(path):
        listed = status.lookup(cert)
        if listed is not None:
            shown = listed[:32] or "listed"
            raise UntrustedChainError(
                f"certificate {position} of the path (serial {cert.serial_number:x}) is on the "
                f"attestation status list: {shown}",
                check="K5",
            )
    return ()


def _check_key_description(path: tuple[x509.Certificate, ...]) -> KeyDescription:
    """K6: the leaf, and only the leaf, carries the KeyDescription; it decodes."""
    for position, cert in enumerate(path[1:], start=1):
        if any(ext.oid == _KEY_DESCRIPTION for ext in cert.extensions):
            raise PolicyError(
                f"certificate {position} of the path carries a KeyDescription: only the leaf may",
                check="K6",
            )
    from .keydescription import key_description_of  # noqa: PLC0415 - pyasn1 on first use

    kd = key_description_of(path[0], check="K6")
    if kd is None:
        raise PolicyError("the leaf certificate has no KeyDescription extension", check="K6")
    return kd


def _check_leaf(leaf: x509.Certificate) -> PublicKey:
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


def _check_security_levels(kd: KeyDescription) -> None:
    """K8: attestation and KeyMint security levels are both TrustedEnvironment or StrongBox."""
    for what, level in (
        ("attestationSecurityLevel", kd.attestation_security_level),
        ("keyMintSecurityLevel", kd.keymint_security_level),
    ):
        if level not in _HARDWARE_LEVELS:
            raise PolicyError(f"{what} is {level.label}: the key is not hardware-backed", check="K8")


def _check_key_properties(kd: KeyDescription) -> None:
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


def _check_boot(kd: KeyDescription, allow_unverified_boot: bool) -> tuple[str, ...]:
    """K10: verified boot and a locked bootloader; SelfSigned/Unverified/unlocked only with the option."""
    rot = kd.hardware_enforced.root_of_trust
    if rot is None:
        raise PolicyError("hardwareEnforced.rootOfTrust is absent", check="K10")
    if rot.verified_boot_state == VerifiedBootState.FAILED:
        raise PolicyError("verifiedBootState is Failed", check="K10")
    if rot.verified_boot_state == VerifiedBootState.VERIFIED and rot.device_locked:
        return ()
    if allow_unverified_boot:
        return (ANDROID_UNVERIFIED_BOOT,)
    lock = "locked" if rot.device_locked else "unlocked"
    raise PolicyError(
        f"verified boot is {rot.verified_boot_state.label} with the bootloader {lock}: the OS that "
        "asked for the key may not be the one the vendor signed (allow_unverified_boot relaxes this)",
        check="K10",
    )


def _check_challenge(kd: KeyDescription, expected: bytes | None) -> None:
    """K11: attestationChallenge equals (constant time) the expected challenge; skipped for None."""
    if expected is None:
        return
    if not hmac.compare_digest(kd.attestation_challenge, expected):
        raise ChallengeMismatchError(
            "the KeyDescription attestationChallenge is not the expected challenge", check="K11"
        )


def _check_signature(key: PublicKey, signature: bytes, message: bytes) -> None:
    """K12: `sig` over `message` by the leaf key (ECDSA/SHA-256 DER, RSA PKCS#1 v1.5/SHA-256, Ed25519)."""
    if not keys.signature_valid(key, signature, message):
        raise BadSignatureError(
            "the android-key signature over the key authorization does not verify with the leaf key",
            check="K12",
        )


def _check_serial(kd: KeyDescription) -> str | None:
    """K13: the hardware-attested serial, strict UTF-8; softwareEnforced values never count."""
    raw = kd.hardware_enforced.attestation_id_serial
    if raw is None:
        return None
    serial = utf8_or_none(raw)
    if serial is None:
        raise MalformedError("hardwareEnforced.attestationIdSerial is not UTF-8", check="K13")
    return serial


# --- the one core ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Binding:
    """What binds the attestation: the expected challenge (K11, `None` skips it) and, for the
    full statement, `(signature, message)` for K12."""

    challenge: bytes | None
    signed: tuple[bytes, bytes] | None = None


def _verify(
    certs: tuple[x509.Certificate, ...], binding: _Binding, trust: Trust, options: Options
) -> DeviceIdentity:
    """K4-K13 on parsed certificates, the one implementation behind both entry points."""
    path = chain.validate(certs, trust, check="K4", allow_android_batch=True)
    path_certs = tuple(path.chain)
    relaxations = list(path.relaxations)
    relaxations += _check_status(path_certs, options.status)
    kd = _check_key_description(path_certs)
    key = _check_leaf(path_certs[0])
    _check_security_levels(kd)
    _check_key_properties(kd)
    relaxations += _check_boot(kd, options.allow_unverified_boot)
    _check_challenge(kd, binding.challenge)
    if binding.signed is not None:
        _check_signature(key, *binding.signed)
    serial = _check_serial(kd)
    ident = permanent_identifier_acme(serial)
    return DeviceIdentity.build(
        format=FORMAT,
        public_key=key,
        chain=path_certs,
        acme_identifiers=() if ident is None else (ident,),
        serial_number=serial,
        relaxations=tuple(sorted(relaxations)),
        android=details_from(kd, status_checked=options.status is not None),
    )


def verify_statement(att_stmt: Mapping[object, object], ctx: Context) -> DeviceIdentity:
    """Verify an `android-key` attestation statement (checks K1-K13).

    Args:
        att_stmt: the decoded `attStmt` map.
        ctx: the validated verification context from `verify()`; its options `android_status`
            (a `StatusList`, or `STATUS_UNCHECKED`: K5 skipped and recorded) and
            `android_allow_unverified_boot` become `Options`.

    Returns:
        The verified identity; `identifiers` is `(attestationIdSerial,)` or empty.

    Raises:
        MalformedError: K1 (`x5c`), K2 (certificate parsing), K3 (`sig`), K6 (undecodable
            KeyDescription), K13 (serial not UTF-8).
        UntrustedChainError: K4 (path validation), K5 (a path certificate on the status list).
        PolicyError: K6 (KeyDescription absent from the leaf or on another certificate), K7
            (leaf key), K8 (security levels), K9 (origin, purpose, allApplications), K10 (boot).
        ChallengeMismatchError: K11, attestationChallenge is not the key authorization.
        BadSignatureError: K12, `sig` does not verify with the leaf key.
    """
    certs = chain.read_x5c(att_stmt, shape_check="K1", parse_check="K2")
    signature = _read_signature(att_stmt)
    message = ctx.key_authorization.encode("utf-8")
    binding = _Binding(challenge=message, signed=(signature, message))
    return _verify(certs, binding, ctx.trust, Options.from_context(ctx))


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

    Runs K1, K2, K4-K10 and K13, the same code as the full statement, and K11 when
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
        options = Options(
            status=check_status(status, allow_none=True),
            allow_unverified_boot=check_flag("allow_unverified_boot", allow_unverified_boot),
        )
        expected = _challenge_option(challenge)
        trust = trust_from_arguments(FORMAT, roots, intermediates, check_now(now))
        items = chain.certificate_items(x5c, what="x5c", check="K1")
        certs = x509path.parse_x5c(items, check="K2")
        return _verify(certs, _Binding(challenge=expected), trust, options)


_LAZY = frozenset({"decode_key_description", "key_description_of"})


def __getattr__(name: str) -> Any:
    # The KeyDescription reader loads pyasn1, which apple, step and tpm never need: `import
    # attestverify` stays light, and the reader loads on the first android-key statement.
    if name in _LAZY:
        from . import keydescription  # noqa: PLC0415

        return getattr(keydescription, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
