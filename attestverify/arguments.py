"""Caller argument checks (check D1) shared by `verify()` and every lower-level entry point.

Each function validates one argument and returns it in its concrete form, or raises `UsageError`
(check D1). Format modules, `csr.py` and `api.py` import these; this module imports no format.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from cryptography import x509

from .errors import UsageError
from .identity import HARDWARE_MODULE, PERMANENT_IDENTIFIER
from .roots import bundled, bundled_intermediates
from .trust import Trust

__all__ = [
    "check_certificates",
    "check_flag",
    "check_identifier",
    "check_key_authorization",
    "check_nonces",
    "check_now",
    "check_roots",
    "check_statement",
    "resolve_trust",
]

_KEY_AUTHORIZATION = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}", re.ASCII)
_MAX_KEY_AUTHORIZATION = 4096
_MAX_CERTIFICATES = 256  # per `roots` format or `intermediates`: a bound, not a real-world need


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
    except OverflowError:  # near datetime.max/min the UTC instant does not exist
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


_ONE_NONCE = (bytes, bytearray, memoryview)
_NONCE_COLLECTIONS = (list, tuple, set, frozenset)


def _nonce_bytes(value: bytes | bytearray | memoryview, max_bytes: int) -> bytes:
    data = bytes(value)
    if not 1 <= len(data) <= max_bytes:
        raise UsageError(f"a nonce must hold 1 ... {max_bytes} bytes, found {len(data)}", check="D1")
    return data


def check_nonces(nonce: object, *, max_bytes: int, max_count: int) -> tuple[bytes, ...]:
    """D1: one nonce (`bytes`, `bytearray`, `memoryview`), or a `list`, `tuple`, `set` or
    `frozenset` of 1 ... `max_count` of them; each of 1 ... `max_bytes` bytes. Other iterables
    (generators, `dict`, `str`) are refused, so the caller's intent is never guessed."""
    if isinstance(nonce, _ONE_NONCE):
        return (_nonce_bytes(nonce, max_bytes),)
    if not isinstance(nonce, _NONCE_COLLECTIONS):
        raise UsageError(
            f"nonce must be bytes or a list, tuple, set or frozenset of bytes, not {type(nonce).__name__}",
            check="D1",
        )
    if not 1 <= len(nonce) <= max_count:
        raise UsageError(
            f"a nonce collection must hold 1 ... {max_count} nonces, found {len(nonce)}", check="D1"
        )
    entries: list[bytes] = []
    for entry in nonce:
        if not isinstance(entry, _ONE_NONCE):
            raise UsageError(f"each nonce must be bytes, found {type(entry).__name__}", check="D1")
        entries.append(_nonce_bytes(entry, max_bytes))
    return tuple(entries)


def check_flag(name: str, value: object) -> bool:
    """D1: an option flag is a real `bool` (a truthy string must not relax a check)."""
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False", check="D1")
    return value


def check_identifier(identifier: object, identifier_type: object) -> tuple[str | None, str | None]:
    """D1: `identifier` is `None` or a `str`; `identifier_type` `None` or a known ACME type."""
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
    return identifier, identifier_type


def check_roots(
    roots: object, enabled: tuple[str, ...], known: tuple[str, ...]
) -> dict[str, tuple[x509.Certificate, ...]]:
    """D1: `verify()`'s `roots` as `{format: anchors}` (only the formats it names).

    Args:
        roots: `None`, a mapping `{format: certificates}` or, with exactly one enabled format, a
            plain iterable of certificates.
        enabled: the formats enabled for this call.
        known: every implemented format name (the allowed mapping keys).
    """
    if roots is None:
        return {}
    if isinstance(roots, Mapping):
        resolved: dict[str, tuple[x509.Certificate, ...]] = {}
        for key in itertools.islice(roots, len(known) + 1):
            if not isinstance(key, str) or key not in known:
                raise UsageError(
                    f"roots keys must be implemented format names {known}, found {key!r:.40}",
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


def resolve_trust(
    fmt: str,
    anchors: tuple[x509.Certificate, ...] | None,
    intermediates: tuple[x509.Certificate, ...] | None,
    now: datetime,
) -> Trust:
    """The `Trust` of one verification of `fmt` from checked arguments.

    `anchors=None` means the bundled anchors of `fmt`, and then `intermediates=None` the bundled
    intermediates (only `step` has any); with given anchors `intermediates=None` adds none, so a
    customer CA never has Yubico's intermediates mixed in.
    """
    if anchors is None:
        anchors = bundled(fmt)
        default: tuple[x509.Certificate, ...] = bundled_intermediates(fmt)
    else:
        default = ()
    return Trust(anchors=anchors, intermediates=default if intermediates is None else intermediates, now=now)


def trust_from_arguments(fmt: str, roots: object, intermediates: object, now: datetime) -> Trust:
    """D1 + resolution for the lower-level entry points (`roots`, `intermediates` as given)."""
    anchors = None if roots is None else check_certificates(roots, "roots")
    extra = None if intermediates is None else check_certificates(intermediates, "intermediates")
    return resolve_trust(fmt, anchors, extra, now)


def check_statement(statement: object) -> None:
    """D1: the statement's type (D2 then checks its size and alphabet)."""
    if not isinstance(statement, (bytes, bytearray, memoryview, str, Mapping)):
        raise UsageError(
            f"statement must be bytes, str or a Mapping, not {type(statement).__name__}", check="D1"
        )
