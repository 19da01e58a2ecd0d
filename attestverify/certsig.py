"""One certificate signature, read and verified by hand (the pinned validator's primitives).

`cryptography` hides whether an RSA AlgorithmIdentifier carries NULL or no parameters, refuses
SHA-1 in `verify_directly_issued_by`, and cannot load every key type, so the pinned validator of
SPEC §5.3 reads these fields with asn1crypto and verifies each signature with
`issuer.public_key().verify(signature, tbs_certificate_bytes, padding, hash)`.

Allowed (P7): RSA PKCS#1 v1.5 and ECDSA with SHA-256/384/512; id-RSASSA-PSS with explicit
parameters (hash = MGF1 hash in SHA-256/384/512, saltLength = hash length, trailerField 1);
SHA-1 (`sha1WithRSAEncryption`, `ecdsa-with-SHA1`) only where the caller enabled relaxation (b).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding

from .identity import spki_of

__all__ = [
    "SigAlg",
    "cert_label",
    "pss_key_problem",
    "public_key",
    "sig_alg",
    "spki_alg",
    "spki_der",
    "verifier",
]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}
_RSA_PKCS1: dict[str, type[hashes.HashAlgorithm]] = {
    "1.2.840.113549.1.1.11": hashes.SHA256,
    "1.2.840.113549.1.1.12": hashes.SHA384,
    "1.2.840.113549.1.1.13": hashes.SHA512,
}
_ECDSA: dict[str, type[hashes.HashAlgorithm]] = {
    "1.2.840.10045.4.3.2": hashes.SHA256,
    "1.2.840.10045.4.3.3": hashes.SHA384,
    "1.2.840.10045.4.3.4": hashes.SHA512,
}
_RSA_SHA1 = "1.2.840.113549.1.1.5"
_ECDSA_SHA1 = "1.2.840.10045.4.1"
_RSA_PSS = "1.2.840.113549.1.1.10"
_MGF1 = "1.2.840.113549.1.1.8"
_NULL = b"\x05\x00"

_Verify = Callable[[bytes, bytes], None]


@dataclass(frozen=True, slots=True)
class SigAlg:
    """A certificate's signature AlgorithmIdentifiers as found in the DER.

    `oid` and `params` come from `tbsCertificate.signature`, the signed copy: every decision
    (relaxation triggers, hash and padding) is taken from signed data only (SPEC v2 §5.3). The
    outer copy is kept only to require that it is byte-equal.

    Attributes:
        oid: dotted OID of `tbsCertificate.signature`.
        params: DER of its parameters, or `None` when absent.
        outer: DER of the outer (unsigned) `signatureAlgorithm`.
        inner: DER of `tbsCertificate.signature`.
    """

    oid: str
    params: bytes | None
    outer: bytes
    inner: bytes

    @property
    def rsa_params_absent(self) -> bool:
        """A signed RSA PKCS#1 v1.5 AlgorithmIdentifier without parameters (relaxation (c))."""
        return (self.oid in _RSA_PKCS1 or self.oid == _RSA_SHA1) and self.params is None

    @property
    def is_sha1(self) -> bool:
        """sha1WithRSAEncryption or ecdsa-with-SHA1 (relaxation (b))."""
        return self.oid in (_RSA_SHA1, _ECDSA_SHA1)


def sig_alg(cert: x509.Certificate) -> SigAlg | None:
    """Read the signature AlgorithmIdentifiers of `cert` with asn1crypto; None when unreadable."""
    # asn1crypto loads on first use: only a tier-1 rejection or the pinned validator needs it.
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415

    try:
        parsed = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
        inner = parsed["tbs_certificate"]["signature"]
        params = inner["parameters"].dump()
        return SigAlg(
            oid=inner["algorithm"].dotted,
            params=params or None,
            outer=parsed["signature_algorithm"].dump(),
            inner=inner.dump(),
        )
    except Exception:  # noqa: BLE001 - any asn1crypto failure means "not a usable algorithm"
        return None


def spki_alg(cert: x509.Certificate) -> tuple[str, bytes | None] | None:
    """(dotted OID, parameter DER or None) of the SubjectPublicKeyInfo algorithm; None if unreadable."""
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415 - see sig_alg

    try:
        tbs = asn1_x509.TbsCertificate.load(cert.tbs_certificate_bytes)
        alg = tbs["subject_public_key_info"]["algorithm"]
        params = alg["parameters"].dump()
        return alg["algorithm"].dotted, params or None
    except Exception:  # noqa: BLE001 - unreadable: the caller treats it as unusable
        return None


