"""Every real vector of testdata/vectors/MANIFEST.json gets its documented outcome.

The format test files cover the vectors of their format in depth (test_step_vectors.py,
test_tpm_vectors.py, test_apple.py). This file covers the rest of the collection and makes sure
no vector is left unclassified when the collection grows.
"""

from __future__ import annotations

import base64

import pki
import pytest
from cryptography import x509
from vectors import load_vector, manifest, read_bytes, read_json

import attestverify

# Vectors whose outcome is asserted in depth elsewhere (file named per prefix).
COVERED_ELSEWHERE = {
    "step/": "tests/test_step_vectors.py",
    "apple/": "tests/test_apple.py",
    "tpm/webauthn-": "tests/test_tpm_vectors.py",
    "webauthn/fido2-tpm-": "tests/test_tpm_vectors.py",
    "webauthn/pywebauthn-tpm-": "tests/test_tpm_vectors.py",
    "webauthn/teleport-tpm-": "tests/test_tpm_vectors.py",
    "swtpm/certify-": "tests/test_tpm_vectors.py",
    "tpm/go-attestation-": "tests/test_tpm_vectors.py",
}
NON_ACME_WEBAUTHN = sorted(
    i for i, v in manifest().items() if i.startswith("webauthn/") and v.get("acme_format") is None
)
ANDROID = sorted(i for i in manifest() if i.startswith("android-key/"))
EK_CERTIFICATES = [
    "tpm/keylime-infineon-ek-ecc",
    "tpm/keylime-infineon-slb9670-ek-rsa",
    "tpm/keylime-stm-ek-ecc",
    "swtpm/ek-rsa2048",
    "swtpm/ek-secp384r1",
]
UNPARSEABLE = ["tpm/keylime-nuvoton-root-ca-2110-non-der", "tpm/keylime-stm-ek-rsa-with-ff-padding"]


def test_every_manifest_vector_is_classified() -> None:
    """A new vector must get a test: nothing in the manifest is silently skipped."""
    swept = set(NON_ACME_WEBAUTHN) | set(ANDROID) | set(EK_CERTIFICATES) | set(UNPARSEABLE)
    for vector_id in manifest():
        elsewhere = any(vector_id.startswith(prefix) for prefix in COVERED_ELSEWHERE)
        assert elsewhere != (vector_id in swept), vector_id
    assert len(manifest()) == 56


@pytest.mark.parametrize("vector_id", NON_ACME_WEBAUTHN)
def test_webauthn_formats_that_are_not_acme_formats_are_unsupported(vector_id: str) -> None:
    """packed, fido-u2f, android-key, android-safetynet and WebAuthn `apple` (anonymous) → D5."""
    vector = load_vector(vector_id)
    doc = read_json(vector.record["files"][0])
    if "registration_response" in doc:  # py_webauthn captures: the browser's base64url attestationObject
        text = doc["registration_response"]["response"]["attestationObject"]
        att_obj = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    else:  # python-fido2 captures: a canonical re-encoding in standard base64
        att_obj = base64.b64decode(doc["attestationObject_b64_rebuilt"])
    if vector.decoded.get("fmt", vector.record["format"].split()[-1]) == "apple":
        # WebAuthn's anonymous Apple format shares the fmt string "apple" with Apple MDA, so it is
        # dispatched to the apple verifier; its Apple WebAuthn CA is not under the Enterprise
        # Attestation root (the manifest's "unsupported-format" cannot happen for this fmt).
        with pytest.raises(attestverify.UntrustedChainError) as chain_exc:
            attestverify.verify(att_obj, pki.KEY_AUTHORIZATION, now=vector.now)
        assert chain_exc.value.check == "A3"
        return
    with pytest.raises(attestverify.UnsupportedFormatError) as exc:
        attestverify.verify(att_obj, pki.KEY_AUTHORIZATION, now=vector.now)
    assert exc.value.check == "D5"


