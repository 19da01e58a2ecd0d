"""Findings of the adversarial security review (one test per finding, each fails before its fix).

Every test names the finding and the SPEC rule in its docstring.
"""

from __future__ import annotations

import json
import time

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pki import NOT_AFTER, NOT_BEFORE, NOW, PrivateKey, ec_key, issue, name, root, rsa_key
from x509_helpers import (
    ECDSA_SHA256,
    RSA_SHA256,
    RSA_SHA256_ABSENT,
    RSA_SHA384,
    der_len,
    resign,
    seq,
    tlvs,
    unwrap,
)

import attestverify
from attestverify import certsig, pinned, x509path
from attestverify.csr import verify_csr
from attestverify.errors import MalformedError, PolicyError, UntrustedChainError
from attestverify.identity import PERMANENT_IDENTIFIER, AcmeIdentifier, DeviceIdentity

# ------------------------------------------------------------------ R1: pinned validator cost

_X = name("ReviewX")


def _self_named_ca(serial: int, signer: PrivateKey, key: PrivateKey) -> x509.Certificate:
    # Subject and issuer both X: every such certificate is a candidate issuer of every other.
    builder = (
        x509.CertificateBuilder().subject_name(_X).issuer_name(_X).public_key(key.public_key())
        .serial_number(serial).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )  # fmt: skip
    return builder.sign(signer, hashes.SHA256())


def _crafted_pool() -> tuple[x509.Certificate, list[x509.Certificate]]:
    """9 mutually verifying RSA CAs (x5c) + 256 EC CAs with the same name (intermediates)."""
    rsa_signer = rsa_key(2048, "review-pool-rsa")
    ec_keys = [ec_key("p256", f"review-pool-ec{i}") for i in range(4)]
    verifying = [_self_named_ca(i + 1, rsa_signer, rsa_signer) for i in range(9)]
    decoys = [_self_named_ca(100 + i, ec_keys[i % 4], ec_keys[i % 4]) for i in range(256)]
    leaf = (
        x509.CertificateBuilder().subject_name(name("ReviewPoolLeaf")).issuer_name(_X)
        .public_key(ec_key("p256", "review-pool-leaf").public_key()).serial_number(5)
        .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER).sign(rsa_signer, hashes.SHA256())
    )  # fmt: skip
    return leaf, verifying + decoys


def test_r1_pinned_search_parses_each_algorithm_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """R1 (SPEC §5.3 budget, §3.2 limits): the pinned validator re-parsed the signature
    AlgorithmIdentifier (asn1crypto) of a certificate for every candidate issuer it tried, so
    10 x5c + 256 intermediates cost ~9 000 parses (~0.4-0.6 s) per call while staying within
    the 64 signature checks. Each certificate must be parsed at most once per search."""
    leaf, candidates = _crafted_pool()
    calls = 0
    original = certsig.sig_alg

    def counting(cert: x509.Certificate) -> certsig.SigAlg | None:
        nonlocal calls
        calls += 1
        return original(cert)

    monkeypatch.setattr(certsig, "sig_alg", counting)
    anchor = root("ReviewPoolRoot").cert
    start = time.perf_counter()
    with pytest.raises(UntrustedChainError) as exc:
        pinned.search(leaf, candidates, [anchor], NOW, check="T5")
    elapsed = time.perf_counter() - start
    assert exc.value.check == "T5"
    assert exc.value.rule == "P2"  # the 64-check budget is what ends it
    assert calls <= len(candidates) + 1, calls
    assert elapsed < 0.3, elapsed


def test_r1_duplicate_candidates_do_not_spend_the_budget_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """R1 (SPEC §5.3 "each certificate once per path", P2): validate_path handed the pinned
    validator the candidates without removing duplicates, so a certificate repeated in x5c and
    intermediates was tried (and signature-checked) once per copy."""
    r = root("ReviewDupRoot", rsa_key(2048, "review-dup-root"))
    inter = issue(name("ReviewDupInter"), rsa_key(2048, "review-dup-inter"), r, ca=True)
    wrong = issue(name("ReviewDupInter"), rsa_key(2048, "review-dup-wrong"), r, ca=True)
    leaf = issue(name("ReviewDupLeaf"), ec_key("p256", "review-dup-leaf"), inter)
    forged = resign(leaf.cert, inter.key, alg=RSA_SHA256_ABSENT, hash_alg=hashes.SHA256())
    checks = 0
    original = certsig.verifier

    def counting(alg: certsig.SigAlg, key: object) -> object:
        verify = original(alg, key)
        if isinstance(verify, str):
            return verify

        def run(sig: bytes, data: bytes) -> None:
            nonlocal checks
            checks += 1
            verify(sig, data)

        return run

    monkeypatch.setattr(certsig, "verifier", counting)
    path = x509path.validate_path(forged, [wrong.cert] * 20 + [inter.cert], [r.cert], NOW, check="S4")
    assert path.relaxations == ("rsa-sig-params-absent",)
    assert checks <= 3, checks


