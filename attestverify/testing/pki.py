"""Throwaway test PKI pieces for `attestverify.testing`: keys, certificates, SAN otherNames.

Every certificate is valid from one day before `now` to 30 days after it, so statements made
with the kit verify against a live clock in a server's own integration tests. Keys are fresh
for every call (EC keys cost microseconds); nothing here is ever a trust anchor by default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from pyasn1.codec.der import encoder
from pyasn1.type import char, univ

from ..asn1 import HARDWARE_MODULE_NAME_OID, PERMANENT_IDENTIFIER_OID
from ..identifiers import parse_identifier
from ..identity import HardwareModuleName, PermanentIdentifier

__all__ = [
    "CA_KEY_USAGE",
    "PrivateKey",
    "Issued",
    "hardware_module_san",
    "issue",
    "new_key",
    "permanent_identifier_san",
    "san_for",
    "sign",
    "validity",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
"""keyUsage of every kit CA certificate: keyCertSign and cRLSign."""
_CURVES: dict[str, ec.EllipticCurve] = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1()}


def new_key(kind: str = "p256") -> PrivateKey:
    """A fresh private key: `"p256"`, `"p384"`, `"rsa2048"` or `"ed25519"`."""
    if kind in _CURVES:
        return ec.generate_private_key(_CURVES[kind])
    if kind == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key kind {kind!r} (p256, p384, rsa2048, ed25519)")


def validity(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(notBefore, notAfter) around `now`: one day back, 30 days ahead, whole seconds."""
    base = now.replace(microsecond=0)
    return base - dt.timedelta(days=1), base + dt.timedelta(days=30)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key (the issuer of the next certificate)."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def _hash_for(key: PrivateKey) -> hashes.HashAlgorithm | None:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


def issue(
    subject: x509.Name,
    key: PrivateKey,
    issuer: Issued | None,
    now: dt.datetime,
    *,
    ca: bool | None,
    path_length: int | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> Issued:
    """Issue a certificate for `key` (self-signed when `issuer` is None), valid around `now`."""
    not_before, not_after = validity(now)
    signer = issuer.key if issuer is not None else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if ca:
        builder = builder.add_extension(CA_KEY_USAGE, critical=True)
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return Issued(builder.sign(signer, _hash_for(signer)), key)  # type: ignore[arg-type]


def name(common_name: str, organization: str = "attestverify.testing") -> x509.Name:
    """`CN=<common_name>, O=<organization>`: every kit certificate says where it comes from."""
    return x509.Name(
        [
            x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def permanent_identifier_san(value: str | None, assigner: str | None = None) -> x509.OtherName:
    """RFC 4043 PermanentIdentifier as a SAN otherName (DER, strict)."""
    body = b""
    if value is not None:
        body += encoder.encode(char.UTF8String(value))
    if assigner is not None:
        body += encoder.encode(univ.ObjectIdentifier(assigner))
    return x509.OtherName(PERMANENT_IDENTIFIER_OID, _sequence(body))


def hardware_module_san(hw_type: str, serial: bytes) -> x509.OtherName:
    """RFC 4108 HardwareModuleName as a SAN otherName (DER, strict)."""
    body = encoder.encode(univ.ObjectIdentifier(hw_type)) + encoder.encode(univ.OctetString(serial))
    return x509.OtherName(HARDWARE_MODULE_NAME_OID, _sequence(body))


def san_for(identifier: str, identifier_type: str) -> x509.OtherName:
    """The otherName for a draft-09 ACME identifier (`value[/assigner]` or `serial/hwType`)."""
    parsed = parse_identifier(identifier_type, identifier)
    if isinstance(parsed, PermanentIdentifier):
        return permanent_identifier_san(parsed.value, parsed.assigner)
    assert isinstance(parsed, HardwareModuleName)
    return hardware_module_san(parsed.hw_type, parsed.hw_serial_num)


def _sequence(body: bytes) -> bytes:
    if len(body) < 0x80:
        return b"\x30" + bytes([len(body)]) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return b"\x30" + bytes([0x80 | len(size)]) + size + body


def sign(key: PrivateKey, message: bytes) -> bytes:
    """What a device client signs with: ECDSA/SHA-256 (DER), RSA PKCS#1 v1.5/SHA-256, Ed25519."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(message)
