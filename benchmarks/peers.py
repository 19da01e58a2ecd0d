"""Peers on one Windows-Hello-like TPM registration: py_webauthn and python-fido2 vs attestverify.

The statement is a WebAuthn attestationObject `{"fmt": "tpm", "attStmt": ..., "authData": ...}` as
Windows Hello produces it: RSA-2048 AK (alg RS256, a bare PKCS#1 v1.5 `sig`), RSA-2048 credential
key, AK certificate with an empty subject, the TPM directory SAN, EKU tcg-kp-AIKCertificate and
critical certificatePolicies (tests/tpm_pki.py), issued by an RSA-2048 CA under an RSA-4096 root
(as Microsoft's AK PKI; valid at `pki.NOW`), and `extraData` = SHA-256(authData || SHA-256(clientDataJSON)).

Each candidate starts from the same bytes (attestationObject, clientDataJSON) and ends with the
statement accepted:

* attestverify: `cbor2.loads`, extraData computed, `tpm.verify_certify` (T1-T14 with SPEC §5
  path validation). It does not look at clientDataJSON or authData beyond that hash (a WebAuthn
  server checks them itself).
* py_webauthn: `verify_registration_response` (clientDataJSON, rpIdHash, flags, credential key
  against pubArea, AK certificate profile, chain through pyOpenSSL's `X509StoreContext` with the
  root; its store gets `set_time(pki.NOW)` through the hook the library provides for tests).
* python-fido2: `AttestationObject` + `AttestationVerifier.verify_attestation` (TpmAttestation:
  AK certificate profile, pubArea against the credential key, certInfo, signature; then
  `verify_x509_chain`, which checks only the signatures of the chain, no validity or CA flags).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.metadata
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cbor2
import floors
import pki
import statements
import tpm_pki
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from attestverify import tpm

RP_ID = "example.com"
ORIGIN = "https://example.com"
CHALLENGE = b"attestverify-bench-challenge-0001"
WINDOWS_HELLO_AAGUID = bytes.fromhex("08987058cadc4b81b6e130de50dcbe96")


@dataclass(frozen=True)
class Registration:
    """One WebAuthn TPM registration: attestationObject, clientDataJSON, root, credential id."""

    att_obj: bytes
    client_data_json: bytes
    root: x509.Certificate
    credential_id: bytes


@functools.cache
def windows_pki() -> tuple[pki.Issued, pki.Issued, rsa.RSAPrivateKey, x509.Certificate]:
    """(root, issuing CA, AK, AK certificate) shaped like Microsoft's AK PKI: an RSA-4096 root,
    an RSA-2048 issuing CA, an RSA-2048 AK with the T6 profile."""
    root = pki.root("Bench TPM Root (RSA-4096)", pki.rsa_key(4096, "bench-whello-root"))
    intermediate = pki.issue(
        pki.name("Bench AK CA (RSA-2048)"), pki.rsa_key(2048, "bench-whello-akca"), root, ca=True
    )
    ak = pki.rsa_key(2048, "bench-whello-ak")
    return root, intermediate, ak, tpm_pki.ak_certificate(ak.public_key(), intermediate)


def windows_att_stmt(credential: rsa.RSAPrivateKey, extra_data: bytes) -> dict[str, Any]:
    """A Windows-Hello-like attStmt certifying `credential` with `extra_data` (bare RS256 sig)."""
    _root, intermediate, ak, ak_cert = windows_pki()
    area = tpm_pki.pub_area(credential.public_key())
    info = tpm_pki.cert_info(tpm_pki.name_of(area), extra_data)
    return {
        "ver": "2.0",
        "alg": -257,
        "x5c": [ak_cert.public_bytes(Encoding.DER), intermediate.der],
        "sig": tpm_pki.signature(ak, info, bare=True),
        "certInfo": info,
        "pubArea": area,
    }


def windows_case() -> statements.Case:
    """The same PKI as an ACME `tpm` statement (extraData = SHA-256(key authorization))."""
    att_stmt = windows_att_stmt(pki.rsa_key(2048, "bench-whello-credential"), pki.KA_HASH)
    return statements.Case(
        name="tpm-windows-like",
        fmt="tpm",
        obj={"fmt": "tpm", "attStmt": att_stmt},
        key_authorization=pki.KEY_AUTHORIZATION,
        roots=(windows_pki()[0].cert,),
        now=pki.NOW,
    )


def registration() -> Registration:
    credential = pki.rsa_key(2048, "bench-whello-credential")
    root = windows_pki()[0]

    numbers = credential.public_key().public_numbers()
    cose_key = cbor2.dumps({1: 3, 3: -257, -1: numbers.n.to_bytes(256, "big"), -2: b"\x01\x00\x01"})
    credential_id = hashlib.sha256(b"bench credential id").digest()
    auth_data = (
        hashlib.sha256(RP_ID.encode()).digest()
        + bytes([0x45])  # UP, UV, AT
        + struct.pack(">I", 0)
        + WINDOWS_HELLO_AAGUID
        + struct.pack(">H", len(credential_id))
        + credential_id
        + cose_key
    )
    client_data = {
        "type": "webauthn.create",
        "challenge": _b64url(CHALLENGE),
        "origin": ORIGIN,
        "crossOrigin": False,
    }
    client_data_json = json.dumps(client_data, separators=(",", ":")).encode()
    extra = hashlib.sha256(auth_data + hashlib.sha256(client_data_json).digest()).digest()
    att_stmt = windows_att_stmt(credential, extra)
    att_obj = cbor2.dumps({"fmt": "tpm", "attStmt": att_stmt, "authData": auth_data})
    return Registration(att_obj, client_data_json, root.cert, credential_id)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def attestverify_call(reg: Registration) -> Callable[[], object]:
    roots = [reg.root]

    def call() -> object:
        obj = cbor2.loads(reg.att_obj)
        extra = hashlib.sha256(obj["authData"] + hashlib.sha256(reg.client_data_json).digest()).digest()
        return tpm.verify_certify(obj["attStmt"], extra, roots=roots, now=pki.NOW)

    return call


def validator_floor(reg: Registration) -> Callable[[], bool]:
    """The validator floor of `floors.py` on this statement (extraData from authData)."""

    auth_data = cbor2.loads(reg.att_obj)["authData"]

    def check(att_stmt: Any, leaf: x509.Certificate, _ka: str) -> None:
        floors.tpm_signature(att_stmt, leaf.public_key())
        client_data_hash = hashlib.sha256(reg.client_data_json).digest()
        floors.tpm_bindings(att_stmt, hashlib.sha256(auth_data + client_data_hash).digest())

    pair = floors.floors_for(reg.att_obj, "", (reg.root,), pki.NOW, check, binds_key_authorization=False)
    return pair.validator


def py_webauthn_call(reg: Registration) -> Callable[[], object] | None:
    try:
        from OpenSSL.crypto import X509Store
        from webauthn import verify_registration_response
        from webauthn.helpers import parse_registration_credential_json
        from webauthn.helpers import validate_certificate_chain as chain_module
    except ImportError:
        return None

    def store_at_now() -> X509Store:
        store = X509Store()
        store.set_time(pki.NOW.replace(tzinfo=None))
        return store

    chain_module._generate_new_cert_store = store_at_now  # the library's hook for a pinned time
    credential = parse_registration_credential_json(
        {
            "id": _b64url(reg.credential_id),
            "rawId": _b64url(reg.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": _b64url(reg.att_obj),
                "clientDataJSON": _b64url(reg.client_data_json),
            },
        }
    )
    root_pem = reg.root.public_bytes(Encoding.PEM)
    by_fmt: Any = {"tpm": [root_pem]}

    def call() -> object:
        return verify_registration_response(
            credential=credential,
            expected_challenge=CHALLENGE,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
            pem_root_certs_bytes_by_fmt=by_fmt,
        )

    return call


def fido2_call(reg: Registration) -> Callable[[], object] | None:
    try:
        from fido2.attestation import AttestationVerifier
        from fido2.webauthn import AttestationObject
    except ImportError:
        return None
    root_der = reg.root.public_bytes(Encoding.DER)

    class Verifier(AttestationVerifier):  # type: ignore[misc]
        def ca_lookup(self, result: object, auth_data: object) -> bytes:
            return root_der

    verifier = Verifier()

    def call() -> object:
        verifier.verify_attestation(
            AttestationObject(reg.att_obj), hashlib.sha256(reg.client_data_json).digest()
        )
        return True

    return call


def candidates() -> tuple[dict[str, Callable[[], object]], dict[str, str | None]]:
    """The timed calls (peers only if installed, each run once here and must accept) and versions."""
    reg = registration()
    calls: dict[str, Callable[[], object]] = {
        "attestverify tpm.verify_certify": attestverify_call(reg),
        "validator floor (cryptography)": validator_floor(reg),
    }
    peer_webauthn, peer_fido2 = py_webauthn_call(reg), fido2_call(reg)
    if peer_webauthn is not None:
        calls["py_webauthn verify_registration_response"] = peer_webauthn
    if peer_fido2 is not None:
        calls["python-fido2 verify_attestation"] = peer_fido2
    for call in calls.values():
        assert call(), call
    versions = {
        "webauthn": _version("webauthn"),
        "fido2": _version("fido2"),
        "pyOpenSSL": _version("pyOpenSSL"),
    }
    return calls, versions
