"""The two floors a `verify()` call is compared with (issue 14), written against `cryptography` only.

* **bare-signature floor**: decode the CBOR, parse the x5c, verify every signature on the path
  (each certificate by the next, the last by the anchor) with `verify_directly_issued_by`, then the
  statement signature and the binding hashes. No policy at all: what a verifier that checks only
  signatures pays.
* **validator floor**: the same, but the path goes through `cryptography.x509.verification` with the
  SPEC §5.2 policies: the anchors' `Store` and the two `ExtensionPolicy` values are built once per
  anchor set, the `PolicyBuilder` and client verifier per call. What a verifier with zero Python
  overhead of its own pays for the profile attestverify promises.

Both return True and raise on any failure; `floors_for` self-checks them once before timing, so a
floor that silently skips work cannot make attestverify look slow.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store

# What a format adds on top of the path: the statement signature and binding hashes, given the
# decoded attStmt, the parsed leaf and the key authorization. Raises on failure.
StatementCheck = Callable[[Mapping[str, Any], x509.Certificate, str], None]

APPLE_NONCE = x509.ObjectIdentifier("1.2.840.113635.100.8.11.1")
ANDROID_KEY_DESCRIPTION = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17")
_TPM_GENERATED = 0xFF544347
_TPM_ST_ATTEST_CERTIFY = 0x8017
_TPM_HASHES = {0x000B: hashlib.sha256, 0x000C: hashlib.sha384, 0x000D: hashlib.sha512}


def _policies() -> tuple[ExtensionPolicy, ExtensionPolicy]:
    ca = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
        .may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
    )
    ee = ExtensionPolicy.permit_all().may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
    return ca, ee


# --- statement checks, one per format -------------------------------------------------------


def apple_statement(att_stmt: Mapping[str, Any], leaf: x509.Certificate, key_authorization: str) -> None:
    """A6: the freshness code extension equals SHA-256(token). No statement signature."""
    token = key_authorization.split(".", 1)[0].encode()
    nonce = leaf.extensions.get_extension_for_oid(APPLE_NONCE).value
    assert isinstance(nonce, x509.UnrecognizedExtension)
    if not hmac.compare_digest(nonce.value, hashlib.sha256(token).digest()):
        raise ValueError("apple nonce")


def _verify_with_leaf(leaf: x509.Certificate, sig: bytes, message: bytes) -> None:
    """ECDSA (DER) or RSA PKCS#1 v1.5 over SHA-256, or Ed25519 over the raw message."""
    key = leaf.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(sig, message, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPublicKey):
        key.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(sig, message)
    else:
        raise TypeError(type(key))


def step_statement(att_stmt: Mapping[str, Any], leaf: x509.Certificate, key_authorization: str) -> None:
    """S3/S6: the CBOR-wrapped signature over the key authorization, with the leaf key."""
    _verify_with_leaf(leaf, cbor2.loads(att_stmt["sig"]), key_authorization.encode())