@pytest.mark.parametrize("vector_id", ANDROID)
def test_android_key_chains_through_verify(vector_id: str) -> None:
    """Not enabled by default (D5); listed, their challenge is not an ACME key authorization (K11),
    and the software-attested one fails K8 under its own root. tests/test_android.py verifies them
    through `android.verify_chain` with their own challenge."""
    vector = load_vector(vector_id)
    statement = {"fmt": "android-key", "attStmt": {"alg": -7, "sig": b"\x30" * 8, "x5c": vector.x5c_der}}
    with pytest.raises(attestverify.UnsupportedFormatError) as exc:
        attestverify.verify(statement, pki.KEY_AUTHORIZATION, now=vector.now)
    assert exc.value.check == "D5"
    software = "marlin" in vector_id
    with pytest.raises(
        attestverify.PolicyError if software else attestverify.ChallengeMismatchError
    ) as failed:
        attestverify.verify(
            statement,
            pki.KEY_AUTHORIZATION,
            {
                "android-key": [x509.load_der_x509_certificate(vector.x5c_der[-1])]
                if software
                else [vector.anchor]
            },
            now=vector.now,
            formats=("android-key",),
            android_status=attestverify.android.STATUS_UNCHECKED,
            android_allow_unverified_boot=True,
        )
    assert failed.value.check == ("K8" if software else "K11")


def _as_ak_statement(x5c: list[bytes]) -> dict[str, object]:
    # Well-formed sizes for T4; the chain and the AK profile are checked before the blobs (T5, T6).
    return {
        "fmt": "tpm",
        "attStmt": {"ver": "2.0", "alg": -257, "x5c": x5c, "sig": b"\x00" * 8, "certInfo": b"\x00" * 8,
                    "pubArea": b"\x00" * 8},
    }  # fmt: skip


@pytest.mark.parametrize("vector_id", EK_CERTIFICATES)
def test_ek_certificates_never_pass_as_attestation_keys(vector_id: str) -> None:
    """An EK chain is not an AK chain: untrusted with the bundled roots, T6 under its own vendor root."""
    vector = load_vector(vector_id)
    statement = _as_ak_statement(vector.x5c_der)
    with pytest.raises(attestverify.UntrustedChainError) as exc:
        attestverify.verify(statement, pki.KEY_AUTHORIZATION, now=vector.now)
    assert exc.value.check == "T5"
    with pytest.raises(attestverify.PolicyError) as exc2:
        attestverify.verify(
            statement,
            pki.KEY_AUTHORIZATION,
            {"tpm": [vector.anchor]},
            now=vector.now,
            tpm_allow_sha1_chain=True,
        )
    assert exc2.value.check == "T6"


@pytest.mark.parametrize("vector_id", UNPARSEABLE)
def test_non_der_vendor_certificates_are_malformed(vector_id: str) -> None:
    """Non-DER encodings (set ordering, 0xFF NV padding after the DER) fail T3, never crash."""
    vector = load_vector(vector_id)
    raw = read_bytes(vector.record["files"][0])
    if b"-----BEGIN" in raw:
        body = b"".join(line for line in raw.splitlines() if line and not line.startswith(b"-----"))
        raw = base64.b64decode(body)
    with pytest.raises(attestverify.MalformedError) as exc:
        attestverify.verify(_as_ak_statement([raw]), pki.KEY_AUTHORIZATION, now=pki.NOW)
    assert exc.value.check == "T3"


def test_stm_ek_with_padding_trimmed_parses() -> None:
    """Control for the padding case: cut at the DER length, the same certificate parses (then fails T5)."""
    raw = read_bytes(load_vector("tpm/keylime-stm-ek-rsa-with-ff-padding").record["files"][0])
    assert raw[:2] == b"\x30\x82"  # SEQUENCE with a two-byte length
    der = raw[: 4 + int.from_bytes(raw[2:4], "big")]
    assert len(der) < len(raw) and set(raw[len(der) :]) == {0xFF}
    with pytest.raises(attestverify.UntrustedChainError) as exc:
        attestverify.verify(_as_ak_statement([der]), pki.KEY_AUTHORIZATION, now=pki.NOW)
    assert exc.value.check == "T5"
