"""A small test PKI: keys and certificates made with `cryptography`'s CertificateBuilder.

Every format's tests build their own hierarchies (Apple-like, YubiKey-like, TPM AK) from these
pieces. Keys are cached per label, because RSA generation dominates test time otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from attestverify.testing.pki import CA_KEY_USAGE

UTC = dt.timezone.utc
# One fixed instant for generated material: every test passes now=NOW (no wall clock).
NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
NOT_BEFORE = NOW - dt.timedelta(days=365)
NOT_AFTER = NOW + dt.timedelta(days=365)

# A syntactically valid key authorization: token "." base64url SHA-256 thumbprint (43 chars).
KEY_AUTHORIZATION = (
    "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
)
TOKEN = KEY_AUTHORIZATION.split(".", maxsplit=1)[0]
TOKEN_HASH = hashlib.sha256(TOKEN.encode()).digest()
KA_HASH = hashlib.sha256(KEY_AUTHORIZATION.encode()).digest()

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@functools.cache
def ec_key(curve: str = "p256", label: str = "") -> ec.EllipticCurvePrivateKey:
    """A cached EC key; different labels give different keys."""
    curves: dict[str, ec.EllipticCurve] = {
        "p256": ec.SECP256R1(),
        "p384": ec.SECP384R1(),
        "p521": ec.SECP521R1(),
        "k256": ec.SECP256K1(),
    }
    return ec.generate_private_key(curves[curve])


@functools.cache
def rsa_key(bits: int = 2048, label: str = "", exponent: int = 65537) -> rsa.RSAPrivateKey:
    """A cached RSA key; different labels give different keys."""
    return rsa.generate_private_key(public_exponent=exponent, key_size=bits)


@functools.cache
def ed25519_key(label: str = "") -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def name(cn: str | None = None, **attrs: str) -> x509.Name:
    """`name("X")` is CN=X; `name()` is the empty name."""
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn is not None else []
    for oid_name, value in attrs.items():
        parts.append(x509.NameAttribute(getattr(NameOID, oid_name.upper()), value))
    return x509.Name(parts)


def default_hash(key: PrivateKey) -> hashes.HashAlgorithm | None:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


@dataclass
class Issued:
    """A certificate with its private key, usable as the issuer of the next one."""

    cert: x509.Certificate
    key: PrivateKey
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def issue(
    subject: x509.Name,
    key: PrivateKey,
    issuer: Issued | None = None,
    *,
    ca: bool | None = False,
    path_length: int | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    not_before: dt.datetime = NOT_BEFORE,
    not_after: dt.datetime = NOT_AFTER,
    hash_alg: hashes.HashAlgorithm | str | None = "default",
    serial: int | None = None,
    key_usage: bool = True,
    ski: bool = True,
) -> Issued:
    """Issue a certificate for `key` (self-signed when `issuer` is None).

    `ca=None` omits basicConstraints entirely; `ca=True/False` adds it (critical).
    """
    signer_key = issuer.key if issuer is not None else key
    issuer_name = issuer.cert.subject if issuer is not None else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if key_usage and ca:
        builder = builder.add_extension(CA_KEY_USAGE, critical=True)
    if ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    algorithm = default_hash(signer_key) if hash_alg == "default" else hash_alg
    cert = builder.sign(signer_key, algorithm)  # type: ignore[arg-type]
    return Issued(cert, key)


def root(cn: str, key: PrivateKey | None = None, **kw: object) -> Issued:
    return issue(name(cn), key or ec_key("p384", cn), None, ca=True, **kw)  # type: ignore[arg-type]


def raw_ext(oid: str, value: bytes, critical: bool = False) -> tuple[x509.ExtensionType, bool]:
    """An extension with an arbitrary raw extnValue."""
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical


def sign_tbs_by_hand(
    tbs: bytes, signer: rsa.RSAPrivateKey, sig_alg_der: bytes, hash_alg: hashes.HashAlgorithm
) -> bytes:
    """Assemble a certificate from TBS bytes with an arbitrary signatureAlgorithm (e.g. SHA-1).

    `sig_alg_der` is the full AlgorithmIdentifier DER; the signature is RSA PKCS#1 v1.5.
    """
    signature = signer.sign(tbs, padding.PKCS1v15(), hash_alg)
    bitstring = b"\x03" + _der_len(len(signature) + 1) + b"\x00" + signature
    body = tbs + sig_alg_der + bitstring
    return b"\x30" + _der_len(len(body)) + body


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw
