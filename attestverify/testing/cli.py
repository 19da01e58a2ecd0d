"""`attestverify testing make FMT --key-authorization KA [--identifier ID] [--out DIR]`.

Writes `payload.json` (the device-attest-01 response `{"attObj": ...}`) and `roots.pem` (the
throwaway root to pass as `--roots FMT=roots.pem`) for CLI trials; TEST MATERIAL ONLY. Hooked
into the main command line by `attestverify.cli`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
from typing import Any

from ..errors import AttestationError, UsageError
from . import BUILDERS, make_statement

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """Add the `testing` command (with its `make` subcommand) to the main parser's subcommands."""
    testing = commands.add_parser("testing", help="test-only helpers (statements from a throwaway PKI)")
    sub = testing.add_subparsers(dest="testing_command", required=True, parser_class=type(testing))
    make = sub.add_parser("make", help="write payload.json and roots.pem for a generated TEST statement")
    make.add_argument("format", metavar="FMT", choices=sorted(BUILDERS), help="attestation format")
    make.add_argument("--key-authorization", required=True, metavar="KA", help="RFC 8555 token.thumbprint")
    make.add_argument("--identifier", metavar="ID", help="identifier the device attests (default: random)")
    make.add_argument(
        "--identifier-type", metavar="TYPE", default="permanent-identifier",
        choices=("permanent-identifier", "hardware-module"), help="tpm only: SAN type of the identifier",
    )  # fmt: skip
    make.add_argument("--out", metavar="DIR", default=".", help="output directory (default: .)")


def run(args: argparse.Namespace) -> tuple[int, str]:
    """Make the statement and write its files; returns (exit status, message for stdout).

    Raises:
        UsageError: a bad key authorization, identifier or output directory.
    """
    variations: dict[str, Any] = {}
    if args.identifier_type != "permanent-identifier":
        if args.format != "tpm":
            raise UsageError("--identifier-type hardware-module needs the tpm format")
        variations["identifier_type"] = args.identifier_type
    try:
        statement = make_statement(
            args.format, args.key_authorization, identifier=args.identifier, **variations
        )
        # Verifying what we write checks the key authorization's syntax (D1) and the identifier.
        statement.verify()
    except AttestationError as err:
        raise UsageError(f"{err.code} ({err.check or '-'}): {err.message}") from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    out = pathlib.Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "payload.json").write_text(json.dumps(statement.payload) + "\n", encoding="utf-8")
        (out / "roots.pem").write_bytes(statement.roots_pem())
    except OSError as err:
        raise UsageError(f"cannot write to {args.out}: {err.strerror}") from None
    message = (
        f"TEST statement ({args.format}) for identifier {statement.identifier!r}: "
        f"{out / 'payload.json'}, root {out / 'roots.pem'}\n"
        f"try: attestverify verify {out / 'payload.json'} --key-authorization KA "
        f"--roots {args.format}={out / 'roots.pem'} --identifier {statement.identifier}"
    )
    return 0, message
