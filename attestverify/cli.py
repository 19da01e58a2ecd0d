"""The `attestverify` command line, the only module that prints (input: `cli_input`, text: `cli_output`).

```
attestverify verify FILE --key-authorization KA [--roots [FMT=]CERTS]... [--intermediates CERTS]...
                    [--identifier ID] [--identifier-type TYPE] [--now ISO] [--formats LIST]
                    [--allow-missing-apple-nonce] [--allow-sha1-tpm-chain]
                    [--android-status JSON | --android-status-unchecked] [--allow-unverified-boot] [--json]
attestverify chain step|android-key FILE... [--challenge HEX] [--roots CERTS]... [--intermediates CERTS]...
                   [--now ISO] [--android-status JSON] [--allow-unverified-boot] [--json]
attestverify inspect FILE [--json]
attestverify testing make FMT --key-authorization KA [--identifier ID] [--out DIR]
attestverify --version
```

Exit status: 0 verified (or decoded, for `inspect`), 1 rejected (any `AttestationError` except
`UsageError`), 2 usage error (bad arguments, unreadable file, bad certificate file or `--now`,
`UsageError`, an android option without android-key, a bad `--challenge` or status list), 130
interrupted (Ctrl-C). What FILE may hold is decided in `cli_input`, what is printed in
`cli_output` (Android labels: `cli_android`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, NoReturn

from . import __version__, android, step
from .api import DEFAULT_FORMATS, verify
from .cli_input import CliUsage as _Usage
from .cli_input import (
    certificates,
    chain_certificates,
    chain_roots,
    challenge,
    looks_like_hex,
    read,
    roots,
    statement,
    status_list,
)
from .cli_output import identity_json, identity_text, inspect_text, safe, warnings
from .errors import AttestationError, UsageError
from .identity import DeviceIdentity
from .inspection import inspect
from .testing import cli as _testing_cli

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

_FILE_HELP = (
    "the attestation object: ACME payload JSON, base64 or base64url (padded or not, wrapped), "
    "or raw CBOR; - reads stdin"
)
_CERTS_HELP = "PEM (one or many certificates) or DER file"
_UNVERIFIED = "UNVERIFIED: decoded without checking any chain, signature or challenge binding"
_HEX_HINT = "hint: FILE looks like hex, which is not read; convert it to bytes first (see docs/cli.md)"
_STATUS_HELP = (
    "Google's Android attestation status JSON (fetched by you from "
    "https://android.googleapis.com/attestation/status); a listed certificate fails K5"
)
_BOOT_HELP = (
    "android-key: accept SelfSigned/Unverified verified boot or an unlocked bootloader "
    "(relaxation android-unverified-boot)"
)
_ANDROID_OPTIONS = ("android_status", "allow_unverified_boot", "challenge", "android_status_unchecked")


class _Parser(argparse.ArgumentParser):
    # argparse exits on its own; raising keeps `main()` a function that returns its status.
    def error(self, message: str) -> NoReturn:
        raise _Usage(f"{self.format_usage().rstrip()}\n{self.prog}: error: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="attestverify",
        description="Verify ACME device-attest-01 attestation statements.",
        epilog="exit status: 0 verified, 1 rejected, 2 usage error, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"attestverify {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ver = commands.add_parser(
        "verify",
        help="verify a statement (exit 0 verified, 1 rejected, 2 usage error)",
        description="Verify a statement: exit 0 verified, 1 rejected, 2 usage error.",
    )
    ver.add_argument("file", metavar="FILE", help=_FILE_HELP)
    ver.add_argument("--key-authorization", required=True, metavar="KA", help="RFC 8555 token.thumbprint")
    ver.add_argument(
        "--roots", action="append", default=[], metavar="[FMT=]CERTS",
        help=f"trust anchors of format FMT ({_CERTS_HELP}), replacing its bundled ones; "
        "without FMT= needs one --formats value",
    )  # fmt: skip
    ver.add_argument(
        "--intermediates", action="append", default=[], metavar="CERTS", help=f"untrusted CAs ({_CERTS_HELP})"
    )
    ver.add_argument("--identifier", metavar="ID", help="the ACME order identifier value to match")
    ver.add_argument(
        "--identifier-type", metavar="TYPE", choices=("permanent-identifier", "hardware-module"),
        help="ACME type of --identifier (default permanent-identifier; hardware-module needs this option)",
    )  # fmt: skip
    ver.add_argument("--now", metavar="ISO", help="verification time, ISO 8601 (Z accepted; naive = UTC)")
    ver.add_argument(
        "--formats",
        metavar="LIST",
        help=f"formats to accept, comma-separated (default {','.join(DEFAULT_FORMATS)}; "
        f"{android.FORMAT} only when listed)",
    )
    ver.add_argument("--allow-missing-apple-nonce", action="store_true", help="accept apple without nonce")
    ver.add_argument("--allow-sha1-tpm-chain", action="store_true", help="accept SHA-1 on the TPM AK path")
    status = ver.add_mutually_exclusive_group()
    status.add_argument(
        "--android-status", metavar="JSON",
        help=f"{_STATUS_HELP}; android-key needs this or --android-status-unchecked",
    )  # fmt: skip
    status.add_argument(
        "--android-status-unchecked", action="store_true",
        help="android-key: skip the status list on purpose (relaxation android-status-unchecked)",
    )  # fmt: skip
    ver.add_argument("--allow-unverified-boot", action="store_true", help=_BOOT_HELP)
    ver.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    chn = commands.add_parser(
        "chain",
        help="verify a device certificate chain (step or android-key) without a statement",
        description="Verify a device certificate chain: exit 0 verified, 1 rejected, 2 usage error.",
        epilog="A YubiKey (step) or Android (android-key) attestation chain, leaf first, without a "
        "key-authorization signature: it shows which key a device holds, not that it is fresh.",
    )  # fmt: skip
    chn.add_argument(
        "format", metavar="FORMAT", choices=(step.FORMAT, android.FORMAT), help="step, android-key"
    )
    chn.add_argument(
        "files", metavar="FILE", nargs="+",
        help="the chain in order, leaf first: PEM (one or many certificates) or DER; - reads stdin once",
    )  # fmt: skip
    chn.add_argument(
        "--challenge", metavar="HEX",
        help="android-key: the expected attestationChallenge, hex (K11; without it, not compared)",
    )  # fmt: skip
    chn.add_argument(
        "--roots", action="append", default=[], metavar="CERTS", help=f"trust anchors ({_CERTS_HELP})"
    )
    chn.add_argument(
        "--intermediates", action="append", default=[], metavar="CERTS", help=f"untrusted CAs ({_CERTS_HELP})"
    )
    chn.add_argument("--now", metavar="ISO", help="verification time, ISO 8601 (Z accepted; naive = UTC)")
    chn.add_argument("--android-status", metavar="JSON", help=f"{_STATUS_HELP} (without it: not checked)")
    chn.add_argument("--allow-unverified-boot", action="store_true", help=_BOOT_HELP)
    chn.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    ins = commands.add_parser(
        "inspect",
        help="decode a statement WITHOUT verifying it (exit 0 decoded, 1 undecodable, 2 usage error)",
        description="Decode a statement WITHOUT verifying it: exit 0 decoded, 1 undecodable, 2 usage error.",
    )
    ins.add_argument("file", metavar="FILE", help=_FILE_HELP)
    ins.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _testing_cli.add_parser(commands)
    return parser


def _formats(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(part.strip() for part in value.split(","))
    if not all(names):
        raise _Usage(f"--formats {value!r}: empty format name")
    return names


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


def _error_json(err: AttestationError) -> dict[str, Any]:
    return {
        "code": err.code,
        "check": err.check,
        "message": err.message,
        "rule": err.rule,
        "format": err.format,
    }


def _failure(err: AttestationError, as_json: bool, data: bytes) -> int:
    if as_json:
        _emit(json.dumps({"ok": False, **_error_json(err)}, indent=2))
    else:
        _emit(f"{err.code} ({err.check or '-'}): {safe(err.message)}", err=True)
        if err.check in ("D2", "D3") and looks_like_hex(data):
            _emit(_HEX_HINT, err=True)
    return EXIT_FAILED


def _usage(err: UsageError) -> _Usage:
    return _Usage(f"{err.code} ({err.check or '-'}): {safe(err.message)}")


def _option_names(args: argparse.Namespace) -> list[str]:
    """The android-only options given, as written on the command line."""
    return [
        "--" + name.replace("_", "-")
        for name in _ANDROID_OPTIONS
        if getattr(args, name, None) not in (None, False)
    ]


def _android_status(
    args: argparse.Namespace, formats: tuple[str, ...] | None
) -> android.StatusList | android.StatusUnchecked | None:
    """`android_status=` for `verify()`: None unless android-key is enabled, then an explicit choice."""
    given = _option_names(args)
    if formats is None or android.FORMAT not in formats:
        if given:
            raise _Usage(
                f"{', '.join(given)}: android-key is not enabled; it is enabled only when listed "
                "in --formats (e.g. --formats android-key)"
            )
        return None
    if args.android_status is not None:
        return status_list(args.android_status)
    if args.android_status_unchecked:
        return android.STATUS_UNCHECKED
    raise _Usage(
        "--formats android-key needs --android-status FILE (Google's attestation status JSON, "
        "which you fetch and cache) or, to skip the revocation check on purpose, --android-status-unchecked"
    )


def _verify(args: argparse.Namespace) -> int:
    formats = _formats(args.formats)
    android_status = _android_status(args, formats)
    anchors = roots(args.roots, formats)
    intermediates = [c for path in args.intermediates for c in certificates(path, "--intermediates")]
    now = _now(args.now)
    data = read(args.file, "FILE")
    try:
        identity = verify(
            statement(data),
            args.key_authorization,
            anchors,
            now=now,
            identifier=args.identifier,
            formats=formats,
            identifier_type=args.identifier_type,
            intermediates=intermediates or None,
            apple_require_nonce=not args.allow_missing_apple_nonce,
            tpm_allow_sha1_chain=args.allow_sha1_tpm_chain,
            android_status=android_status,
            android_allow_unverified_boot=args.allow_unverified_boot,
        )
    except UsageError as err:
        raise _usage(err) from None
    except AttestationError as err:
        return _failure(err, args.json, data)
    _emit_identity(identity, warnings(identity), args.json)
    return EXIT_OK


def _emit_identity(identity: DeviceIdentity, notes: list[str], as_json: bool) -> None:
    _emit(json.dumps(identity_json(identity, notes), indent=2) if as_json else identity_text(identity, notes))


def _chain(args: argparse.Namespace) -> int:
    given = _option_names(args)
    if args.format == step.FORMAT and given:
        raise _Usage(f"{', '.join(given)}: android-key options; a step chain takes none of them")
    expected = challenge(args.challenge)
    status = None if args.android_status is None else status_list(args.android_status)
    anchors = chain_roots(args.roots, args.format)
    intermediates = [c for path in args.intermediates for c in certificates(path, "--intermediates")]
    now = _now(args.now)
    certs = chain_certificates(args.files)
    try:
        if args.format == step.FORMAT:
            identity = step.verify_chain(certs, roots=anchors, intermediates=intermediates or None, now=now)
        else:
            identity = android.verify_chain(
                certs,
                challenge=expected,
                roots=anchors,
                intermediates=intermediates or None,
                now=now,
                status=status,
                allow_unverified_boot=args.allow_unverified_boot,
            )
    except UsageError as err:
        raise _usage(err) from None
    except AttestationError as err:
        return _failure(err, args.json, b"")
    notes = warnings(identity, chain=True, challenge_checked=expected is not None)
    _emit_identity(identity, notes, args.json)
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    data = read(args.file, "FILE")
    try:
        decoded = inspect(statement(data))
    except UsageError as err:
        raise _usage(err) from None
    except AttestationError as err:
        if not args.json:
            return _failure(err, False, data)
        # One shape for success and failure: ok, verified, error, inspect.
        body = {"ok": False, "verified": False, "error": _error_json(err), "inspect": None}
        _emit(json.dumps(body, indent=2))
        return EXIT_FAILED
    if args.json:
        _emit(json.dumps({"ok": True, "verified": False, "error": None, "inspect": decoded}, indent=2))
    else:
        _emit("\n".join([_UNVERIFIED, *inspect_text(decoded)]))
    return EXIT_OK


def _testing(args: argparse.Namespace) -> int:
    try:
        status, message = _testing_cli.run(args)
    except UsageError as err:
        raise _Usage(safe(err.message)) from None
    _emit(message)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `attestverify` command line.

    Results go to stdout; failures without `--json` and usage errors go to stderr.

    Args:
        argv: the arguments without the program name; `None` reads `sys.argv[1:]`.

    Returns:
        The exit status: 0 verified (or decoded); 1 rejected (or, for `inspect`, not
        decodable, D2-D4); 2 usage error (bad arguments, unreadable FILE or certificate file,
        bad `--now`, `--challenge` or `--android-status` document, android options without
        android-key, `UsageError`); 130 interrupted (Ctrl-C). `--help` and `--version` return
        0; errors are reported through the status, not raised.
    """
    parser = _parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
        if args.command == "verify":
            return _verify(args)
        if args.command == "chain":
            return _chain(args)
        if args.command == "testing":
            return _testing(args)
        return _inspect(args)
    except _Usage as exc:
        message = str(exc)
        _emit(message if message.startswith("usage:") else f"attestverify: error: {message}", err=True)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version end here
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl-C is the user's choice, not a crash: no traceback, the conventional status.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("attestverify: interrupted\n")
        return EXIT_INTERRUPTED
