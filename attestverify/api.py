"""`verify()`: caller argument checks (D1), decoding (D2-D4), dispatch (D5-D6) and D7.

This module holds no format logic. The registry below maps each exact `fmt` string to the
`verify_statement` of the module that verifies it, built from the module's `FORMAT`; adding a
format is one module plus one entry in `_MODULES`. Nothing but `__init__`, `cli` and `inspection`
imports this module, so it may import every format statically.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Protocol, Union

from cryptography import x509

from . import android, apple, cbor, step, tpm
from .arguments import (
    check_certificates,
    check_flag,
    check_identifier,
    check_key_authorization,
    check_now,
    check_roots,
    check_statement,
    resolve_trust,
)
from .context import Context
from .errors import (
    IdentifierMismatchError,
    MalformedError,
    UnsupportedFormatError,
    UsageError,
    public_boundary,
    shown,
)
from .identity import PERMANENT_IDENTIFIER, DeviceIdentity

__all__ = ["DEFAULT_FORMATS", "FORMATS", "FormatVerifier", "verify"]


class FormatVerifier(Protocol):
    """What a format module exports: `verify_statement(att_stmt, ctx) -> DeviceIdentity`."""

    def __call__(self, att_stmt: Mapping[object, object], ctx: Context) -> DeviceIdentity: ...


# fmt (exact, case-sensitive) -> verifier, in the default order of `FORMATS`.
_REGISTRY: dict[str, FormatVerifier] = {
    apple.FORMAT: apple.verify_statement,
    step.FORMAT: step.verify_statement,
    tpm.FORMAT: tpm.verify_statement,
    android.FORMAT: android.verify_statement,
}

FORMATS: tuple[str, ...] = tuple(_REGISTRY)
"""The implemented formats, in their default order."""
DEFAULT_FORMATS: tuple[str, ...] = (apple.FORMAT, step.FORMAT, tpm.FORMAT)
"""What `formats=None` enables: `android-key` only when listed, since it needs `android_status`."""

Roots = Union[Iterable[x509.Certificate], Mapping[str, Iterable[x509.Certificate]], None]  # noqa: UP007 - runtime alias on 3.10


def _enabled_formats(formats: object) -> tuple[str, ...]:
    if formats is None:
        return DEFAULT_FORMATS
    if isinstance(formats, str):
        formats = (formats,)
    if isinstance(formats, (bytes, bytearray, memoryview, Mapping)) or not isinstance(formats, Iterable):
        raise UsageError("formats must be a format name or an iterable of names", check="D1")
    names = tuple(itertools.islice(formats, 65))
    if len(names) > 64 or not all(isinstance(n, str) for n in names):
        raise UsageError("formats must hold at most 64 format names (str)", check="D1")
    # Unimplemented names are ignored: a server may list formats of a newer version. An allow-list
    # that enables nothing at all (a typo such as "TPM") is the caller's bug, not the device's.
    enabled = tuple(f for f in FORMATS if f in names)
    if not enabled:
        listed = ", ".join(shown(n, 20) for n in names[:4]) or "nothing"
        raise UsageError(
            f"formats enables no implemented format (given {listed}; implemented: {', '.join(FORMATS)}, "
            "exact case)",
            check="D1",
        )
    return enabled


def _android_status(status: object, enabled: tuple[str, ...]) -> object:
    # D1 (SPEC §2.1): with android-key enabled, None is the caller's bug, not "unchecked".
    if status is None and android.FORMAT not in enabled:
        return None
    checked = android.check_status(status, allow_none=False)
    return android.STATUS_UNCHECKED if checked is None else checked


def verify(
    statement: bytes | bytearray | memoryview | str | Mapping[str, object],
    key_authorization: str | bytes,
    roots: Roots = None,
    *,
    now: datetime | None = None,
    identifier: str | None = None,
    formats: str | Iterable[str] | None = None,
    identifier_type: str | None = None,
    intermediates: Iterable[x509.Certificate] | None = None,
    apple_require_nonce: bool = True,
    step_allow_legacy_f9: bool = True,
    tpm_allow_rs1: bool = True,
    tpm_allow_sha1_chain: bool = False,
    android_status: android.StatusList | android.StatusUnchecked | None = None,
    android_allow_unverified_boot: bool = False,
) -> DeviceIdentity:
    """Verify an ACME `device-attest-01` attestation statement.

    Args:
        statement: the attestation object: CBOR `bytes` / `bytearray` / `memoryview` (1 ...
            65 536 bytes), the unpadded base64url `str` of the ACME payload member `attObj`
            (1 ... 87 382 characters, as `parse_challenge_payload` returns it), or an already
            decoded mapping `{"fmt": ..., "attStmt": {...}}`.
        key_authorization: the RFC 8555 key authorization `token.thumbprint` of the challenge
            (`str` or UTF-8 `bytes`). `apple` binds SHA-256 of the token, `tpm` SHA-256 of the
            whole key authorization, `step` a signature over it.
        roots: trust anchors. `None` uses the bundled anchors of each format. A mapping
            `{format: certificates}` replaces the anchors of the formats it names. A plain
            iterable is accepted only when exactly one format is enabled. An empty iterable
            trusts nothing.
        now: tz-aware instant for every validity check (inclusive, no clock skew); `None` is the
            current time. A naive datetime is a `UsageError`.
        identifier: the ACME order identifier value; it must exactly (case-sensitively) equal
            one of `identity.identifiers`, else `identifier-mismatch`. `None` skips the match
            (for callers that validate identifiers elsewhere; they must then pass the order
            identifier to `verify_csr`).
        formats: the formats to accept (exact case): one name or an iterable of names;
            unimplemented names are ignored. `None` accepts `apple`, `step` and `tpm`;
            `android-key` only when listed (and then `android_status` is required).
        identifier_type: the ACME type of `identifier` (`"permanent-identifier"` or
            `"hardware-module"`); `None` means `"permanent-identifier"`, so a hardware-module
            identifier matches only with `identifier_type="hardware-module"`.
        intermediates: extra untrusted certificates for path building (any format), never
            anchors. `None` adds, for `step` with bundled roots, the bundled Yubico 5.7.4+
            intermediates; a given iterable replaces them.
        apple_require_nonce: `False` accepts an `apple` statement without freshness code
            (recorded as relaxation `"apple-nonce-absent"`).
        step_allow_legacy_f9: accept the pinned YubiKey F9 intermediate without
            basicConstraints (relaxation `"yubikey-legacy-f9"`).
        tpm_allow_rs1: accept `alg` -65535 (RS1, SHA-1) for the TPM AK signature; the
            challenge binding stays SHA-256; recorded as relaxation `"tpm-rs1"`. `False` makes
            RS1 a `PolicyError` (T2).
        tpm_allow_sha1_chain: accept SHA-1 certificate signatures on the TPM AK path
            (relaxation `"tpm-sha1-chain"`).
        android_status: required when `android-key` is enabled: an `android.StatusList` (Google's
            attestation status list, fetched and cached by the caller; K5 rejects a listed
            certificate), or the explicit `android.STATUS_UNCHECKED` (K5 skipped, recorded as
            relaxation `"android-status-unchecked"`).
        android_allow_unverified_boot: K10 accepts SelfSigned / Unverified boot or an unlocked
            bootloader (relaxation `"android-unverified-boot"`); a missing rootOfTrust or Failed
            boot always fails.

    Returns:
        The verified `DeviceIdentity`. `identity.relaxations` names every relaxation the
        verification needed (`"apple-nonce-absent"`, `"yubikey-legacy-f9"`, `"tpm-rs1"`,
        `"tpm-sha1-chain"`, `"rsa-sig-params-absent"`, `"tpm-bare-rsa-signature"`,
        `"android-status-unchecked"`, `"android-unverified-boot"`, `"android-batch-not-ca"`).

    Raises:
        UsageError: `malformed`, check D1: invalid caller arguments (a `key_authorization` that
            is not `token.thumbprint` or over 4 096 characters, a naive `now`, `roots` keys that
            are not format names, a plain `roots` iterable with several formats enabled,
            non-certificate items or more than 256 of them, a non-`str` `identifier`, an unknown
            `identifier_type`, a non-`bool` option flag, `formats` enabling no implemented
            format, a `statement` that is not bytes, str or a Mapping, `None` included,
            `android-key` enabled without a `StatusList` or `STATUS_UNCHECKED` as
            `android_status`). A bug or misconfiguration of the caller, not of the device.
        MalformedError: `malformed`: D2 (input type or size), D3 (CBOR), D4 (no map or no
            text `fmt`), D6 (`attStmt`); apple A1, A2, A5; step S1, S2, S3, S7; tpm T1-T4, T7,
            T8, T14; android-key K1-K3, K6, K13. `check` is `None` only for the internal-error
            fallback (a bug: an unexpected exception, kept as `__cause__`).
        UnsupportedFormatError: `unsupported-format`, D5: `fmt` not implemented or not in
            `formats` (case-sensitive).
        UntrustedChainError: `untrusted-chain`, A3, S4, T5, K4 or K5 (status list), with `rule`
            set to the failed path rule `"P1"` ... `"P10"` (not for K5).
        ChallengeMismatchError: `challenge-mismatch`, A6 (Apple freshness code absent or not
            SHA-256(token)), T10 (TPM extraData not SHA-256(key_authorization)) or K11
            (Android attestationChallenge not the key authorization).
        BadSignatureError: `bad-signature`, S6 (step signature over the key authorization) or
            T9 (AK signature over certInfo) or K12 (Android `sig`).
        KeyMismatchError: `key-mismatch`, T12: the TPM certified name is not that of `pubArea`.
        PolicyError: `policy`, A4 (Apple leaf), S5 (step leaf key, ROCA, firmware), T2 (RS1
            with `tpm_allow_rs1=False`), T6 (AK certificate profile), T9 (SHA-1 refused by the
            crypto backend), T11 (nameAlg), T13 (attested-key attributes, size or curve),
            K6-K10 (Android KeyDescription placement, leaf key, security level, key origin and
            purpose, boot state).
        IdentifierMismatchError: `identifier-mismatch`, D7: `identifier` is not among the
            attested identifiers (of `identifier_type`, if given).
    """
    with public_boundary():
        check_statement(statement)
        ka = check_key_authorization(key_authorization)
        instant = check_now(now)
        enabled = _enabled_formats(formats)
        given_roots = check_roots(roots, enabled, FORMATS)
        extra = None if intermediates is None else check_certificates(intermediates, "intermediates")
        identifier, identifier_type = check_identifier(identifier, identifier_type)
        options = MappingProxyType(
            {
                "apple_require_nonce": check_flag("apple_require_nonce", apple_require_nonce),
                "step_allow_legacy_f9": check_flag("step_allow_legacy_f9", step_allow_legacy_f9),
                "tpm_allow_rs1": check_flag("tpm_allow_rs1", tpm_allow_rs1),
                "tpm_allow_sha1_chain": check_flag("tpm_allow_sha1_chain", tpm_allow_sha1_chain),
                "android_allow_unverified_boot": check_flag(
                    "android_allow_unverified_boot", android_allow_unverified_boot
                ),
                "android_status": _android_status(android_status, enabled),
            }
        )

        top, fmt = cbor.decode_attestation_object(statement)
        if fmt not in _REGISTRY or fmt not in enabled:
            raise UnsupportedFormatError(
                f"format {shown(fmt, 40)} is not supported or not enabled (enabled: {', '.join(enabled)})",
                check="D5",
            )
    with public_boundary(fmt):
        att_stmt = top.get("attStmt")
        if not isinstance(att_stmt, Mapping):
            raise MalformedError("the attestation object needs a map 'attStmt'", check="D6")
        if not all(isinstance(k, str) for k in att_stmt):
            raise MalformedError("attStmt keys must be text strings", check="D6")

        trust = resolve_trust(fmt, given_roots.get(fmt), extra, instant)
        ctx = Context(
            key_authorization=ka,
            now=trust.now,
            anchors=trust.anchors,
            intermediates=trust.intermediates,
            options=options,
        )
        identity = _REGISTRY[fmt](att_stmt, ctx)

        # SPEC v2 §2.1: T = identifier_type or permanent-identifier (a hardware-module value never
        # satisfies a permanent-identifier order).
        if identifier is not None and not identity.matches(
            identifier, identifier_type or PERMANENT_IDENTIFIER
        ):
            raise IdentifierMismatchError(
                f"identifier {shown(identifier)} is not among the {len(identity.identifiers)} "
                "attested identifier(s)",
                check="D7",
                identifier_type=identifier_type or PERMANENT_IDENTIFIER,
                identifier_value=identifier,
            )
        return identity
