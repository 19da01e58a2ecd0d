"""`verify()`: caller argument checks (D1), decoding (D2-D4), dispatch (D5-D6) and D7.

This module holds no format logic. The registry below maps each exact `fmt` string to the module
that verifies it; adding a format is one module plus one entry here.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Protocol, Union, cast

from cryptography import x509

from . import cbor
from .context import Context
from .errors import (
    AttestationError,
    IdentifierMismatchError,
    MalformedError,
    UnsupportedFormatError,
    UsageError,
    shown,
)
from .identity import HARDWARE_MODULE, PERMANENT_IDENTIFIER, DeviceIdentity
from .roots import bundled, bundled_intermediates

__all__ = ["FORMATS", "verify"]


class FormatVerifier(Protocol):
    """What a format module exports: `verify_statement(att_stmt, ctx) -> DeviceIdentity`."""

    def __call__(self, att_stmt: Mapping[object, object], ctx: Context) -> DeviceIdentity: ...


# fmt (exact, case-sensitive) -> module exporting `verify_statement`. Imported on first use because
# the format modules import this one (argument checks); `import attestverify` still loads them all,
# through `inspection`.
_REGISTRY: dict[str, str] = {
    "apple": "attestverify.apple",
    "step": "attestverify.step",
    "tpm": "attestverify.tpm",
}

FORMATS: tuple[str, ...] = tuple(_REGISTRY)
"""The implemented formats, in their default order."""

_KEY_AUTHORIZATION = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}", re.ASCII)
_MAX_KEY_AUTHORIZATION = 4096
_MAX_CERTIFICATES = 256  # per `roots` format or `intermediates`: a bound, not a real-world need

Roots = Union[Iterable[x509.Certificate], Mapping[str, Iterable[x509.Certificate]], None]  # noqa: UP007 - runtime alias on 3.10


def _verifier(fmt: str) -> FormatVerifier:
    module = importlib.import_module(_REGISTRY[fmt])
    return cast(FormatVerifier, module.verify_statement)


def check_key_authorization(key_authorization: object) -> str:
    """D1: `key_authorization` as `str`, syntax `token.thumbprint` (RFC 8555 §8.1)."""
    if isinstance(key_authorization, (bytes, bytearray)):
        if len(key_authorization) > _MAX_KEY_AUTHORIZATION:
            raise UsageError("key_authorization is too long", check="D1")
        try:
            key_authorization = bytes(key_authorization).decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError("key_authorization is not UTF-8", check="D1") from None
    if not isinstance(key_authorization, str):
        raise UsageError("key_authorization must be str or bytes", check="D1")
    if len(key_authorization) > _MAX_KEY_AUTHORIZATION:
        raise UsageError("key_authorization is too long", check="D1")
    if not _KEY_AUTHORIZATION.fullmatch(key_authorization):
        raise UsageError(
            "key_authorization must be 'token.thumbprint' (base64url token, '.', 43-character "
            "base64url SHA-256 JWK thumbprint); a bare token would drop the account binding",
            check="D1",
        )
    return key_authorization


def check_now(now: object) -> datetime:
    """D1: `now` as a tz-aware datetime; `None` is the current time."""
    if now is None:
        return datetime.now(timezone.utc)
    if not isinstance(now, datetime):
        raise UsageError("now must be a datetime", check="D1")
    if now.tzinfo is None or now.utcoffset() is None:
        raise UsageError("now must be timezone-aware (a naive datetime is ambiguous)", check="D1")
    try:
        return now.astimezone(timezone.utc)
    except OverflowError:  # SPEC v2 D1: near datetime.max/min the UTC instant does not exist
        raise UsageError("now cannot be converted to UTC (out of range)", check="D1") from None


def check_certificates(value: object, what: str) -> tuple[x509.Certificate, ...]:
    """D1: an iterable of `x509.Certificate` (bounded)."""
    if isinstance(value, (str, bytes, bytearray, memoryview, x509.Certificate)) or not isinstance(
        value, Iterable
    ):
        raise UsageError(f"{what} must be an iterable of x509.Certificate", check="D1")
    items = tuple(itertools.islice(value, _MAX_CERTIFICATES + 1))
    if len(items) > _MAX_CERTIFICATES:
        raise UsageError(f"{what} holds more than {_MAX_CERTIFICATES} certificates", check="D1")
    for item in items:
        if not isinstance(item, x509.Certificate):
            raise UsageError(f"{what} must hold only x509.Certificate objects", check="D1")
    return items


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False", check="D1")
    return value


def _enabled_formats(formats: object) -> tuple[str, ...]:
    if formats is None:
        return FORMATS
    if isinstance(formats, str):
        formats = (formats,)
    if isinstance(formats, (bytes, bytearray, memoryview, Mapping)) or not isinstance(formats, Iterable):
        raise UsageError("formats must be a format name or an iterable of names", check="D1")
    names = tuple(itertools.islice(formats, 65))
    if len(names) > 64 or not all(isinstance(n, str) for n in names):
        raise UsageError("formats must hold at most 64 format names (str)", check="D1")
    # Unimplemented names are ignored (SPEC §2.1): a server may list formats of a newer version.
    return tuple(f for f in FORMATS if f in names)


def _resolve_roots(roots: object, enabled: tuple[str, ...]) -> dict[str, tuple[x509.Certificate, ...]]:
    if roots is None:
        return {}
    if isinstance(roots, Mapping):
        resolved: dict[str, tuple[x509.Certificate, ...]] = {}
        for key in itertools.islice(roots, len(_REGISTRY) + 1):
            if not isinstance(key, str) or key not in _REGISTRY:
                raise UsageError(
                    f"roots keys must be implemented format names {FORMATS}, found {key!r:.40}",
                    check="D1",
                )
            resolved[key] = check_certificates(roots[key], f"roots[{key!r}]")
        if len(roots) > len(resolved):
            raise UsageError("roots has keys that are not format names", check="D1")
        return resolved
    if len(enabled) != 1:
        raise UsageError(
            "a plain iterable of roots is accepted only with exactly one enabled format "
            "(pass formats=('tpm',), say, or a mapping {format: roots}): one anchor set for "
            "several formats lets each inherit the weakest issuer of any",
            check="D1",
        )
    return {enabled[0]: check_certificates(roots, "roots")}


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
            unimplemented names are ignored. `None` accepts `apple`, `step` and `tpm`.
        identifier_type: the ACME type of `identifier` (`"permanent-identifier"` or
            `"hardware-module"`); `None` means `"permanent-identifier"`, so a hardware-module
            identifier matches only with `identifier_type="hardware-module"` (SPEC v2 §2.1).
        intermediates: extra untrusted certificates for path building (any format), never
            anchors. `None` adds, for `step` with bundled roots, the bundled Yubico 5.7.4+
            intermediates; a given iterable replaces them.
        apple_require_nonce: `False` accepts an `apple` statement without freshness code
            (recorded as relaxation `"apple-nonce-absent"`).
        step_allow_legacy_f9: accept the pinned YubiKey F9 intermediate without
            basicConstraints (relaxation `"yubikey-legacy-f9"`).
        tpm_allow_rs1: accept `alg` -65535 (RS1, SHA-1) for the TPM AK signature; the
            challenge binding stays SHA-256. `False` makes RS1 a `PolicyError` (T2).
        tpm_allow_sha1_chain: accept SHA-1 certificate signatures on the TPM AK path
            (relaxation `"tpm-sha1-chain"`).

    Returns:
        The verified `DeviceIdentity`. `identity.relaxations` names every relaxation the
        verification needed (`"apple-nonce-absent"`, `"yubikey-legacy-f9"`, `"tpm-sha1-chain"`,
        `"rsa-sig-params-absent"`, `"tpm-bare-rsa-signature"`).

    Raises:
        UsageError: `malformed`, check D1: invalid caller arguments (a `key_authorization` that
            is not `token.thumbprint` or over 4 096 characters, a naive `now`, `roots` keys that
            are not format names, a plain `roots` iterable with several formats enabled,
            non-certificate items or more than 256 of them, a non-`str` `identifier`, an unknown
            `identifier_type`, a non-`bool` option flag). A bug or misconfiguration of the
            caller, not of the device.
        MalformedError: `malformed`: D2 (input type or size), D3 (CBOR), D4 (no map or no
            text `fmt`), D6 (`attStmt`); apple A1, A2, A5; step S1, S2, S3, S7; tpm T1-T4, T7,
            T8, T14. `check` is `None` only for the internal-error fallback (a bug: an
            unexpected exception, kept as `__cause__`).
        UnsupportedFormatError: `unsupported-format`, D5: `fmt` not implemented or not in
            `formats` (case-sensitive).
        UntrustedChainError: `untrusted-chain`, A3, S4 or T5, with `rule` set to the failed
            path rule `"P1"` ... `"P10"`.
        ChallengeMismatchError: `challenge-mismatch`, A6 (Apple freshness code absent or not
            SHA-256(token)) or T10 (TPM extraData not SHA-256(key_authorization)).
        BadSignatureError: `bad-signature`, S6 (step signature over the key authorization) or
            T9 (AK signature over certInfo).
        KeyMismatchError: `key-mismatch`, T12: the TPM certified name is not that of `pubArea`.
        PolicyError: `policy`, A4 (Apple leaf), S5 (step leaf key, ROCA, firmware), T2 (RS1
            with `tpm_allow_rs1=False`), T6 (AK certificate profile), T9 (SHA-1 refused by the
            crypto backend), T11 (nameAlg), T13 (attested-key attributes, size or curve).
        IdentifierMismatchError: `identifier-mismatch`, D7: `identifier` is not among the
            attested identifiers (of `identifier_type`, if given).
    """
    fmt: str | None = None
    try:
        ka = check_key_authorization(key_authorization)
        instant = check_now(now)
        enabled = _enabled_formats(formats)
        given_roots = _resolve_roots(roots, enabled)
        extra = None if intermediates is None else check_certificates(intermediates, "intermediates")
        if identifier is not None and not isinstance(identifier, str):
            raise UsageError("identifier must be a str", check="D1")
        # `in` alone would let any object whose __eq__ says True through.
        if identifier_type is not None and not (
            isinstance(identifier_type, str) and identifier_type in (PERMANENT_IDENTIFIER, HARDWARE_MODULE)
        ):
            raise UsageError(
                f"identifier_type must be None, {PERMANENT_IDENTIFIER!r} or {HARDWARE_MODULE!r}",
                check="D1",
            )
        flags = {
            "apple_require_nonce": _check_flag("apple_require_nonce", apple_require_nonce),
            "step_allow_legacy_f9": _check_flag("step_allow_legacy_f9", step_allow_legacy_f9),
            "tpm_allow_rs1": _check_flag("tpm_allow_rs1", tpm_allow_rs1),
            "tpm_allow_sha1_chain": _check_flag("tpm_allow_sha1_chain", tpm_allow_sha1_chain),
        }

        top, raw_fmt = cbor.decode_attestation_object(statement)
        if raw_fmt not in _REGISTRY or raw_fmt not in enabled:
            raise UnsupportedFormatError(
                f"format {shown(raw_fmt, 40)} is not supported or not enabled "
                f"(enabled: {', '.join(enabled)})",
                check="D5",
            )
        fmt = raw_fmt
        att_stmt = top.get("attStmt")
        if not isinstance(att_stmt, Mapping):
            raise MalformedError("the attestation object needs a map 'attStmt'", check="D6")
        if not all(isinstance(k, str) for k in att_stmt):
            raise MalformedError("attStmt keys must be text strings", check="D6")

        if fmt in given_roots:
            anchors = given_roots[fmt]
            candidates = extra or ()
        else:
            anchors = bundled(fmt)
            candidates = bundled_intermediates(fmt) if extra is None else extra
        ctx = Context(key_authorization=ka, now=instant, anchors=anchors, intermediates=candidates, **flags)
        identity = _verifier(fmt)(att_stmt, ctx)

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
    except AttestationError as err:
        if err.format is None:
            err.format = fmt
        raise
    except Exception as exc:
        raise internal_error(exc, fmt) from exc


@contextlib.contextmanager
def public_boundary(fmt: str | None = None) -> Iterator[None]:
    """The error contract of every public entry point: our errors pass (tagged with `fmt` when
    they carry no format yet); anything else becomes `malformed` via `internal_error`."""
    try:
        yield
    except AttestationError as err:
        if err.format is None:
            err.format = fmt
        raise
    except Exception as exc:  # the API promises AttestationError only
        raise internal_error(exc, fmt) from exc


def internal_error(exc: BaseException, fmt: str | None = None) -> MalformedError:
    """Wrap an unexpected exception at the API boundary (a bug if it is ever reached)."""
    err = MalformedError(f"unexpected {type(exc).__name__} while decoding the input", format=fmt)
    err.__cause__ = exc
    return err
