"""`make_csr`: a finalize-time CSR for a test device key, with the draft-09 identifier SAN."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519

from .pki import PrivateKey, san_for

__all__ = ["make_csr"]


def make_csr(
    key: PrivateKey,
    identifier: str | None,
    *,
    identifier_type: str = "permanent-identifier",
    common_name: bool = True,
    san: bool = True,
    other_sans: Sequence[x509.GeneralName] = (),
) -> x509.CertificateSigningRequest:
    """A CSR signed by `key` asking for `identifier`, as a device-attest-01 client sends it.

    Args:
        key: the device's private key (`TestStatement.device_key`).
        identifier: the ACME identifier value, or `None` for a CSR naming nothing.
        identifier_type: `"permanent-identifier"` (PermanentIdentifier SAN, RFC 4043) or
            `"hardware-module"` (HardwareModuleName SAN, RFC 4108).
        common_name: put `identifier` in the subject CN too (step-ca clients do).
        san: add the PermanentIdentifier / HardwareModuleName subjectAltName.
        other_sans: further GeneralNames (a dNSName, say), to test `verify_csr` C8.

    Returns:
        The signed `x509.CertificateSigningRequest` (`.public_bytes(DER)` for the ACME payload).
    """
    names: list[x509.NameAttribute[str]] = []
    sans: list[x509.GeneralName] = list(other_sans)
    if identifier is not None:
        if common_name:
            names.append(x509.NameAttribute(x509.NameOID.COMMON_NAME, identifier))
        if san:
            sans.insert(0, san_for(identifier, identifier_type))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=not names)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm)