# ------------------------------------------------------------------ R2: CSR with two extension requests

_EXT_REQ = bytes.fromhex("06092a864886f70d01090e")  # 1.2.840.113549.1.9.14 extensionRequest
_MS_EXT_REQ = bytes.fromhex("060a2b0601040182370201 0e".replace(" ", ""))  # 1.3.6.1.4.1.311.2.1.14


def _csr_parts(request: x509.CertificateSigningRequest) -> tuple[bytes, bytes, bytes, list[bytes]]:
    version, subject, spki, attributes = tlvs(unwrap(tlvs(unwrap(request.public_bytes(Encoding.DER)))[0]))
    return version, subject, spki, tlvs(unwrap(attributes))


def _signed_csr(key: ec.EllipticCurvePrivateKey, parts: list[bytes]) -> bytes:
    info = seq(parts)
    signature = key.sign(info, ec.ECDSA(hashes.SHA256()))
    return seq([info, ECDSA_SHA256, b"\x03" + der_len(len(signature) + 1) + b"\x00" + signature])


def _with_oid(attribute: bytes, oid_tlv: bytes) -> bytes:
    _, values = tlvs(unwrap(attribute))
    return seq([oid_tlv, values])


@pytest.mark.parametrize("second", ["extensionRequest", "msExtReq-first"])
def test_r2_csr_with_two_extension_requests_is_malformed(second: str) -> None:
    """R2 (SPEC §2.4 C1, C8): `cryptography` reads only the first extensionRequest (or
    msExtReq) attribute of a CSR and silently ignores another, while e.g. Go's x509 (step-ca)
    merges every extensionRequest. A CSR whose second attribute requests a DNS SAN passed C8
    here and could be issued with that SAN downstream. Such a CSR is ambiguous: C1."""
    key = ec_key("p256", "review-csr")
    identity = DeviceIdentity.build(
        format="tpm",
        public_key=key.public_key(),
        chain=(root("ReviewCsrRoot").cert,),
        acme_identifiers=(AcmeIdentifier(PERMANENT_IDENTIFIER, "dev-1"),),
    )
    clean = (
        x509.CertificateSigningRequestBuilder().subject_name(name())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    dirty = (
        x509.CertificateSigningRequestBuilder().subject_name(name())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("evil.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    verify_csr(identity, clean)
    version, subject, spki, clean_attrs = _csr_parts(clean)
    dirty_attrs = _csr_parts(dirty)[3]
    if second == "extensionRequest":
        attributes = clean_attrs + dirty_attrs
    else:  # msExtReq first (cryptography reads it), extensionRequest second (Go reads it)
        attributes = [_with_oid(clean_attrs[0], _MS_EXT_REQ), dirty_attrs[0]]
    smuggled = _signed_csr(key, [version, subject, spki, seq(attributes, tag=0xA0)])
    request = x509.load_der_x509_csr(smuggled)
    assert request.is_signature_valid
    assert not any(isinstance(e.value, x509.SubjectAlternativeName) for e in request.extensions)
    with pytest.raises(MalformedError) as exc:
        verify_csr(identity, smuggled)
    assert exc.value.code == "malformed"
    assert exc.value.check == "C1"


def test_r2_single_ms_ext_req_still_checked() -> None:
    """R2 (SPEC §2.4 C8): a lone msExtReq attribute is read by `cryptography`; its DNS SAN
    must still be refused (the fix must not drop this path)."""
    key = ec_key("p256", "review-csr")
    chain = (root("ReviewCsrRoot").cert,)
    identity = DeviceIdentity.build(format="tpm", public_key=key.public_key(), chain=chain)
    dirty = (
        x509.CertificateSigningRequestBuilder().subject_name(name())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("evil.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    version, subject, spki, attrs = _csr_parts(dirty)
    ms_only = _signed_csr(key, [version, subject, spki, seq([_with_oid(attrs[0], _MS_EXT_REQ)], tag=0xA0)])
    with pytest.raises(PolicyError) as exc:
        verify_csr(identity, ms_only)
    assert exc.value.check == "C8"


# ------------------------------------------------------------------ R3: inspect() and huge RSA exponents


def test_r3_inspect_result_is_json_serializable_with_huge_exponent() -> None:
    """R3 (SPEC §2.6 inspect "JSON-serializable dict", §2.3): a certificate whose RSA exponent
    has more than ~14 000 bits made `inspect()` return an int that `json.dumps` refuses
    (Python's int-to-str digit limit), so `attestverify inspect --json` crashed with a
    traceback instead of printing."""
    modulus = (1 << 16383) | 0xF1  # any odd 16 384-bit number: the key is only displayed
    huge = rsa.RSAPublicNumbers((1 << 15000) + 1, modulus).public_key()
    cert = (
        x509.CertificateBuilder().subject_name(name("ReviewHugeE")).issuer_name(name("ReviewSigner"))
        .public_key(huge).serial_number(1).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
        .sign(ec_key("p256", "review-huge-signer"), hashes.SHA256())
    )  # fmt: skip
    statement = cbor2.dumps({"fmt": "apple", "attStmt": {"x5c": [cert.public_bytes(Encoding.DER)]}})
    result = attestverify.inspect(statement)
    text = json.dumps(result)
    assert "RSA" in text
    key = result["certificates"][0]["key"]
    assert key["size"] == 16384
    assert isinstance(key["exponent"], str) and key["exponent"].startswith("0x1000")
    usual = root("ReviewSmallE", rsa_key(2048, "review-e")).der
    small = attestverify.inspect(cbor2.dumps({"fmt": "apple", "attStmt": {"x5c": [usual]}}))
    assert small["certificates"][0]["key"]["exponent"] == 65537


# ------------------------------------------------------------------ R4: absent NULL inside the TBS only


def test_r4_absent_rsa_params_inside_tbs_only_is_refused() -> None:
    """R4, tightened by issue 12 (SPEC v2 §5.3: the outer signatureAlgorithm equals
    tbsCertificate.signature byte for byte, with no exception for (c)): absent parameters inside
    the TBS with NULL outside is a mismatch (P7) in the pinned validator, as absent outside only."""
    r = root("ReviewInnerRoot", rsa_key(2048, "review-inner-root"))
    inter = issue(name("ReviewInnerInter"), rsa_key(2048, "review-inner-inter"), r, ca=True)
    leaf = issue(name("ReviewInnerLeaf"), ec_key("p256", "review-inner-leaf"), inter)
    sha256 = hashes.SHA256()
    inner_absent = resign(leaf.cert, inter.key, alg=RSA_SHA256_ABSENT, hash_alg=sha256, outer_alg=RSA_SHA256)
    with pytest.raises(UntrustedChainError) as mismatch:
        x509path.validate_path(inner_absent, [inter.cert], [r.cert], NOW, check="A3")
    assert mismatch.value.rule == "P7"
    both_absent = resign(leaf.cert, inter.key, alg=RSA_SHA256_ABSENT, hash_alg=sha256)
    path = x509path.validate_path(both_absent, [inter.cert], [r.cert], NOW, check="A3")
    assert path.relaxations == ("rsa-sig-params-absent",)
    # Another hash inside than outside is still a mismatch, absent parameters or not.
    mixed = resign(leaf.cert, inter.key, alg=RSA_SHA256_ABSENT, hash_alg=sha256, outer_alg=RSA_SHA384)
    with pytest.raises(UntrustedChainError) as exc:
        x509path.validate_path(mixed, [inter.cert], [r.cert], NOW, check="A3")
    assert exc.value.check == "A3"
    assert exc.value.rule == "P7"


# ------------------------------------------------------------------ confirmation: the explaining run


def test_explaining_run_never_turns_a_rejection_into_acceptance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Confirmation of SPEC §5.3 ("run only after cryptography rejected the chain and some
    candidate shows the trigger of an enabled relaxation"): without a trigger the pinned
    validator still runs, only to name the certificate and rule; even when it finds a path,
    tier 1's rejection stands (rule from tier 1's reason)."""
    reason = "simulated: certificate not valid at validation time"
    monkeypatch.setattr(x509path, "_tier1", lambda *a: (None, reason))
    r = root("ReviewExplainRoot", rsa_key(2048, "review-explain-root"))
    inter = issue(name("ReviewExplainInter"), rsa_key(2048, "review-explain-inter"), r, ca=True)
    leaf = issue(name("ReviewExplainLeaf"), ec_key("p256", "review-explain-leaf"), inter)
    assert pinned.search(leaf.cert, [inter.cert], [r.cert], NOW, check="S4") == (
        (leaf.cert, inter.cert, r.cert),
        (),
    )
    for flags in ({}, {"allow_legacy_f9": True}, {"allow_sha1": True}):
        with pytest.raises(UntrustedChainError) as exc:
            x509path.validate_path(leaf.cert, [inter.cert], [r.cert], NOW, check="S4", **flags)
        assert exc.value.check == "S4"
        assert exc.value.rule == "P4"
        assert "simulated" in exc.value.message
