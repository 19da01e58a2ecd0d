"""One certificate as the pinned validator sees it: its facts, computed once per search.

The search (`pinned.py`) tries each certificate against every candidate issuer, so everything it
asks of a certificate (names, basicConstraints, the first extension problem, the signature
algorithm from the TBS, the key, the closed-list profile) is read once and kept here.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding

from . import certrules, certsig

__all__ = ["YUBICO_FIRMWARE_OID", "Node"]

YUBICO_FIRMWARE_OID = "1.3.6.1.4.1.41482.3.3"

_RECOGNISED_CRITICAL = frozenset({"2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.17", "2.5.29.32"})
_UNIMPLEMENTED = {"2.5.29.30": "nameConstraints", "2.5.29.36": "policyConstraints"}


class Node:
    """What the search needs of one certificate, computed once per call."""

    def __init__(self, cert: x509.Certificate, role: str) -> None:
        self.cert = cert
        self.role = role
        self.der = cert.public_bytes(Encoding.DER)
        self.subject = cert.subject.public_bytes()
        self.issuer = cert.issuer.public_bytes()
        self.bc: x509.BasicConstraints | None = None
        self.has_fw = False
        self.key_cert_sign: bool | None = None
        self.ext_problem: tuple[str, str] | None = None
        self.unusable: tuple[str, str] | None = None
        for ext in cert.extensions:
            oid = ext.oid.dotted_string
            if oid in _UNIMPLEMENTED:
                self.ext_problem = (
                    "P5",
                    f"carries {_UNIMPLEMENTED[oid]}, which the fallback validator refuses",
                )
            elif ext.critical and oid not in _RECOGNISED_CRITICAL and self.ext_problem is None:
                self.ext_problem = ("P6", f"has unknown critical extension {oid}")
            if isinstance(ext.value, x509.BasicConstraints):
                self.bc = ext.value
            elif isinstance(ext.value, x509.KeyUsage):
                self.key_cert_sign = ext.value.key_cert_sign
            elif oid == YUBICO_FIRMWARE_OID:
                self.has_fw = True

    # The rest is computed on first use, then reused (cached_property): a search tries each
    # certificate against every candidate issuer, and re-parsing per attempt made one call cost
    # ~10^4 asn1crypto parses.

    @cached_property
    def label(self) -> str:
        return certsig.cert_label(self.cert, self.role)

    @cached_property
    def alg(self) -> certsig.SigAlg | None:
        return certsig.sig_alg(self.cert)

    @cached_property
    def key(self) -> CertificatePublicKeyTypes | None:
        return certsig.public_key(self.cert)

    @cached_property
    def profile(self) -> tuple[str, str] | None:
        """The first rule of SPEC v2 §5.3's closed list this certificate breaks."""
        return certrules.certificate_problem(self.cert)

    @cached_property
    def spki_alg(self) -> tuple[str, bytes | None] | None:
        return certsig.spki_alg(self.cert)

    def valid_at(self, now: datetime) -> bool:
        return self.cert.not_valid_before_utc <= now <= self.cert.not_valid_after_utc

    @cached_property
    def spki_sha256_hex(self) -> str:
        return hashlib.sha256(certsig.spki_der(self.cert)).hexdigest()

    def spki_sha256(self) -> str:
        return self.spki_sha256_hex

    def legacy_f9_profile(self) -> str | None:
        """Why this certificate cannot be the F of relaxation (a), or None when it can."""
        if self.bc is not None:
            return "has basicConstraints"
        if self.cert.version != x509.Version.v3:
            return "is not v3"
        if not self.has_fw:
            return f"lacks the Yubico firmware extension {YUBICO_FIRMWARE_OID}"
        if any(ext.critical for ext in self.cert.extensions):
            return "has a critical extension"
        if self.key_cert_sign is False:
            return "has keyUsage without keyCertSign"
        return None
