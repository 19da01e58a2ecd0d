"""The `attestverify` command line (SPEC §2.7); the only module of the package that prints.

```
attestverify verify FILE --key-authorization KA [--roots [FMT=]PEM]... [--intermediates PEM]...
                    [--identifier ID] [--identifier-type TYPE] [--now ISO] [--formats LIST]
                    [--allow-missing-apple-nonce] [--allow-sha1-tpm-chain] [--json]
attestverify inspect FILE [--json]
```

Exit status: 0 verified (or decoded, for `inspect`), 1 verification failed (any
`AttestationError` except `UsageError`), 2 usage error (bad arguments, unreadable file, bad PEM
or `--now`, `UsageError`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, NoReturn

from cryptography import x509

from .api import FORMATS, verify
from .errors import AttestationError, UsageError
from .identity import DeviceIdentity
from .inspection import inspect, jsonable
from .payload import parse_challenge_payload

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

MAX_FILE_BYTES = 4 << 20
"""Largest FILE read; a payload is at most 1 MiB, a CBOR statement 64 KiB."""

_BASE64URL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_WHITESPACE = b" \t\r\n"
_FILE_HELP = "attObj as raw CBOR, base64url or ACME payload JSON; - reads stdin"
_UNVERIFIED = "UNVERIFIED: decoded without checking any chain, signature or challenge binding"


class _Usage(Exception):
    """A command-line usage problem: exit 2 with the message on stderr."""


class _Parser(argparse.ArgumentParser):
    # argparse exits on its own; raising keeps `main()` a function that returns its status.
    def error(self, message: str) -> NoReturn:
        raise _Usage(f"{self.format_usage().rstrip()}\n{self.prog}: error: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="attestverify", description="Verify ACME device-attest-01 attestation statements.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ver = commands.add_parser("verify", help="verify a statement (exit 0 verified, 1 failed, 2 usage)")
    ver.add_argument("file", metavar="FILE", help=_FILE_HELP)
    ver.add_argument("--key-authorization", required=True, metavar="KA", help="RFC 8555 token.thumbprint")
    ver.add_argument(
        "--roots", action="append", default=[], metavar="[FMT=]PEM",
        help="trust anchors of format FMT (replaces its bundled ones); bare PEM needs one --formats value",
    )  # fmt: skip
    ver.add_argument("--intermediates", action="append", default=[], metavar="PEM", help="untrusted CAs")
    ver.add_argument("--identifier", metavar="ID", help="the ACME order identifier value to match")
    ver.add_argument(
        "--identifier-type", metavar="TYPE", choices=("permanent-identifier", "hardware-module"),
        help="ACME type of --identifier (default permanent-identifier; hardware-module needs this option)",
    )  # fmt: skip
    ver.add_argument("--now", metavar="ISO", help="verification time, ISO 8601 (Z accepted; naive = UTC)")
    ver.add_argument(
        "--formats",
        metavar="LIST",
        help=f"formats to accept, comma-separated (default {','.join(FORMATS)})",
    )
    ver.add_argument("--allow-missing-apple-nonce", action="store_true", help="accept apple without nonce")
    ver.add_argument("--allow-sha1-tpm-chain", action="store_true", help="accept SHA-1 on the TPM AK path")
    ver.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    ins = commands.add_parser("inspect", help="decode a statement WITHOUT verifying it")
    ins.add_argument("file", metavar="FILE", help=_FILE_HELP)
    ins.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _read(path: str, what: str) -> bytes:
    try:
        if path == "-":
            stream: Any = getattr(sys.stdin, "buffer", sys.stdin)
            if stream is None:  # started with stdin closed (`<&-`)
                raise _Usage(f"cannot read {what} '-': standard input is closed")
            data = stream.read(MAX_FILE_BYTES + 1)
            if isinstance(data, str):
                data = data.encode("utf-8", "surrogateescape")
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Usage(f"cannot read {what} {path!r}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise _Usage(f"{what} {path!r} is larger than {MAX_FILE_BYTES} bytes")
    return bytes(data)


def _statement(data: bytes) -> bytes | str:
    """Content detection of FILE (SPEC §2.7): payload JSON, then base64url, else raw CBOR."""
    stripped = data.lstrip(_WHITESPACE)
    if stripped[:1] == b"{":
        return parse_challenge_payload(data)
    text = data[:-1] if data.endswith(b"\n") else data
    if text and all(byte in _BASE64URL for byte in text):
        return text.decode("ascii")
    return data


def _certificates(path: str, what: str) -> list[x509.Certificate]:
    data = _read(path, what)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise _Usage(f"{what} {path!r} is not a PEM certificate file: {str(exc)[:100]}") from None
    if not certs:
        raise _Usage(f"{what} {path!r} holds no certificate")
    return certs


def _formats(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(part.strip() for part in value.split(","))
    if not all(names):
        raise _Usage(f"--formats {value!r}: empty format name")
    return names


def _roots(
    values: Sequence[str], formats: tuple[str, ...] | None
) -> dict[str, list[x509.Certificate]] | None:
    if not values:
        return None
    roots: dict[str, list[x509.Certificate]] = {}
    for value in values:
        fmt, sep, path = value.partition("=")
        if sep and fmt in FORMATS:
            roots.setdefault(fmt, []).extend(_certificates(path, f"--roots {fmt}="))
            continue
        # A bare PEM: one anchor set shared by several formats would let each inherit the
        # weakest issuer of any, so it needs exactly one --formats value (SPEC §2.1).
        if formats is None or len(formats) != 1:
            raise _Usage(
                f"--roots {value!r}: a bare PEM needs exactly one --formats value; "
                f"otherwise write --roots FMT=PEM with FMT one of {', '.join(FORMATS)}"
            )
        if formats[0] not in FORMATS:
            raise _Usage(f"--formats {formats[0]!r} is not an implemented format ({', '.join(FORMATS)})")
        roots.setdefault(formats[0], []).extend(_certificates(value, "--roots"))
    return roots


def _now(value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise _Usage(f"--now {value!r} is not an ISO 8601 time such as 2026-06-01T12:00:00Z") from None
    # On the command line only, a naive time means UTC (the library refuses naive datetimes).
    return instant.replace(tzinfo=timezone.utc) if instant.tzinfo is None else instant


def _emit(text: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    try:
        print(text, file=stream)
        stream.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): the exit status still tells the result. Point the
        # descriptor at /dev/null so the interpreter's final flush does not fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _identity_json(identity: DeviceIdentity) -> dict[str, Any]:
    details = {"apple": identity.apple, "step": identity.step, "tpm": identity.tpm}.get(identity.format)
    return {
        "ok": True,
        "format": identity.format,
        "fingerprint": identity.fingerprint,
        "identifiers": list(identity.identifiers),
        "acme_identifiers": [{"type": i.type, "value": i.value} for i in identity.acme_identifiers],
        "serial_number": identity.serial_number,
        "udid": identity.udid,
        "permanent_identifiers": jsonable(identity.permanent_identifiers),
        "hardware_module_names": jsonable(identity.hardware_module_names),
        "relaxations": list(identity.relaxations),
        "chain": [_subject(cert) for cert in identity.chain],
        "details": None if details is None else jsonable(details),
    }


def _subject(cert: x509.Certificate) -> str:
    try:
        return cert.subject.rfc4514_string()
    except ValueError:
        return "<undecodable subject>"


def _identity_text(identity: DeviceIdentity) -> str:
    def show(values: Sequence[str]) -> str:
        return ", ".join(_safe(v) for v in values) if values else "(none)"

    lines = [
        "verified: yes",
        f"format: {identity.format}",
        f"fingerprint: {identity.fingerprint}",
        f"identifiers: {show(identity.identifiers)}",
        f"serial_number: {show([identity.serial_number] if identity.serial_number is not None else [])}",
        f"udid: {show([identity.udid] if identity.udid is not None else [])}",
        f"relaxations: {show(identity.relaxations)}",
        f"chain: {show([_subject(c) for c in identity.chain])}",
    ]
    return "\n".join(lines)


def _failure(err: AttestationError, as_json: bool) -> int:
    if as_json:
        body: dict[str, Any] = {"ok": False, "code": err.code, "check": err.check, "message": err.message}
        body.update({"rule": err.rule, "format": err.format})
        _emit(json.dumps(body, indent=2))
    else:
        _emit(f"{err.code} ({err.check or '-'}): {_safe(err.message)}", err=True)
    return EXIT_FAILED


def _verify(args: argparse.Namespace) -> int:
    formats = _formats(args.formats)
    roots = _roots(args.roots, formats)
    intermediates = [c for path in args.intermediates for c in _certificates(path, "--intermediates")]
    now = _now(args.now)
    data = _read(args.file, "FILE")
    try:
        identity = verify(
            _statement(data),
            args.key_authorization,
            roots,
            now=now,
            identifier=args.identifier,
            formats=formats,
            identifier_type=args.identifier_type,
            intermediates=intermediates or None,
            apple_require_nonce=not args.allow_missing_apple_nonce,
            tpm_allow_sha1_chain=args.allow_sha1_tpm_chain,
        )
    except UsageError as err:
        raise _Usage(f"{err.code} ({err.check or '-'}): {_safe(err.message)}") from None
    except AttestationError as err:
        return _failure(err, args.json)
    _emit(json.dumps(_identity_json(identity), indent=2) if args.json else _identity_text(identity))
    return EXIT_OK


def _render(value: Any, indent: int = 0) -> list[str]:
    """The inspect dict as indented text (keys in order, lists as `-` items)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, (Mapping, list)) and item:
                lines.append(f"{pad}{_safe(str(key))}:")
                lines.extend(_render(item, indent + 1))
            else:
                lines.append(f"{pad}{_safe(str(key))}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (Mapping, list)) and item:
                lines.append(f"{pad}-")
                lines.extend(_render(item, indent + 1))
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(value))
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, (Mapping, list)):
        return "{}" if isinstance(value, Mapping) else "[]"
    return json.dumps(value) if not isinstance(value, str) else _safe(value)