def spki_der(cert: x509.Certificate) -> bytes:
    """The SubjectPublicKeyInfo DER of `cert`, also for key types `cryptography` cannot load."""
    key = public_key(cert)
    if key is not None:
        return spki_of(key)
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415 - see sig_alg

    der = cert.public_bytes(Encoding.DER)
    try:
        return bytes(asn1_x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"].dump())
    except Exception:  # noqa: BLE001 - unreadable key: unique per certificate, never equal to an anchor's
        return b"unreadable:" + der


def public_key(cert: x509.Certificate) -> CertificatePublicKeyTypes | None:
    """`cert.public_key()`, or None for a key type `cryptography` does not support."""
    try:
        return cert.public_key()
    except Exception:  # noqa: BLE001 - an unsupported key can never verify anything
        return None


def cert_label(cert: x509.Certificate, role: str) -> str:
    """`role (subject)` for messages; the subject is shortened, it is attacker-controlled."""
    try:
        subject = cert.subject.rfc4514_string()
    except Exception:  # noqa: BLE001 - a name we cannot render is still a certificate to name
        subject = "?"
    if len(subject) > 60:
        subject = subject[:57] + "..."
    return f"{role} ({subject or 'empty subject'})"


def pss_key_problem(alg: SigAlg, issuer_spki: tuple[str, bytes | None] | None) -> str | None:
    """Why `alg` may not be used by an issuer with SubjectPublicKeyInfo algorithm `issuer_spki`.

    An id-RSASSA-PSS key signs only with RSASSA-PSS and, when its SPKI has parameters, exactly
    those (RFC 4055 §1.2); `None` (unreadable SPKI) leaves the decision to the key loader.
    """
    if issuer_spki is None or issuer_spki[0] != _RSA_PSS:
        return None
    if alg.oid != _RSA_PSS:
        return "an RSASSA-PSS issuer key signs only with RSASSA-PSS"
    if issuer_spki[1] is not None and alg.params != issuer_spki[1]:
        return "RSASSA-PSS signature parameters differ from the issuer key's parameters"
    return None


def verifier(alg: SigAlg, key: object) -> _Verify | str:
    """A callable `(signature, data)` for `alg` under `key`, or a reason string."""
    if alg.oid in _RSA_PKCS1 or alg.oid == _RSA_SHA1:
        if alg.params not in (None, _NULL):
            return "RSA PKCS#1 v1.5 AlgorithmIdentifier parameters are not NULL"
        hash_cls = _RSA_PKCS1.get(alg.oid, hashes.SHA1)
        if not isinstance(key, rsa.RSAPublicKey):
            return "RSA signature algorithm under a non-RSA issuer key"
        rsa_key = key
        return lambda sig, data: rsa_key.verify(sig, data, padding.PKCS1v15(), hash_cls())
    if alg.oid in _ECDSA or alg.oid == _ECDSA_SHA1:
        if alg.params is not None:
            return "ECDSA AlgorithmIdentifier must not have parameters"
        hash_cls = _ECDSA.get(alg.oid, hashes.SHA1)
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return "ECDSA signature algorithm under a non-EC issuer key"
        ec_key = key
        return lambda sig, data: ec_key.verify(sig, data, ec.ECDSA(hash_cls()))
    if alg.oid == _RSA_PSS:
        return _pss_verifier(alg, key)
    return f"signature algorithm {alg.oid} is not allowed (P7: RSA or ECDSA with SHA-256/384/512)"


def _pss_verifier(alg: SigAlg, key: object) -> _Verify | str:
    if not isinstance(key, rsa.RSAPublicKey):
        return "RSASSA-PSS signature under a non-RSA issuer key"
    from asn1crypto import algos  # noqa: PLC0415 - see sig_alg

    try:
        # Absent fields read as the RFC 4055 defaults (SHA-1, salt 20), which fail below.
        params = algos.RSASSAPSSParams.load(alg.params or b"")
        hash_oid = params["hash_algorithm"]["algorithm"].dotted
        mgf = params["mask_gen_algorithm"]
        mgf_oid = mgf["algorithm"].dotted
        mgf_hash = mgf["parameters"]["algorithm"].dotted
        salt = params["salt_length"].native
        trailer = params["trailer_field"].native
    except Exception:  # noqa: BLE001 - undecodable parameters are simply not allowed
        return "RSASSA-PSS parameters are missing or undecodable"
    hash_cls = _HASHES.get(hash_oid)
    if hash_cls is None or mgf_oid != _MGF1 or mgf_hash != hash_oid:
        return "RSASSA-PSS needs explicit SHA-256/384/512 with the same MGF1 hash"
    if salt != hash_cls().digest_size or trailer not in (1, "trailer_field_bc"):
        return "RSASSA-PSS saltLength must equal the hash length (trailerField 1)"
    pss = padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls().digest_size)
    rsa_key = key
    return lambda sig, data: rsa_key.verify(sig, data, pss, hash_cls())
