"""The pinned fallback validator (SPEC §5.3), called directly: profile details tier 1 never sees."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pki import NOT_AFTER, NOT_BEFORE, NOW, Issued, PrivateKey, ec_key, issue, name, raw_ext, root, rsa_key
from vectors import certificate
from x509_helpers import ECDSA_SHA256_NULL, RSA_SHA256, RSA_SHA256_ABSENT, RSA_SHA384, resign

from attestverify import certsig, pinned, pinnednode, x509path
from attestverify.errors import UntrustedChainError

FW_EXT = raw_ext("1.3.6.1.4.1.41482.3.3", b"\x05\x02\x04")


def search(leaf: x509.Certificate, cands: list[x509.Certificate], anchors: list[x509.Certificate],
           *enabled: str) -> tuple[tuple[x509.Certificate, ...], tuple[str, ...]]:  # fmt: skip
    return pinned.search(leaf, cands, anchors, NOW, check="T2", enabled=enabled)


def refused(leaf: x509.Certificate, cands: list[x509.Certificate], anchors: list[x509.Certificate],
            *enabled: str) -> UntrustedChainError:  # fmt: skip
    with pytest.raises(UntrustedChainError) as exc:
        search(leaf, cands, anchors, *enabled)
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == "T2"
    return exc.value


def test_pins_are_the_yubico_roots() -> None:
    computed = set()
    for ref in (
        "roots/yubico/yubico-piv-root-ca-serial-263751.pem",
        "roots/yubico/yubico-u2f-root-ca-serial-457200631.pem",
    ):
        spki = certificate(ref).public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        computed.add(hashlib.sha256(spki).hexdigest())
    assert computed == pinned.PINNED_F9_ANCHOR_SPKI_SHA256
    attestation_root_1 = certificate("roots/yubico/yubico-attestation-root-1.pem")
    assert (
        pinnednode.Node(attestation_root_1, "anchor").spki_sha256() not in pinned.PINNED_F9_ANCHOR_SPKI_SHA256
    )


def test_plain_chain_reports_no_relaxation() -> None:
    r = root("PRoot")
    leaf = issue(name("PLeaf"), ec_key("p256", "pleaf"), r)
    chain, used = search(leaf.cert, [], [r.cert])
    assert chain == (leaf.cert, r.cert) and used == ()


def _pss_leaf(
    r: Issued, hash_alg: hashes.HashAlgorithm, mgf_hash: hashes.HashAlgorithm, salt: int
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder().subject_name(name("PSSLeaf")).issuer_name(r.cert.subject)
        .public_key(ec_key("p256", "pssleaf").public_key()).serial_number(7)
        .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
    )  # fmt: skip
    pss = padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=salt)
    return builder.sign(r.key, hash_alg, rsa_padding=pss)  # type: ignore[arg-type]


def _rsa_root() -> Issued:
    return root("PSSRoot", rsa_key(2048, "pssroot"))


@pytest.mark.parametrize(
    "hash_alg", [hashes.SHA256(), hashes.SHA384(), hashes.SHA512()], ids=lambda h: h.name
)
def test_pss_explicit_parameters_accepted(hash_alg: hashes.HashAlgorithm) -> None:
    r = _rsa_root()
    leaf = _pss_leaf(r, hash_alg, hash_alg, hash_alg.digest_size)
    assert search(leaf, [], [r.cert])[1] == ()


def test_pss_salt_not_hash_length() -> None:
    r = _rsa_root()
    err = refused(_pss_leaf(r, hashes.SHA256(), hashes.SHA256(), 20), [], [r.cert])
    assert err.rule == "P7"
    assert "saltLength" in err.message


def test_pss_mgf_hash_differs() -> None:
    r = _rsa_root()
    err = refused(_pss_leaf(r, hashes.SHA256(), hashes.SHA384(), 32), [], [r.cert])
    assert err.rule == "P7"
    assert "MGF1" in err.message


def test_outer_algorithm_must_equal_tbs_signature() -> None:
    r = _rsa_root()
    leaf = issue(name("MismatchLeaf"), ec_key("p256", "mm"), r)
    forged = resign(leaf.cert, r.key, alg=RSA_SHA256, outer_alg=RSA_SHA384, hash_alg=hashes.SHA256())
    err = refused(forged, [], [r.cert])
    assert err.rule == "P7"
    assert "tbsCertificate.signature" in err.message


def test_absent_params_outside_only_refused() -> None:
    # SPEC v2 §5.3 (issue 12): the outer copy is unsigned; NULL inside + absent outside is not (c)
    # but a relay's edit, and the outer algorithm must equal the TBS one with no exception.
    r = _rsa_root()
    leaf = issue(name("HalfAbsent"), ec_key("p256", "ha"), r)
    forged = resign(leaf.cert, r.key, alg=RSA_SHA256, outer_alg=RSA_SHA256_ABSENT, hash_alg=hashes.SHA256())
    assert refused(forged, [], [r.cert], pinned.RSA_PARAMS_ABSENT).rule == "P7"


def test_ecdsa_with_null_parameters_refused() -> None:
    # cryptography 50 already refuses to parse such certificates (x5c -> malformed); the pinned
    # validator refuses them as well, should a caller-supplied certificate ever carry one.
    alg = certsig.SigAlg(
        oid="1.2.840.10045.4.3.2", params=b"\x05\x00", outer=ECDSA_SHA256_NULL, inner=ECDSA_SHA256_NULL
    )
    assert isinstance(certsig.verifier(alg, ec_key("p256", "enull").public_key()), str)
    plain = certsig.SigAlg(oid="1.2.840.10045.4.3.2", params=None, outer=b"", inner=b"")
    assert callable(certsig.verifier(plain, ec_key("p256", "enull").public_key()))


def test_rsa_algorithm_under_ec_key_refused() -> None:
    r = root("MixRoot", ec_key("p256", "mix"))
    leaf = issue(name("MixLeaf"), ec_key("p256", "mixl"), r)
    forged = resign(leaf.cert, rsa_key(2048, "mixsigner"), alg=RSA_SHA256, hash_alg=hashes.SHA256())
    assert refused(forged, [], [r.cert]).rule == "P7"


def test_signature_check_budget() -> None:
    r = root("BudgetRoot")
    real = issue(name("BudgetInter"), ec_key("p256", "budget-real"), r, ca=True)
    decoys = [issue(name("BudgetInter"), ec_key("p256", f"budget-{k}"), r, ca=True).cert for k in range(70)]
    leaf = issue(name("BudgetLeaf"), ec_key("p256", "budgetleaf"), real)
    assert search(leaf.cert, [real.cert], [r.cert])[0][1] == real.cert
    err = refused(leaf.cert, [*decoys, real.cert], [r.cert])
    assert err.rule == "P2"
    assert "64 signature checks" in err.message


@pytest.mark.parametrize(
    "ext",
    [
        x509.SubjectAlternativeName([x509.DNSName("a.example")]),
        x509.ExtendedKeyUsage([x509.ObjectIdentifier("2.23.133.8.3")]),
        x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("1.2.3"), None)]),
    ],
    ids=["san", "eku", "policies"],
)
def test_recognised_critical_extensions_pass(ext: x509.ExtensionType) -> None:
    r = root("RecRoot")
    leaf = issue(name("RecLeaf"), ec_key("p256", "rec"), r, extensions=[(ext, True)])
    assert search(leaf.cert, [], [r.cert])[1] == ()


def test_unknown_critical_extension_on_issuer() -> None:
    r = root("UCRoot")
    i = issue(
        name("UCInter"), ec_key("p256", "uci"), r, ca=True, extensions=[raw_ext("1.2.3.9", b"\x05\x00", True)]
    )
    leaf = issue(name("UCLeaf"), ec_key("p256", "ucl"), i)
    assert refused(leaf.cert, [i.cert], [r.cert]).rule == "P6"


@pytest.mark.parametrize("critical", [False, True])
def test_name_constraints_refused_at_any_criticality(critical: bool) -> None:
    r = root("NCPRoot")
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None)
    i = issue(name("NCPInter"), ec_key("p256", "ncpi"), r, ca=True, extensions=[(nc, critical)])
    leaf = issue(name("NCPLeaf"), ec_key("p256", "ncpl"), i)
    with pytest.raises(pinned.UnimplementedExtensionError) as exc:
        search(leaf.cert, [i.cert], [r.cert])
    assert exc.value.rule == "P5"


@pytest.mark.parametrize("critical", [False, True])
def test_policy_constraints_refused_at_any_criticality(critical: bool) -> None:
    r = root("PCRoot")
    pc = x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None)
    i = issue(name("PCInter"), ec_key("p256", "pci"), r, ca=True, extensions=[(pc, critical)])
    leaf = issue(name("PCLeaf"), ec_key("p256", "pcl"), i)
    assert refused(leaf.cert, [i.cert], [r.cert]).rule == "P5"


def test_sha1_needs_enabling() -> None:
    from x509_helpers import RSA_SHA1

    r = _rsa_root()
    leaf = issue(name("S1Leaf"), ec_key("p256", "s1"), r)
    forged = resign(leaf.cert, r.key, alg=RSA_SHA1, hash_alg=hashes.SHA1())
    assert refused(forged, [], [r.cert]).rule == "P7"
    assert search(forged, [], [r.cert], pinned.SHA1_CHAIN)[1] == ("tpm-sha1-chain",)


# ---- relaxation (a), with a test root standing in for a pinned Yubico root


@pytest.fixture
def pinned_root(monkeypatch: pytest.MonkeyPatch) -> Issued:
    r = root("PinRoot", rsa_key(2048, "pinroot"))
    digest = pinnednode.Node(r.cert, "anchor").spki_sha256()
    monkeypatch.setattr(pinned, "PINNED_F9_ANCHOR_SPKI_SHA256", frozenset({digest}))
    return r


def _f9(r: Issued, *extra: tuple[x509.ExtensionType, bool], fw: bool = True) -> Issued:
    exts = [FW_EXT, *extra] if fw else list(extra)
    return issue(name("PinF9"), rsa_key(2048, "pinf9"), r, ca=None, extensions=exts)


def _slot(f9: Issued, ca: bool | None = None) -> Issued:
    return issue(name("PinSlot"), ec_key("p256", "pinslot"), f9, ca=ca, extensions=[FW_EXT])


def test_legacy_f9_accepted(pinned_root: Issued) -> None:
    f9 = _f9(pinned_root)
    leaf = _slot(f9)
    chain, used = search(leaf.cert, [f9.cert], [pinned_root.cert], pinned.LEGACY_F9)
    assert chain == (leaf.cert, f9.cert, pinned_root.cert)
    assert used == ("yubikey-legacy-f9",)


def test_legacy_f9_disabled(pinned_root: Issued) -> None:
    f9 = _f9(pinned_root)
    assert refused(_slot(f9).cert, [f9.cert], [pinned_root.cert]).rule == "P5"


def test_legacy_f9_without_firmware_extension(pinned_root: Issued) -> None:
    f9 = _f9(pinned_root, fw=False)
    err = refused(_slot(f9).cert, [f9.cert], [pinned_root.cert], pinned.LEGACY_F9)
    assert err.rule == "P5"
    assert "41482.3.3" in err.message


def test_legacy_f9_with_critical_extension(pinned_root: Issued) -> None:
    f9 = _f9(pinned_root, (x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.2.3")]), True))
    assert refused(_slot(f9).cert, [f9.cert], [pinned_root.cert], pinned.LEGACY_F9).rule == "P5"


def test_legacy_f9_key_usage_without_cert_sign(pinned_root: Issued) -> None:
    ku = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    f9 = _f9(pinned_root, (ku, False))
    err = refused(_slot(f9).cert, [f9.cert], [pinned_root.cert], pinned.LEGACY_F9)
    assert err.rule == "P5"
    assert "keyCertSign" in err.message


def test_legacy_f9_leaf_must_not_be_ca(pinned_root: Issued) -> None:
    f9 = _f9(pinned_root)
    assert refused(_slot(f9, ca=True).cert, [f9.cert], [pinned_root.cert], pinned.LEGACY_F9).rule == "P5"


def test_legacy_f9_under_unpinned_anchor(pinned_root: Issued) -> None:
    other = root("UnpinnedRoot", rsa_key(2048, "unpinned"))
    f9 = _f9(other)
    err = refused(_slot(f9).cert, [f9.cert], [other.cert, pinned_root.cert], pinned.LEGACY_F9)
    assert err.rule == "P5"


def test_legacy_f9_only_directly_above_leaf(pinned_root: Issued) -> None:
    f9 = _f9(pinned_root)
    slot = _slot(f9)
    forged = issue(name("PinForged"), ec_key("p256", "pinforged"), slot)
    assert refused(forged.cert, [slot.cert, f9.cert], [pinned_root.cert], pinned.LEGACY_F9).rule == "P5"


def test_anchor_without_basic_constraints_never_relaxed(pinned_root: Issued) -> None:
    bare = issue(name("BareRoot"), rsa_key(2048, "pinroot"), None, ca=None)
    leaf = issue(name("BareLeaf"), ec_key("p256", "bare"), bare, extensions=[FW_EXT])
    assert refused(leaf.cert, [], [bare.cert], pinned.LEGACY_F9).rule == "P1"


# --- from the first review, R1: pinned validator cost

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


def _count_alg_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = certsig.sig_alg

    def counting(cert: x509.Certificate) -> certsig.SigAlg | None:
        calls[0] += 1
        return original(cert)

    monkeypatch.setattr(certsig, "sig_alg", counting)
    return calls


def _search_crafted_pool() -> tuple[UntrustedChainError, int]:
    leaf, candidates = _crafted_pool()
    with pytest.raises(UntrustedChainError) as exc:
        pinned.search(leaf, candidates, [root("ReviewPoolRoot").cert], NOW, check="T5")
    return exc.value, len(candidates)


def test_r1_pinned_search_parses_each_algorithm_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """R1 (SPEC §5.3 budget, §3.2 limits): the pinned validator re-parsed the signature
    AlgorithmIdentifier (asn1crypto) of a certificate for every candidate issuer it tried, so
    10 x5c + 256 intermediates cost ~9 000 parses per call while staying within the 64
    signature checks. Each certificate must be parsed at most once per search: the parses are
    counted (the cost), not timed (CI runs loaded)."""
    calls = _count_alg_parses(monkeypatch)
    error, pool = _search_crafted_pool()
    assert error.check == "T5"
    assert error.rule == "P2"  # the 64-check budget is what ends it
    assert calls[0] <= pool + 1, calls[0]


def test_r1_parse_counter_sees_a_search_without_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The count above catches R1: with the per-node cache of the algorithm removed (a parse per
    candidate issuer tried, the old behaviour) it is far above one parse per certificate."""
    calls = _count_alg_parses(monkeypatch)
    monkeypatch.setattr(pinnednode.Node, "alg", property(lambda node: certsig.sig_alg(node.cert)))
    _, pool = _search_crafted_pool()
    assert calls[0] > 2 * (pool + 1), calls[0]


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
