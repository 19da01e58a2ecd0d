"""`TestStatement`: what `attestverify.testing.make_statement` returns."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..identity import AcmeIdentifier, DeviceIdentity, fingerprint, public_key_der
from .pki import PrivateKey

__all__ = ["Expected", "TestStatement"]


@dataclass(frozen=True)
class Expected:
    """The identity fields `verify()` must return for a `TestStatement`.

    Attributes:
        format: the attestation format.
        fingerprint: step-ca style fingerprint of the device key.
        public_key_der: SubjectPublicKeyInfo DER of the device key.
        acme_identifiers: the typed ACME identifiers the device attests, in `verify()` order.
        serial_number: the attested serial (apple, step), else `None`.
    """

    format: str
    fingerprint: str
    public_key_der: bytes
    acme_identifiers: tuple[AcmeIdentifier, ...]
    serial_number: str | None

    def check(self, identity: DeviceIdentity) -> None:
        """Raise `AssertionError` naming the first field where `identity` differs."""
        for name in ("format", "fingerprint", "public_key_der", "acme_identifiers", "serial_number"):
            got, want = getattr(identity, name), getattr(self, name)
            if got != want:
                raise AssertionError(f"{name}: verify() returned {got!r}, expected {want!r}")


@dataclass(frozen=True)
class TestStatement:
    """A generated attestation statement with everything needed to verify it.

    Attributes:
        fmt: the format.
        key_authorization: the ACME key authorization it is bound to.
        now: the instant it was made for (its certificates are valid one day before to 30 after).
        att_obj: the decoded attestation object `{"fmt": ..., "attStmt": {...}}`.
        roots: `{fmt: (root,)}`, to pass as `roots=` (never bundled, never trusted by default).
        device_key: the private key of the attested device key (to sign a CSR).
        identifier: the ACME identifier value the device attests (for an order).
        identifier_type: its ACME identifier type.
        expected: the identity fields `verify()` must return.
    """

    __test__ = False  # not a pytest test class, despite the name

    fmt: str
    key_authorization: str
    now: dt.datetime
    att_obj: Mapping[str, Any]
    roots: Mapping[str, tuple[x509.Certificate, ...]]
    device_key: PrivateKey
    identifier: str
    identifier_type: str
    expected: Expected
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        obj: Mapping[str, Any],
        key_authorization: str,
        now: dt.datetime,
        *,
        root: x509.Certificate,
        key: PrivateKey,
        identifiers: list[str],
        serial: str | None,
        identifier_type: str = "permanent-identifier",
    ) -> TestStatement:
        """Assemble a statement from a builder's parts (for format builders)."""
        public = key.public_key()
        # apple and step values containing "/" stay out of identifiers (ACME syntax); tpm values are
        # draft-09 identifiers already.
        usable = [v for v in dict.fromkeys(identifiers) if v and (obj["fmt"] == "tpm" or "/" not in v)]
        expected = Expected(
            format=str(obj["fmt"]),
            fingerprint=fingerprint(public),
            public_key_der=public_key_der(public),
            acme_identifiers=tuple(AcmeIdentifier(identifier_type, v) for v in usable),
            serial_number=serial,
        )
        return cls(
            fmt=str(obj["fmt"]),
            key_authorization=key_authorization,
            now=now,
            att_obj=obj,
            roots={str(obj["fmt"]): (root,)},
            device_key=key,
            identifier=identifiers[-1],
            identifier_type=identifier_type,
            expected=expected,
        )

    @property
    def cbor(self) -> bytes:
        """The attestation object as CBOR bytes."""
        return cbor2.dumps(dict(self.att_obj))

    @property
    def att_obj_b64(self) -> str:
        """The unpadded base64url attestation object, as the ACME payload's `attObj` carries it."""
        return base64.urlsafe_b64encode(self.cbor).rstrip(b"=").decode("ascii")

    @property
    def payload(self) -> dict[str, str]:
        """The device-attest-01 challenge response payload `{"attObj": ...}`."""
        return {"attObj": self.att_obj_b64}

    @property
    def payload_json(self) -> bytes:
        """`payload` as JSON bytes."""
        return json.dumps(self.payload).encode()

    def roots_pem(self) -> bytes:
        """The root certificate(s) as PEM."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.roots[self.fmt])

    def verify(self, **overrides: Any) -> DeviceIdentity:
        """`attestverify.verify` with this statement's roots, `now` and `identifier`; `overrides` win.

        For `android-key` it also passes `android_status=android.STATUS_UNCHECKED` (a test PKI
        has no status list).
        """
        from ..android import STATUS_UNCHECKED  # noqa: PLC0415 - keep importing the kit cheap
        from ..api import verify  # noqa: PLC0415

        kwargs: dict[str, Any] = {
            "roots": dict(self.roots),
            "now": self.now,
            "identifier": self.identifier,
            "identifier_type": self.identifier_type,
            "formats": (self.fmt,),
        }
        if self.fmt == "android-key":
            kwargs["android_status"] = STATUS_UNCHECKED
        kwargs.update(overrides)
        return verify(self.cbor, self.key_authorization, **kwargs)
