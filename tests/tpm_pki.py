"""Test material for the `tpm` format: AK certificates and hand-marshalled TPM structures.

`ak_certificate()` issues AK certificates with the SPEC §4.3 T6 profile (and every variation the
negative tests need) for a bare public key, so it serves both software AKs made here and real
swtpm AKs whose private key never leaves the TPM. `Statement` builds a complete, valid attStmt
signed by a software AK; each test then mutates exactly one thing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from collections.abc import Sequence
from typing import Any

import pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from pyasn1.codec.der import encoder

from attestverify.testing import pki as kit_pki

AIK_OID = x509.ObjectIdentifier("2.23.133.8.3")
MANUFACTURER_OID = x509.ObjectIdentifier("2.23.133.2.1")
MODEL_OID = x509.ObjectIdentifier("2.23.133.2.2")
VERSION_OID = x509.ObjectIdentifier("2.23.133.2.3")
PERMANENT_IDENTIFIER_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.3")
HARDWARE_MODULE_NAME_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4")

ALG_RSA, ALG_ECC, ALG_NULL = 0x0001, 0x0023, 0x0010
ALG_SHA1, ALG_SHA256, ALG_SHA384, ALG_SHA512 = 0x0004, 0x000B, 0x000C, 0x000D
ALG_RSASSA, ALG_RSAPSS, ALG_ECDSA, ALG_AES, ALG_CFB = 0x0014, 0x0016, 0x0018, 0x0006, 0x0043
CURVE_IDS = {"secp256r1": 0x0003, "secp384r1": 0x0004, "secp521r1": 0x0005}
ATTRS_ECC = 0x00040072  # fixedTPM fixedParent sensitiveDataOrigin userWithAuth sign (Windows ECC)
ATTRS_RSA = 0x00060472  # ... plus noDA and decrypt (Windows RSA)
_HASHLIB = {ALG_SHA1: "sha1", ALG_SHA256: "sha256", ALG_SHA384: "sha384", ALG_SHA512: "sha512"}
_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    ALG_SHA1: hashes.SHA1, ALG_SHA256: hashes.SHA256, ALG_SHA384: hashes.SHA384, ALG_SHA512: hashes.SHA512,
}  # fmt: skip


# The SAN encoders are the public test kit's (one implementation for tests and users).
permanent_identifier_san = kit_pki.permanent_identifier_san
hardware_module_san = kit_pki.hardware_module_san


def tpm_directory(
    manufacturer: str | None = "id:4E544300",
    model: str | None = "NPCT75x",
    version: str | None = "id:00070002",
    *,
    layout: str = "multi",
) -> list[x509.GeneralName]:
    """TPM attributes as one multi-valued RDN (`"multi"`), three RDNs (`"separate"`) or three
    directoryNames (`"split"`)."""
    attrs = [
        x509.NameAttribute(oid, value, _type=x509.name._ASN1Type.UTF8String)
        for oid, value in ((MANUFACTURER_OID, manufacturer), (MODEL_OID, model), (VERSION_OID, version))
        if value is not None
    ]
    if layout == "multi":
        return [x509.DirectoryName(x509.Name([x509.RelativeDistinguishedName(attrs)]))]
    if layout == "separate":
        return [x509.DirectoryName(x509.Name([x509.RelativeDistinguishedName([a]) for a in attrs]))]
    return [x509.DirectoryName(x509.Name([a])) for a in attrs]


def ak_certificate(
    ak_public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    issuer: pki.Issued,
    *,
    subject: x509.Name | None = None,
    san: Sequence[x509.GeneralName] | None = None,
    san_critical: bool = True,
    include_san: bool = True,
    eku: Sequence[x509.ObjectIdentifier] | None = (AIK_OID,),
    ca: bool | None = False,
    policies: bool = True,
    extra: Sequence[tuple[x509.ExtensionType, bool]] = (),
    version1: bool = False,
) -> x509.Certificate:
    """An AK certificate with the T6 profile; each keyword breaks one rule of it."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject if subject is not None else x509.Name([]))
        .issuer_name(issuer.cert.subject)
        .public_key(ak_public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(pki.NOT_BEFORE)
        .not_valid_after(pki.NOT_AFTER)
    )
    if not version1:
        if ca is not None:
            builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        if eku is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        if include_san:
            names = list(san) if san is not None else tpm_directory()
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=san_critical)
        if policies:
            policy = x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.311.21.31"), None)
            builder = builder.add_extension(x509.CertificatePolicies([policy]), critical=True)
        for ext, critical in extra:
            builder = builder.add_extension(ext, critical=critical)
    cert = builder.sign(issuer.key, pki.default_hash(issuer.key))  # type: ignore[arg-type]
    if version1:
        cert = _as_version1(cert, issuer)
    return cert


