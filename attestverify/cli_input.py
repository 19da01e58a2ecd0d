"""What the command line reads: FILE content detection and certificate files.

The CLI is a convenience layer: it accepts the forms people have at hand (`base64 -w0` output,
padded or wrapped base64, CRLF line ends) and turns them into the strict forms of the library
(the unpadded base64url `str` rule of `verify()` stays as it is). Problems here are usage errors
(exit 2), raised as `CliUsage`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

from cryptography import x509

from . import android
from .android.status import MAX_STATUS_BYTES
from .api import FORMATS
from .certificates import load_certificates
from .errors import UsageError
from .payload import parse_challenge_payload

__all__ = [
    "MAX_FILE_BYTES",
    "CliUsage",
    "certificates",
    "chain_certificates",
    "chain_roots",
    "challenge",
    "looks_like_hex",
    "read",
    "roots",
    "statement",
    "status_list",
]

MAX_FILE_BYTES = 4 << 20
"""Largest FILE read; a payload is at most 1 MiB, a CBOR statement 64 KiB."""

_WHITESPACE = b" \t\r\n\v\f"
_BASE64_ANY = re.compile(rb"[A-Za-z0-9+/_-]*")
_HEX = re.compile(rb"(?:[0-9a-fA-F]{2})+")
_PEM_LABEL = re.compile(rb"-----BEGIN ([^\r\n-]{1,64})-----")
_EXPECTED = (
    "FILE must be an attestation object: raw CBOR, its base64 or base64url, or the ACME "
    'challenge payload JSON {"attObj": ...}'
)
_PEM_KINDS = {
    "CERTIFICATE": "a certificate (give trust anchors with --roots FMT=FILE, other CAs with --intermediates)",
    "CERTIFICATE REQUEST": "a CSR (check it against a verified identity with attestverify.verify_csr)",
    "NEW CERTIFICATE REQUEST": "a CSR (check it against a verified identity with attestverify.verify_csr)",
    "PUBLIC KEY": "a public key",
    "PRIVATE KEY": "a private key",
    "EC PRIVATE KEY": "a private key",
    "RSA PRIVATE KEY": "a private key",
    "ENCRYPTED PRIVATE KEY": "a private key",
}


class CliUsage(Exception):
    """A command-line usage problem: exit 2 with the message on stderr."""


def read(path: str, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `path` (`-` = stdin), at most `limit` (default `MAX_FILE_BYTES`)."""
    try:
        if path == "-":
            stream: Any = getattr(sys.stdin, "buffer", sys.stdin)
            if stream is None:  # started with stdin closed (`<&-`)
                raise CliUsage(f"cannot read {what} '-': standard input is closed")
            data = stream.read(limit + 1)
            if isinstance(data, str):
                data = data.encode("utf-8", "surrogateescape")
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        raise CliUsage(f"cannot read {what} {path!r}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise CliUsage(f"{what} {path!r} is larger than {limit} bytes")
    return bytes(data)


def statement(data: bytes) -> bytes | str:
    """Content detection of FILE, in this order: payload JSON, PEM (refused), base64, raw CBOR.

    Returns the form `verify()` / `inspect()` take: the `attObj` `str` of a payload, an unpadded
    base64url `str`, or the raw bytes.
    """
    stripped = data.lstrip(_WHITESPACE)
    if stripped[:1] == b"{":
        return parse_challenge_payload(data)
    if stripped.startswith(b"-----BEGIN"):
        label = _PEM_LABEL.match(stripped)
        name = label.group(1).decode("ascii", "replace") if label else "?"
        kind = _PEM_KINDS.get(name, f"a PEM block labelled {name!r}")
        raise CliUsage(f"FILE is PEM holding {kind}, not an attestation statement. {_EXPECTED}")
    # base64 or base64url, padded or not, wrapped, any line ends: the library's strict form.
    compact = bytes(b for b in data if b not in _WHITESPACE).rstrip(b"=")
    if compact and _BASE64_ANY.fullmatch(compact):
        return compact.replace(b"+", b"-").replace(b"/", b"_").decode("ascii")
    return data


def looks_like_hex(data: bytes) -> bool:
    """Hex is never guessed (it is also valid base64); this only adds a hint to a failure."""
    return _HEX.fullmatch(bytes(b for b in data if b not in _WHITESPACE)) is not None


def certificates(path: str, what: str) -> list[x509.Certificate]:
    """The certificates of a PEM (one or many) or DER file given to --roots / --intermediates."""
    if path == "-":
        raise CliUsage(f"{what} needs a file; '-' (stdin) is reserved for FILE")
    try:
        return list(load_certificates(path))
    except UsageError as err:
        raise CliUsage(f"{what} {err.message}") from None  # the message names the file


def roots(values: Sequence[str], formats: tuple[str, ...] | None) -> dict[str, list[x509.Certificate]] | None:
    """`--roots [FMT=]FILE` values as the `roots=` mapping of `verify()`."""
    if not values:
        return None
    result: dict[str, list[x509.Certificate]] = {}
    for value in values:
        fmt, sep, path = value.partition("=")
        if sep and fmt in FORMATS:
            result.setdefault(fmt, []).extend(certificates(path, f"--roots {fmt}="))
            continue
        if sep and re.fullmatch(r"[A-Za-z0-9_-]+", fmt) and not _exists(value):
            raise CliUsage(
                f"--roots {value!r}: unknown format {fmt!r} (implemented: {', '.join(FORMATS)}, exact case)"
            )
        # A bare file: one anchor set shared by several formats would let each inherit the
        # weakest issuer of any, so it needs exactly one --formats value.
        if formats is None or len(formats) != 1:
            raise CliUsage(
                f"--roots {value!r}: a file without FMT= needs exactly one --formats value; "
                f"otherwise write --roots FMT=FILE with FMT one of {', '.join(FORMATS)}"
            )
        if formats[0] not in FORMATS:
            raise CliUsage(f"--formats {formats[0]!r} is not an implemented format ({', '.join(FORMATS)})")
        result.setdefault(formats[0], []).extend(certificates(value, "--roots"))
    return result


def chain_certificates(paths: Sequence[str]) -> list[x509.Certificate]:
    """The certificates of the `chain` FILEs, in order (leaf first); `-` (stdin) at most once."""
    if list(paths).count("-") > 1:
        raise CliUsage("FILE '-' (stdin) may be given only once")
    found: list[x509.Certificate] = []
    for path in paths:
        try:
            if path == "-":
                found.extend(load_certificates(read(path, "FILE")))
            else:
                found.extend(load_certificates(path))
        except UsageError as err:
            raise CliUsage(f"FILE {err.message}") from None  # the message names the file
    return found


def chain_roots(values: Sequence[str], fmt: str) -> list[x509.Certificate] | None:
    """`chain --roots FILE` values; `FMT=FILE` is accepted when FMT is the chain's format."""
    if not values:
        return None
    result: list[x509.Certificate] = []
    for value in values:
        prefix, sep, path = value.partition("=")
        if not (sep and prefix in FORMATS and not _exists(value)):
            path = value
        elif prefix != fmt:
            raise CliUsage(f"--roots {value!r}: anchors of {prefix!r} cannot verify a {fmt!r} chain")
        result.extend(certificates(path, "--roots"))
    return result


def challenge(value: str | None) -> bytes | None:
    """`--challenge HEX` as bytes (spaces and colons between bytes allowed)."""
    if value is None:
        return None
    text = re.sub(r"[\s:]", "", value)
    if not text or len(text) % 2 or not _HEX.fullmatch(text.encode("ascii", "replace")):
        raise CliUsage(f"--challenge {value[:80]!r} is not hex bytes (e.g. 6e6f6e6365 for b'nonce')")
    return bytes.fromhex(text)


def status_list(path: str) -> android.StatusList:
    """`--android-status FILE`: Google's attestation status JSON, parsed by `StatusList.from_json`."""
    if path == "-":
        raise CliUsage("--android-status needs a file; '-' (stdin) is reserved for FILE")
    data = read(path, "--android-status", limit=MAX_STATUS_BYTES)
    try:
        return android.StatusList.from_json(data)
    except UsageError as err:
        raise CliUsage(f"--android-status {path!r}: {err.message}") from None


def _exists(path: str) -> bool:
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False
