"""A public, **test-only** kit: throwaway PKIs, attestation statements and CSRs for every format.

What `cryptography` users get from its test vectors: an ACME server's own integration tests can
produce device-attest-01 statements against a live clock (`now` defaults to the current time;
every certificate is valid from one day before `now` to 30 days after), with the roots to pass
as `roots=` and the device key to sign the finalize CSR.

Nothing here is ever trusted by default: the roots are fresh self-signed certificates made for
one statement, never bundled, and `verify()` accepts them only when passed explicitly.

    >>> from attestverify import testing, verify, verify_csr
    >>> st = testing.make_statement("step", key_authorization)
    >>> identity = verify(st.cbor, st.key_authorization, roots=st.roots, now=st.now)
    >>> verify_csr(identity, testing.make_csr(st.device_key, st.identifier), identifier=st.identifier)

Formats: `apple`, `step`, `tpm`, `android-key` (`BUILDERS`; `register` adds more). An
`android-key` statement needs an explicit `android_status` in `verify()`; `TestStatement.verify`
passes `android.STATUS_UNCHECKED`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import UsageError
from .csr import make_csr
from .formats import BUILDERS, Builder
from .pki import new_key
from .statement import Expected, TestStatement

__all__ = ["BUILDERS", "Expected", "TestStatement", "make_csr", "make_statement", "new_key", "register"]


def register(fmt: str, builder: Builder) -> None:
    """Add (or replace) the statement builder of `fmt` (the extension point for new formats).

    A builder is called as `builder(key_authorization, identifier=..., now=..., **variations)`
    and returns a `TestStatement`.
    """
    BUILDERS[fmt] = builder


def make_statement(
    fmt: str,
    key_authorization: str,
    *,
    identifier: str | None = None,
    now: dt.datetime | None = None,
    **variations: Any,
) -> TestStatement:
    """Make a statement of format `fmt` bound to `key_authorization`, from a fresh test PKI.

    Args:
        fmt: `"apple"`, `"step"`, `"tpm"` or `"android-key"` (see `BUILDERS`).
        key_authorization: the ACME key authorization (`token.thumbprint`).
        identifier: the identifier the device attests: apple serial number, step YubiKey serial
            (decimal) or step-managed device id, tpm PermanentIdentifier (`value[/assigner]`) or,
            with `identifier_type="hardware-module"`, HardwareModuleName (`serial/hwType`),
            android-key attestationIdSerial.
            Default: a random one.
        now: a tz-aware instant the PKI is valid around; default: the current time.
        **variations: the builder's keywords, e.g. `key_kind="rsa2048"`, `device_key=...`,
            `nonce=b"..."` (apple), `signed_message=b"..."` (step), `extra_data=b"..."` (tpm).

    Returns:
        A `TestStatement`.

    Raises:
        UsageError: an unknown format or a naive `now`.
    """
    builder = BUILDERS.get(fmt)
    if builder is None:
        raise UsageError(f"no test statement builder for format {fmt!r} (have {', '.join(sorted(BUILDERS))})")
    if now is None:
        now = dt.datetime.now(dt.timezone.utc)
    elif now.tzinfo is None:
        raise UsageError("now must be timezone-aware")
    return builder(key_authorization, identifier=identifier, now=now, **variations)
