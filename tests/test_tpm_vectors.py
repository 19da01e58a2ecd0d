"""Format `tpm` against real device output in testdata/ at the vectors' pinned times.

* Windows Hello statements (Surface, Dell, Lenovo, two Nuvoton, teleport): end to end through
  `tpm.verify_certify` given their WebAuthn extraData; through `verify()` they fail T10.
* The stored swtpm vectors (bound to the string "some-key-authorization"): verified with an AK
  certificate issued here for their AK public area.
* go-attestation's Windows GCP VM: the TPM structures it holds, parsed with our decoders.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pki
import pytest
import tpm_pki
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from vectors import load_vector, read_json

import attestverify
from attestverify import tpm
from attestverify.errors import (
    BadSignatureError,
    ChallengeMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
)
from attestverify.tpm.structures import TpmsAttest, TpmtPublic, TpmtSignature, compute_name

WINDOWS = [
    "tpm/webauthn-fido2-tpm-windows-hello-nuvoton",
    "tpm/webauthn-pywebauthn-tpm-dell-xps-13",
    "tpm/webauthn-pywebauthn-tpm-ecc-nuvoton",
    "tpm/webauthn-pywebauthn-tpm-lenovo-carbon-x1",
    "tpm/webauthn-pywebauthn-tpm-surface-pro-4",
]
TELEPORT = "tpm/webauthn-teleport-tpm-windows-hello-chain-only"
SWTPM = [
    "swtpm/certify-ak-ecc-key-ecc",
    "swtpm/certify-ak-ecc-key-rsa",
    "swtpm/certify-ak-rsa-key-ecc",
    "swtpm/certify-ak-rsa-key-rsa",
]
SWTPM_EXTRA = hashlib.sha256(b"some-key-authorization").digest()


def windows(vector_id: str) -> tuple[dict[str, Any], bytes, Any]:
    """(attStmt, WebAuthn extraData, vector): extraData = H_alg(authData || clientDataHash)."""
    vector = load_vector(vector_id)
    raw = read_json(vector_id.replace("tpm/", "vectors/tpm/", 1) + "/attstmt.json")
    att_stmt: dict[str, Any] = {
        "alg": raw["alg"],
        "x5c": vector.x5c_der,
        "sig": bytes.fromhex(raw["sig_hex"]),
        "certInfo": bytes.fromhex(raw["certInfo_hex"]),
        "pubArea": bytes.fromhex(raw["pubArea_hex"]),
    }
    if raw.get("ver") is not None:
        att_stmt["ver"] = raw["ver"]
    digest = hashlib.sha1 if raw["alg"] == -65535 else hashlib.sha256  # WebAuthn: the alg's hash
    to_be_signed = bytes.fromhex(raw["authData_hex"]) + bytes.fromhex(raw["clientDataHash_hex"] or "")
    return att_stmt, digest(to_be_signed).digest(), vector


@pytest.mark.parametrize("vector_id", WINDOWS)
def test_windows_hello_verifies_end_to_end(vector_id: str) -> None:
    att_stmt, extra, vector = windows(vector_id)
    att_stmt.setdefault("ver", "2.0")  # python-fido2's copy of the attStmt dropped "ver"
    identity = tpm.verify_certify(att_stmt, extra, now=vector.now)
    decoded = vector.decoded
    details = identity.tpm
    assert details is not None
    assert details.manufacturer == decoded["tpm_manufacturer"]
    assert details.vendor == decoded["tpm_vendor"]
    assert details.model == decoded["tpm_model"]
    assert details.version == decoded["tpm_version"]
    assert details.manufacturer_id == int(decoded["tpm_manufacturer"][3:], 16)
    assert details.firmware_version == int(decoded["firmwareVersion"], 16)
    assert details.object_attributes == int(decoded["attested_key_objectAttributes"], 16)
    assert details.key_type == decoded["attested_key_type"]
    assert details.alg == -65535
    assert identity.fingerprint == decoded["fingerprint"]
    assert identity.identifiers == tuple(decoded["identifiers"]) == ()
    assert identity.relaxations == ("tpm-rs1", "tpm-bare-rsa-signature")
    assert len(identity.chain) == 3
    assert identity.chain[-1] == attestverify.roots.bundled("tpm")[0]


def test_fido2_copy_without_ver_fails_t1() -> None:
    att_stmt, extra, vector = windows("tpm/webauthn-fido2-tpm-windows-hello-nuvoton")
    assert "ver" not in att_stmt
    with pytest.raises(MalformedError) as exc:
        tpm.verify_certify(att_stmt, extra, now=vector.now)
    assert exc.value.check == "T1"


@pytest.mark.parametrize("vector_id", [*WINDOWS, TELEPORT])
def test_windows_hello_through_acme_verify_fails_t10(vector_id: str) -> None:
    # The attStmt shape is ACME's, but extraData holds the WebAuthn hash: T1-T9 pass, T10 fails.
    att_stmt, _, vector = windows(vector_id)
    att_stmt.setdefault("ver", "2.0")
    with pytest.raises(ChallengeMismatchError) as exc:
        attestverify.verify({"fmt": "tpm", "attStmt": att_stmt}, pki.KEY_AUTHORIZATION, now=vector.now)
    assert exc.value.code == "challenge-mismatch"
    assert exc.value.check == "T10"


@pytest.mark.parametrize("vector_id", [*WINDOWS, TELEPORT])
def test_windows_hello_rs1_disabled(vector_id: str) -> None:
    att_stmt, extra, vector = windows(vector_id)
    att_stmt.setdefault("ver", "2.0")
    with pytest.raises(PolicyError) as exc:
        tpm.verify_certify(att_stmt, extra, now=vector.now, allow_rs1=False)
    assert exc.value.check == "T2"


def test_teleport_passes_t1_to_t9_and_fails_t10() -> None:
    # No clientDataHash was published: any extraData fails T10, but only after T9 passed.
    att_stmt, extra, vector = windows(TELEPORT)
    with pytest.raises(ChallengeMismatchError) as exc:
        tpm.verify_certify(att_stmt, extra, now=vector.now)
    assert exc.value.check == "T10"
    info = TpmsAttest.parse(att_stmt["certInfo"])
    public = TpmtPublic.parse(att_stmt["pubArea"])
    assert info.name == compute_name(public.name_alg, att_stmt["pubArea"])  # T12 would pass
    assert info.firmware_version == int(vector.decoded["firmwareVersion"], 16)
    sig = bytearray(att_stmt["sig"])
    sig[10] ^= 0x01
    att_stmt["sig"] = bytes(sig)
    with pytest.raises(BadSignatureError) as sig_exc:
        tpm.verify_certify(att_stmt, extra, now=vector.now)
    assert sig_exc.value.check == "T9"


def test_windows_hello_expired_at_2026() -> None:
    att_stmt, extra, _ = windows("tpm/webauthn-pywebauthn-tpm-dell-xps-13")
    with pytest.raises(UntrustedChainError) as exc:
        tpm.verify_certify(att_stmt, extra, now=pki.NOW)
    assert exc.value.check == "T5"


def test_windows_hello_flipped_extra_data() -> None:
    att_stmt, extra, vector = windows("tpm/webauthn-pywebauthn-tpm-ecc-nuvoton")
    with pytest.raises(ChallengeMismatchError) as exc:
        tpm.verify_certify(att_stmt, bytes([extra[0] ^ 1]) + extra[1:], now=vector.now)
    assert exc.value.check == "T10"


# --- stored swtpm vectors ------------------------------------------------------------------


def swtpm_statement(vector_id: str) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    record = load_vector(vector_id).record
    raw = read_json("vectors/swtpm/swtpm_vectors.json")["vectors"][
        int(record["json_pointer"].rsplit("/", 1)[1])
    ]
    ak_public = TpmtPublic.parse(bytes.fromhex(raw["ak_pubArea"]))
    assert ak_public.object_attributes & 0x10000  # the AK is a restricted signing key
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    ak_key = load_pem_public_key(raw["ak_pem"].encode())
    root, intermediate = tpm_pki.test_ca("stored-swtpm")
    assert isinstance(ak_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey))
    cert = tpm_pki.ak_certificate(
        ak_key, intermediate, san=tpm_pki.tpm_directory("id:49424D00", "swtpm", "id:1")
    )
    att_stmt = {
        "ver": "2.0",
        "alg": -7 if raw["ak_alg"] == "ecc" else -257,
        "x5c": [cert.public_bytes(Encoding.DER), intermediate.der],
        "sig": bytes.fromhex(raw["sig"]),
        "certInfo": bytes.fromhex(raw["certInfo"]),
        "pubArea": bytes.fromhex(raw["pubArea"]),
    }
    return att_stmt, root.cert, record


@pytest.mark.parametrize("vector_id", SWTPM)
def test_stored_swtpm_vector_verifies(vector_id: str) -> None:
    att_stmt, root, record = swtpm_statement(vector_id)
    identity = tpm.verify_certify(att_stmt, SWTPM_EXTRA, roots=[root], now=pki.NOW)
    assert identity.fingerprint == record["decoded"]["fingerprint"]
    assert identity.tpm is not None
    assert identity.tpm.firmware_version == int(record["decoded"]["firmwareVersion"], 16)
    assert identity.tpm.object_attributes == int(record["decoded"]["attested_key_objectAttributes"], 16)
    assert identity.tpm.vendor == "IBM"


@pytest.mark.parametrize("vector_id", SWTPM)
def test_stored_swtpm_vector_other_binding(vector_id: str) -> None:
    att_stmt, root, _ = swtpm_statement(vector_id)
    with pytest.raises(ChallengeMismatchError) as exc:
        tpm.verify_certify(att_stmt, pki.KA_HASH, roots=[root], now=pki.NOW)
    assert exc.value.check == "T10"


@pytest.mark.parametrize("vector_id", SWTPM)
def test_stored_swtpm_vector_flipped_cert_info(vector_id: str) -> None:
    att_stmt, root, _ = swtpm_statement(vector_id)
    info = bytearray(att_stmt["certInfo"])
    info[-1] ^= 0x01
    att_stmt["certInfo"] = bytes(info)
    with pytest.raises(BadSignatureError) as exc:
        tpm.verify_certify(att_stmt, SWTPM_EXTRA, roots=[root], now=pki.NOW)
    assert exc.value.check == "T9"


# --- go-attestation: structures only ---------------------------------------------------------


def test_go_attestation_structures() -> None:
    data = read_json("vectors/tpm/go-attestation-windows-gcp-shielded-vm.json")
    record = load_vector("tpm/go-attestation-windows-gcp-shielded-vm").record
    ak_area = base64.b64decode(data["AK"]["Public"])
    ak = TpmtPublic.parse(ak_area)
    assert ak.object_attributes == int(record["decoded"]["ak_objectAttributes"], 16)
    assert (ak.key_bits, ak.symmetric, ak.scheme) == (2048, (0x0010,), (0x0014, 0x0004))
    assert ak.modulus is not None
    ak_key = rsa.RSAPublicNumbers(ak.exponent or 65537, int.from_bytes(ak.modulus, "big")).public_key()
    assert attestverify.fingerprint(ak_key) == record["decoded"]["ak_fingerprint"]
    for message_b64, sig_b64 in (
        (data["AK"]["CreateAttestation"], data["AK"]["CreateSignature"]),
        (data["Quote"]["Quote"], data["Quote"]["Signature"]),
    ):
        message = base64.b64decode(message_b64)
        sig = TpmtSignature.parse(base64.b64decode(sig_b64))
        assert (sig.sig_alg, sig.hash_alg) == (0x0014, 0x0004)
        assert sig.signature is not None
        ak_key.verify(sig.signature, message, padding.PKCS1v15(), hashes.SHA1())
        # Creation and quote attestations are not TPM_ST_ATTEST_CERTIFY: T8 refuses them.
        with pytest.raises(MalformedError) as exc:
            TpmsAttest.parse(message)
        assert exc.value.check == "T8"