def _der_tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag byte, content start, content end) of the DER element at `offset`, bounds-checked."""
    tag, first = data[offset], data[offset + 1]
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > len(data):
        raise ValueError("DER element overruns")
    return tag, start, start + length


def android_statement(att_stmt: Mapping[str, Any], leaf: x509.Certificate, key_authorization: str) -> None:
    """K11/K12: the KeyDescription's attestationChallenge and `sig` (raw) over the key authorization.

    No ASN.1 decoder: the challenge is the fifth element of the KeyDescription SEQUENCE, reached by
    reading four DER headers (attestationVersion, attestationSecurityLevel, keyMintVersion,
    keyMintSecurityLevel) and skipping their contents. That is the least any verifier must do to
    compare the challenge; the security levels and authorization lists (K6-K10, K13) are not read.
    """
    ext = leaf.extensions.get_extension_for_oid(ANDROID_KEY_DESCRIPTION).value
    assert isinstance(ext, x509.UnrecognizedExtension)
    kd = ext.value
    tag, offset, _ = _der_tlv(kd, 0)
    if tag != 0x30:
        raise ValueError("KeyDescription is not a SEQUENCE")
    for _ in range(4):
        _, _, offset = _der_tlv(kd, offset)
    tag, start, end = _der_tlv(kd, offset)
    if tag != 0x04:
        raise ValueError("attestationChallenge is not an OCTET STRING")
    message = key_authorization.encode()
    if not hmac.compare_digest(kd[start:end], message):
        raise ValueError("attestationChallenge")
    _verify_with_leaf(leaf, att_stmt["sig"], message)


def _tpm2b(data: bytes, offset: int) -> tuple[bytes, int]:
    (size,) = struct.unpack_from(">H", data, offset)
    end = offset + 2 + size
    if end > len(data):
        raise ValueError("TPM2B overruns")
    return data[offset + 2 : end], end


def tpm_signature(att_stmt: Mapping[str, Any], ak: object) -> None:
    """T9: the AK signature (TPMT_SIGNATURE, or a bare RSA signature) over certInfo, SHA-256."""
    sig, info = att_stmt["sig"], att_stmt["certInfo"]
    if isinstance(ak, rsa.RSAPublicKey):
        raw = sig if len(sig) == ak.key_size // 8 else _tpm2b(sig, 4)[0]
        ak.verify(raw, info, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(ak, ec.EllipticCurvePublicKey):
        r, offset = _tpm2b(sig, 4)
        s, _ = _tpm2b(sig, offset)
        der = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
        ak.verify(der, info, ec.ECDSA(hashes.SHA256()))
    else:
        raise TypeError(type(ak))


def tpm_bindings(att_stmt: Mapping[str, Any], expected_extra_data: bytes) -> None:
    """T8/T10/T12: magic and type, extraData, attested name = nameAlg || H(pubArea)."""
    info, area = att_stmt["certInfo"], att_stmt["pubArea"]
    magic, kind = struct.unpack_from(">IH", info, 0)
    if magic != _TPM_GENERATED or kind != _TPM_ST_ATTEST_CERTIFY:
        raise ValueError("not a certify attestation")
    _, offset = _tpm2b(info, 6)  # qualifiedSigner
    extra, offset = _tpm2b(info, offset)
    name, _ = _tpm2b(info, offset + 17 + 8)  # clockInfo, firmwareVersion
    if not hmac.compare_digest(extra, expected_extra_data):
        raise ValueError("extraData")
    (name_alg,) = struct.unpack_from(">H", area, 2)
    if not hmac.compare_digest(name, area[2:4] + _TPM_HASHES[name_alg](area).digest()):
        raise ValueError("attested name")


def tpm_statement(att_stmt: Mapping[str, Any], leaf: x509.Certificate, key_authorization: str) -> None:
    """T9, T10 (extraData = SHA-256(key authorization)) and T12."""
    tpm_signature(att_stmt, leaf.public_key())
    tpm_bindings(att_stmt, hashlib.sha256(key_authorization.encode()).digest())


# --- the floors --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Floors:
    """The bare and validator floors of one statement, as zero-argument callables."""

    bare: Callable[[], bool]
    validator: Callable[[], bool]


def floors_for(
    statement: bytes,
    key_authorization: str,
    anchors: tuple[x509.Certificate, ...],
    now: datetime,
    check: StatementCheck,
    *,
    binds_key_authorization: bool = True,
) -> Floors:
    """Both floors for `statement` (CBOR bytes) under `anchors` at `now`; self-checked once."""
    store = Store(list(anchors))  # built once per anchor set, as a cache would
    ca_policy, ee_policy = _policies()
    by_subject = {a.subject.public_bytes(): a for a in anchors}

    def bare() -> bool:
        att_stmt = cbor2.loads(statement)["attStmt"]
        certs = [x509.load_der_x509_certificate(der) for der in att_stmt["x5c"]]
        for child, parent in itertools.pairwise(certs):
            child.verify_directly_issued_by(parent)
        top = certs[-1]
        top.verify_directly_issued_by(by_subject[top.issuer.public_bytes()])
        check(att_stmt, certs[0], key_authorization)
        return True

    def validator() -> bool:
        att_stmt = cbor2.loads(statement)["attStmt"]
        certs = [x509.load_der_x509_certificate(der) for der in att_stmt["x5c"]]
        verifier = (
            PolicyBuilder()
            .store(store)
            .time(now)
            .max_chain_depth(8)
            .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
            .build_client_verifier()
        )
        verifier.verify(certs[0], certs[1:])
        check(att_stmt, certs[0], key_authorization)
        return True

    floors = Floors(bare, validator)
    assert floors.bare() is True
    assert floors.validator() is True
    if not binds_key_authorization:
        return floors
    # ... and the statement check must depend on the key authorization (else it times nothing).
    att_stmt = cbor2.loads(statement)["attStmt"]
    leaf = x509.load_der_x509_certificate(att_stmt["x5c"][0])
    wrong = "X" + key_authorization[1:]
    try:
        check(att_stmt, leaf, wrong)
    except Exception:  # noqa: BLE001 - any refusal will do
        return floors
    raise AssertionError("the statement check accepted a different key authorization")