def _as_version1(cert: x509.Certificate, issuer: pki.Issued) -> x509.Certificate:
    # CertificateBuilder always writes v3; drop the [0] version field by hand and re-sign.
    from pyasn1.codec.der import decoder
    from pyasn1_modules import rfc5280

    tbs, _ = decoder.decode(cert.tbs_certificate_bytes, asn1Spec=rfc5280.TBSCertificate())
    tbs["version"] = "v1"
    tbs_der = encoder.encode(tbs)
    assert isinstance(issuer.key, ec.EllipticCurvePrivateKey)
    signature = issuer.key.sign(tbs_der, ec.ECDSA(hashes.SHA384()))
    alg = bytes.fromhex("300a06082a8648ce3d040303")  # ecdsa-with-SHA384
    bitstring = b"\x03" + pki._der_len(len(signature) + 1) + b"\x00" + signature
    body = tbs_der + alg + bitstring
    return x509.load_der_x509_certificate(b"\x30" + pki._der_len(len(body)) + body)


def test_ca(label: str = "tpm") -> tuple[pki.Issued, pki.Issued]:
    """A root and an AK-issuing intermediate (EC P-384), cached through the key labels."""
    root = pki.root(f"Test TPM Root {label}")
    intermediate = pki.issue(
        pki.name(f"Test AK CA {label}"), pki.ec_key("p384", f"akca-{label}"), root, ca=True
    )
    return root, intermediate


# --- TPM structures ------------------------------------------------------------------------


def tpm2b(data: bytes) -> bytes:
    return struct.pack(">H", len(data)) + data


