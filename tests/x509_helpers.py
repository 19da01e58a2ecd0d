"""Certificate surgery for path-validation tests: re-sign TBS bytes with any AlgorithmIdentifier.

`cryptography` refuses to sign with SHA-1 or MD5 and always writes NULL RSA parameters, so the
tests that need those (SHA-1 chains, absent-NULL signatures, mismatching outer/inner algorithms)
rebuild the certificate from its TBS bytes here.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pki import NOT_AFTER, NOT_BEFORE, Issued, PrivateKey

OID_RSA = "2a864886f70d0101"  # 1.2.840.113549.1.1 prefix


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def alg_id(oid_hex: str, params: bytes | None) -> bytes:
    """DER AlgorithmIdentifier from the OID content bytes (hex) and optional parameter DER."""
    oid = bytes.fromhex(oid_hex)
    body = b"\x06" + bytes([len(oid)]) + oid + (params or b"")
    return b"\x30" + der_len(len(body)) + body


NULL = b"\x05\x00"
RSA_SHA256 = alg_id(OID_RSA + "0b", NULL)
RSA_SHA256_ABSENT = alg_id(OID_RSA + "0b", None)
RSA_SHA384 = alg_id(OID_RSA + "0c", NULL)
RSA_SHA1 = alg_id(OID_RSA + "05", NULL)
RSA_MD5 = alg_id(OID_RSA + "04", NULL)
ECDSA_SHA256 = alg_id("2a8648ce3d040302", None)
ECDSA_SHA256_NULL = alg_id("2a8648ce3d040302", NULL)
ECDSA_SHA1 = alg_id("2a8648ce3d0401", None)


def tlvs(content: bytes) -> list[bytes]:
    """Split DER content into its top-level TLVs (definite lengths only)."""
    out = []
    pos = 0
    while pos < len(content):
        start = pos
        pos += 1
        first = content[pos]
        pos += 1
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            length = int.from_bytes(content[pos : pos + count], "big")
            pos += count
        pos += length
        out.append(content[start:pos])
    return out


def seq(children: list[bytes], tag: int = 0x30) -> bytes:
    body = b"".join(children)
    return bytes([tag]) + der_len(len(body)) + body


def unwrap(der: bytes) -> bytes:
    """Content of one TLV."""
    (item,) = tlvs(der)
    first = item[1]
    offset = 2 if first < 0x80 else 2 + (first & 0x7F)
    return item[offset:]


def with_tbs_alg(tbs: bytes, alg: bytes) -> bytes:
    """TBS bytes with `tbsCertificate.signature` replaced."""
    children = tlvs(unwrap(tbs))
    index = 2 if children[0][0] == 0xA0 else 1
    children[index] = alg
    return seq(children)


def sign_raw(tbs: bytes, signer: PrivateKey, hash_alg: hashes.HashAlgorithm, pss: bool = False) -> bytes:
    if isinstance(signer, rsa.RSAPrivateKey):
        pad: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)
            if pss
            else padding.PKCS1v15()
        )
        return signer.sign(tbs, pad, hash_alg)
    assert isinstance(signer, ec.EllipticCurvePrivateKey)
    return signer.sign(tbs, ec.ECDSA(hash_alg))


def assemble(tbs: bytes, outer_alg: bytes, signature: bytes) -> x509.Certificate:
    bitstring = b"\x03" + der_len(len(signature) + 1) + b"\x00" + signature
    return x509.load_der_x509_certificate(seq([tbs, outer_alg, bitstring]))


def resign(
    cert: x509.Certificate,
    signer: PrivateKey,
    *,
    alg: bytes,
    hash_alg: hashes.HashAlgorithm,
    outer_alg: bytes | None = None,
    pss: bool = False,
) -> x509.Certificate:
    """Re-sign `cert` with `signer`, writing `alg` in the TBS and `outer_alg` (default `alg`) outside."""
    tbs = with_tbs_alg(cert.tbs_certificate_bytes, alg)
    return assemble(tbs, outer_alg if outer_alg is not None else alg, sign_raw(tbs, signer, hash_alg, pss))


def resigned(issued: Issued, signer: Issued, *, alg: bytes, hash_alg: hashes.HashAlgorithm) -> Issued:
    return Issued(resign(issued.cert, signer.key, alg=alg, hash_alg=hash_alg), issued.key)


def flip_signature_bit(cert: x509.Certificate) -> x509.Certificate:
    der = bytearray(cert.public_bytes(Encoding.DER))
    der[-1] ^= 0x01
    return x509.load_der_x509_certificate(bytes(der))


def build(
    subject: x509.Name,
    issuer_name: x509.Name,
    public_key: object,
    signer: PrivateKey,
    *,
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    not_before: dt.datetime = NOT_BEFORE,
    not_after: dt.datetime = NOT_AFTER,
) -> x509.Certificate:
    """A certificate with a free issuer name and any public key (e.g. a huge-exponent RSA key)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(signer, hashes.SHA256())