def _safe(text: str) -> str:
    """Device-supplied text for a terminal: control, bidi and other non-printables escaped."""
    return text if text.isprintable() else json.dumps(text)[1:-1]


def _inspect(args: argparse.Namespace) -> int:
    data = _read(args.file, "FILE")
    try:
        decoded = inspect(_statement(data))
    except UsageError as err:
        raise _Usage(f"{err.code} ({err.check or '-'}): {_safe(err.message)}") from None
    except AttestationError as err:
        return _failure(err, args.json)
    if args.json:
        _emit(json.dumps(decoded, indent=2))
    else:
        _emit("\n".join([_UNVERIFIED, *_render(decoded)]))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `attestverify` command line.

    Results go to stdout; failures without `--json` and usage errors go to stderr.

    Args:
        argv: the arguments without the program name; `None` reads `sys.argv[1:]`.

    Returns:
        The exit status: 0 verified (or decoded), 1 verification (or, for `inspect`, D2-D4
        decoding) failed, 2 usage error (bad arguments, unreadable FILE or PEM, bad `--now`,
        `UsageError`). `--help` returns 0. Errors are reported through the status, not raised.
    """
    parser = _parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
        if args.command == "verify":
            return _verify(args)
        return _inspect(args)
    except _Usage as exc:
        message = str(exc)
        _emit(message if message.startswith("usage:") else f"attestverify: error: {message}", err=True)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version end here
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
