"""The one error family of attestverify.

Every failure of every public function is an [`AttestationError`][attestverify.AttestationError]
(or a subclass). Callers branch on the stable `code` (one subclass per code) and may log `check`,
the id of the check that failed (for example `"T10"`; every id, with the code it raises, is in
`attestverify.checks.CHECKS` and on the check reference page). `message` is for humans and not
API-stable.

This module imports nothing else of the package, so every other module can use it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

__all__ = [
    "AttestationError",
    "BadSignatureError",
    "ChallengeMismatchError",
    "IdentifierMismatchError",
    "KeyMismatchError",
    "MalformedError",
    "PolicyError",
    "UnsupportedFormatError",
    "UntrustedChainError",
    "UsageError",
    "internal_error",
    "public_boundary",
]

_MAX_MESSAGE = 300
_ACME = "urn:ietf:params:acme:error:"


def _cap(message: str) -> str:
    # Messages may quote attacker-controlled input; keep them bounded and printable on one line.
    message = " ".join(message.split())
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return message


def quote(raw: bytes | str, limit: int = 64) -> str:
    """Render at most `limit` bytes of untrusted input for an error message."""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else bytes(raw)
    shown = data[:limit].hex()
    return shown + ("..." if len(data) > limit else "")


def shown(text: str, limit: int = 64) -> str:
    """`repr()` of at most `limit` UTF-8 bytes of `text`, for error messages."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return repr(text)
    return repr(data[:limit].decode("utf-8", "ignore")) + "..."


class AttestationError(Exception):
    """Base class of every error raised by attestverify.

    Attributes:
        code: stable machine-readable code (`"malformed"`, `"untrusted-chain"`, ...).
        check: the id of the check that failed (`"D3"`, `"A6"`, `"T10"`, ...), or `None`.
        rule: for path validation failures, the profile rule (`"P1"` ... `"P10"`), else `None`.
        format: the attestation format being verified, or `None` before dispatch.
        message: a human-readable explanation (at most 300 characters on one line; not
            API-stable). `str(err)` is `"<code>: <message>"`.
    """

    code: ClassVar[str] = "malformed"

    def __init__(
        self,
        message: str,
        *,
        check: str | None = None,
        rule: str | None = None,
        format: str | None = None,  # noqa: A002 - the SPEC attribute name
    ) -> None:
        self.message = _cap(message)
        self.check = check
        self.rule = rule
        self.format = format
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, check={self.check!r}, format={self.format!r})"

    def acme_problem(self) -> dict[str, Any]:
        """Return this failure as an ACME problem document (RFC 8555 §6.7).

        `verify_csr` failures (checks `C1`...`C9`) are `badCSR`; everything else is
        `badAttestationStatement`. An `identifier-mismatch` adds one `rejectedIdentifier` subproblem.

        Returns:
            A new dict `{"type": "urn:ietf:params:acme:error:<kind>", "detail": message}`;
            for `IdentifierMismatchError` also `"subproblems": [{"type": "...:rejectedIdentifier",
            "detail": message, "identifier": {"type": ..., "value": ...}}]` (the `identifier`
            member only when the rejected value is known). Add `"status"` (400 or 403) yourself.
        """
        kind = "badCSR" if (self.check or "").startswith("C") else "badAttestationStatement"
        problem: dict[str, Any] = {"type": _ACME + kind, "detail": self.message}
        return problem


class MalformedError(AttestationError):
    """Undecodable input: bad base64url or CBOR, missing or wrongly typed fields, bad X.509 or TPM data.

    Code `malformed`; the checks raising it are the `malformed` rows of `attestverify.checks.CHECKS`
    (decoding D2-D6, the format structure checks, CSR, identifier, payload and record syntax).
    `check` is `None` only when the API boundary wrapped an unexpected exception (a bug; the
    original is `__cause__`).
    """

    code: ClassVar[str] = "malformed"