def pub_area(
    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    *,
    attributes: int | None = None,
    name_alg: int = ALG_SHA256,
    symmetric: bytes = struct.pack(">H", ALG_NULL),
    scheme: bytes = struct.pack(">H", ALG_NULL),
    curve_id: int | None = None,
    key_bits: int | None = None,
    exponent: int = 0,
    strip_leading_zeros: bool = False,
) -> bytes:
    """Marshal a TPMT_PUBLIC for `key` (scheme NULL, no auth policy)."""
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        modulus = numbers.n.to_bytes((key.key_size + 7) // 8, "big")
        head = struct.pack(">HHI", ALG_RSA, name_alg, ATTRS_RSA if attributes is None else attributes)
        params = (
            symmetric + scheme + struct.pack(">HI", key.key_size if key_bits is None else key_bits, exponent)
        )
        return head + tpm2b(b"") + params + tpm2b(modulus)
    numbers_ec = key.public_numbers()
    size = (key.curve.key_size + 7) // 8
    x, y = numbers_ec.x.to_bytes(size, "big"), numbers_ec.y.to_bytes(size, "big")
    if strip_leading_zeros:
        x, y = x.lstrip(b"\x00") or b"\x00", y.lstrip(b"\x00") or b"\x00"
    cid = CURVE_IDS[key.curve.name] if curve_id is None else curve_id
    head = struct.pack(">HHI", ALG_ECC, name_alg, ATTRS_ECC if attributes is None else attributes)
    params = symmetric + scheme + struct.pack(">HH", cid, ALG_NULL)
    return head + tpm2b(b"") + params + tpm2b(x) + tpm2b(y)


def name_of(area: bytes, name_alg: int = ALG_SHA256) -> bytes:
    return struct.pack(">H", name_alg) + hashlib.new(_HASHLIB[name_alg], area).digest()


def cert_info(
    name: bytes,
    extra_data: bytes,
    *,
    magic: int = 0xFF544347,
    st: int = 0x8017,
    safe: int = 1,
    qualified_name: bytes | None = None,
) -> bytes:
    """Marshal a TPMS_ATTEST of type certify."""
    signer = name_of(b"qualified signer")
    clock = struct.pack(">QIIB", 123456789, 7, 3, safe)
    return (
        struct.pack(">IH", magic, st)
        + tpm2b(signer)
        + tpm2b(extra_data)
        + clock
        + struct.pack(">Q", 0x2000000000000001)
        + tpm2b(name)
        + tpm2b(qualified_name if qualified_name is not None else name_of(b"qualified name"))
    )


def signature(
    ak_private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    message: bytes,
    *,
    hash_alg: int = ALG_SHA256,
    field_hash: int | None = None,
    scheme: int | None = None,
    bare: bool = False,
) -> bytes:
    """A TPMT_SIGNATURE (or, with `bare`, the bare RSA signature) by `ak_private` over `message`."""
    halg = _HASHES[hash_alg]()
    stated = hash_alg if field_hash is None else field_hash
    if isinstance(ak_private, rsa.RSAPrivateKey):
        if scheme == ALG_RSAPSS:
            pss = padding.PSS(mgf=padding.MGF1(halg), salt_length=halg.digest_size)
            raw = ak_private.sign(message, pss, halg)
        else:
            raw = ak_private.sign(message, padding.PKCS1v15(), halg)
        if bare:
            return raw
        return struct.pack(">HH", ALG_RSASSA if scheme is None else scheme, stated) + tpm2b(raw)
    r, s = decode_dss_signature(ak_private.sign(message, ec.ECDSA(halg)))
    size = (ak_private.curve.key_size + 7) // 8
    return (
        struct.pack(">HH", ALG_ECDSA if scheme is None else scheme, stated)
        + tpm2b(r.to_bytes(size, "big"))
        + tpm2b(s.to_bytes(size, "big"))
    )


@dataclasses.dataclass
class Statement:
    """A valid generated `tpm` attStmt plus what produced it (software AK, test CA)."""

    att_stmt: dict[str, Any]
    root: x509.Certificate
    attested: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    ak: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    def attobj(self) -> dict[str, Any]:
        return {"fmt": "tpm", "attStmt": self.att_stmt}


def statement(
    *,
    ak: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    attested: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    extra_data: bytes = pki.KA_HASH,
    alg: int = -7,
    area: bytes | None = None,
    info: bytes | None = None,
    ak_cert: x509.Certificate | None = None,
    hash_alg: int | None = None,
    **cert_kw: Any,
) -> Statement:
    """A valid statement; keywords replace single parts (everything else stays consistent)."""
    ak = ak if ak is not None else pki.ec_key("p256", "tpm-ak")
    attested = attested if attested is not None else pki.ec_key("p256", "tpm-attested")
    root, intermediate = test_ca()
    cert = ak_cert if ak_cert is not None else ak_certificate(ak.public_key(), intermediate, **cert_kw)
    area = area if area is not None else pub_area(attested.public_key())
    info = info if info is not None else cert_info(name_of(area), extra_data)
    halg = hash_alg if hash_alg is not None else (ALG_SHA1 if alg == -65535 else ALG_SHA256)
    att_stmt = {
        "ver": "2.0",
        "alg": alg,
        "x5c": [cert.public_bytes(Encoding.DER), intermediate.der],
        "sig": signature(ak, info, hash_alg=halg),
        "certInfo": info,
        "pubArea": area,
    }
    return Statement(att_stmt, root.cert, attested, ak)


def resign(st: Statement, info: bytes, **sig_kw: Any) -> None:
    """Replace certInfo and re-sign it with the statement's AK (so only certInfo changed)."""
    st.att_stmt["certInfo"] = info
    halg = ALG_SHA1 if st.att_stmt["alg"] == -65535 else ALG_SHA256
    st.att_stmt["sig"] = signature(st.ak, info, hash_alg=sig_kw.pop("hash_alg", halg), **sig_kw)


def roca_modulus(bits: int = 2048) -> int:
    """An odd `bits`-bit modulus p*q with p, q = k*M + (65537^a mod M), M the primorial of the odd
    primes up to 167: the form the vulnerable Infineon library produced (p and q need not be prime,
    only their residues matter to the fingerprint)."""
    import math

    m = math.prod([3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
                   89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167])  # fmt: skip
    floor = math.isqrt(1 << (bits - 1)) + 1  # p, q above this make p*q exactly `bits` long

    def factor(exponent: int) -> int:
        g = pow(65537, exponent, m)
        k = floor // m + 1
        if (k * m + g) % 2 == 0:
            k += 1
        return k * m + g

    n = factor(12345) * factor(6789)
    assert n.bit_length() == bits and n % 2 == 1
    return n