class UsageError(MalformedError):
    """The caller's arguments are invalid (naive `now`, a bare token, bad `roots`, ...): check D1.

    Code `malformed` (it subclasses `MalformedError`), but it reports a bug or misconfiguration of
    the calling server, not a bad device: catch it before `AttestationError` and do not turn it
    into an ACME problem for the client.
    """


class UnsupportedFormatError(AttestationError):
    """`fmt` is not implemented, or not enabled by `formats=` (case-sensitive).

    Code `unsupported-format`, check D5 (see `attestverify.checks.CHECKS`).
    """

    code: ClassVar[str] = "unsupported-format"


class UntrustedChainError(AttestationError):
    """The certificate chain does not validate to the format's trust anchors at `now`.

    Code `untrusted-chain`: the path validation check of each format; `rule` names the path rule
    (`"P1"` ... `"P10"`). See `attestverify.checks.CHECKS`.
    """

    code: ClassVar[str] = "untrusted-chain"


class ChallengeMismatchError(AttestationError):
    """The statement is not bound to this key authorization (nonce or extraData differ).

    Code `challenge-mismatch`; the checks are in `attestverify.checks.CHECKS`.
    """

    code: ClassVar[str] = "challenge-mismatch"


class BadSignatureError(AttestationError):
    """A signature carried in the statement (or the CSR self-signature) does not verify.

    Code `bad-signature`; the checks are in `attestverify.checks.CHECKS`.
    """

    code: ClassVar[str] = "bad-signature"


class KeyMismatchError(AttestationError):
    """Two keys that must be the same are not (TPM certified name, CSR key vs attested key).

    Code `key-mismatch`; the checks are in `attestverify.checks.CHECKS`.
    """

    code: ClassVar[str] = "key-mismatch"


class PolicyError(AttestationError):
    """A profile rule fails: AK certificate profile, key attributes, weak key size or curve, ...

    Code `policy`; the checks are in `attestverify.checks.CHECKS`.
    """

    code: ClassVar[str] = "policy"


class IdentifierMismatchError(AttestationError):
    """The requested ACME identifier is not among the attested ones (or not allowed in the CSR).

    Code `identifier-mismatch`: D7 (`verify`) or the `verify_csr` identifier checks (see
    `attestverify.checks.CHECKS`).

    Attributes:
        identifier_type: the ACME identifier type that was rejected, when known.
        identifier_value: the ACME identifier value that was rejected, when known.
    """

    code: ClassVar[str] = "identifier-mismatch"

    def __init__(
        self,
        message: str,
        *,
        check: str | None = None,
        format: str | None = None,  # noqa: A002
        identifier_type: str | None = None,
        identifier_value: str | None = None,
    ) -> None:
        super().__init__(message, check=check, format=format)
        self.identifier_type = identifier_type
        self.identifier_value = identifier_value

    def acme_problem(self) -> dict[str, Any]:
        problem = super().acme_problem()
        sub: dict[str, Any] = {"type": _ACME + "rejectedIdentifier", "detail": self.message}
        if self.identifier_value is not None:
            sub["identifier"] = {
                "type": self.identifier_type or "permanent-identifier",
                "value": self.identifier_value,
            }
        problem["subproblems"] = [sub]
        return problem


@contextlib.contextmanager
def public_boundary(
    fmt: str | None = None,
    *,
    wrap: Callable[[BaseException, str | None], AttestationError] | None = None,
) -> Iterator[None]:
    """The error contract of every public entry point: our errors pass (tagged with `fmt` when
    they carry no format yet); anything else becomes `malformed` via `internal_error` (or `wrap`,
    for an entry point whose SPEC check covers foreign failures, such as J1)."""
    try:
        yield
    except AttestationError as err:
        if err.format is None:
            err.format = fmt
        raise
    except Exception as exc:  # the API promises AttestationError only
        raise (wrap or internal_error)(exc, fmt) from exc


def internal_error(exc: BaseException, fmt: str | None = None) -> MalformedError:
    """Wrap an unexpected exception at the API boundary (a bug if it is ever reached)."""
    err = MalformedError(f"unexpected {type(exc).__name__} while decoding the input", format=fmt)
    err.__cause__ = exc
    return err
