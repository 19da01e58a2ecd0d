"""SPEC §7 "Security regressions", each its own test, end to end through the public API.

Many are also unit-tested next to their module (test_step.py, test_tpm.py, test_x509path.py,
test_csr.py, test_cbor.py); this file is the one list of them all, run through
`attestverify.verify` / `verify_csr` as a server would call them. The second half runs the
§5.3 must-reject list through `verify()` for every format that validates paths (apple, step,
tpm); test_x509path.py covers the same list at the `validate_path` level only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import cbor2
import pki
import pytest
import statements
import tpm_pki
import yubikey_pki as yk
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pki import KEY_AUTHORIZATION, NOW, Issued, ec_key, ed25519_key, issue, name, raw_ext, root, rsa_key
from workcount import PublicKeyOps
from x509_helpers import RSA_SHA1, RSA_SHA256_ABSENT, build, flip_signature_bit, resign, resigned

import attestverify
from attestverify import pathcache, pinned, pinnednode
from attestverify.errors import (
    AttestationError,
    IdentifierMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
    UsageError,
)

CHAIN_CHECK = {"apple": "A3", "step": "S4", "tpm": "T5"}
PARSE_CHECK = {"apple": "A2", "step": "S2", "tpm": "T3"}
FORMATS = ("apple", "step", "tpm")
_BASE = {"apple": statements.apple, "step": statements.step, "tpm": statements.tpm_generated}


def der(cert: x509.Certificate | Issued) -> bytes:
    return cert.der if isinstance(cert, Issued) else cert.public_bytes(Encoding.DER)


def with_x5c(fmt: str, x5c: list[bytes]) -> dict[str, Any]:
    """A valid statement of `fmt` whose x5c is replaced (every other field stays well-formed)."""
    obj = _BASE[fmt]().fresh()
    obj["attStmt"]["x5c"] = x5c
    return obj


def run(
    fmt: str, x5c: list[bytes], anchors: list[x509.Certificate], **kw: Any
) -> attestverify.DeviceIdentity:
    kw.setdefault("now", NOW)
    return attestverify.verify(with_x5c(fmt, x5c), KEY_AUTHORIZATION, {fmt: anchors}, **kw)


def untrusted(fmt: str, x5c: list[bytes], anchors: list[x509.Certificate], **kw: Any) -> UntrustedChainError:
    with pytest.raises(UntrustedChainError) as exc:
        run(fmt, x5c, anchors, **kw)
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == CHAIN_CHECK[fmt]
    assert exc.value.format == fmt
    return exc.value


def passes_chain(fmt: str, x5c: list[bytes], anchors: list[x509.Certificate], **kw: Any) -> None:
    """Control: the unmutated chain gets past path validation (later checks may still fail)."""
    try:
        run(fmt, x5c, anchors, **kw)
    except UntrustedChainError as err:
        pytest.fail(f"control chain rejected: {err}")
    except AttestationError as err:
        assert err.check != CHAIN_CHECK[fmt]


# ============================================================================================
# SPEC §7 security regressions
# ============================================================================================


def _roca_public() -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(65537, tpm_pki.roca_modulus()).public_key()


def test_roca_rsa_step_leaf_is_policy() -> None:
    """Regression: ROCA (CVE-2017-15361, YSA-2017-01) RSA key as the step slot leaf → policy S5."""
    tree = yk.legacy_tree("p256")
    leaf = yk.leaf(tree.f9, public_key=_roca_public())
    with pytest.raises(PolicyError) as exc:
        attestverify.verify(yk.att_obj([leaf.der, tree.f9.der], b"\x01" * 256), KEY_AUTHORIZATION,
                            {"step": [tree.root.cert]}, now=NOW)  # fmt: skip
    assert exc.value.code == "policy"
    assert exc.value.check == "S5"


def test_roca_rsa_tpm_ak_is_policy() -> None:
    """Regression: ROCA-fingerprint AK (Infineon TPM before the 2017 fix) → policy T6."""
    _, intermediate = tpm_pki.test_ca()
    st = tpm_pki.statement(ak_cert=tpm_pki.ak_certificate(_roca_public(), intermediate), alg=-257)
    with pytest.raises(PolicyError) as exc:
        attestverify.verify(st.attobj(), KEY_AUTHORIZATION, {"tpm": [st.root]}, now=NOW)
    assert exc.value.code == "policy"
    assert exc.value.check == "T6"


def test_roca_rsa_tpm_attested_key_is_policy() -> None:
    """Regression: ROCA-fingerprint attested key in pubArea → policy T13."""
    st = tpm_pki.statement(area=tpm_pki.pub_area(_roca_public()))
    with pytest.raises(PolicyError) as exc:
        attestverify.verify(st.attobj(), KEY_AUTHORIZATION, {"tpm": [st.root]}, now=NOW)
    assert exc.value.code == "policy"
    assert exc.value.check == "T13"


def test_rsa_step_leaf_with_firmware_434_is_policy() -> None:
    """Regression: YubiKey firmware < 4.3.5 generated weak RSA keys (YSA-2017-01) → policy S5,
    while the same key under firmware 4.3.5 verifies (control)."""
    tree = yk.legacy_tree("p256")
    key = yk.slot_key("rsa2048")
    for fw, fails in (((4, 3, 4), True), ((4, 3, 5), False)):
        leaf = yk.leaf(tree.f9, key, extensions=yk.yubico_leaf_extensions(fw=fw))
        statement = yk.att_obj([leaf.der, tree.f9.der], yk.sign(key))
        roots = {"step": [tree.root.cert]}
        if fails:
            with pytest.raises(PolicyError) as exc:
                attestverify.verify(statement, KEY_AUTHORIZATION, roots, now=NOW)
            assert exc.value.check == "S5"
        else:
            details = attestverify.verify(statement, KEY_AUTHORIZATION, roots, now=NOW).step
            assert details is not None and details.firmware_version == (4, 3, 5)


def _huge_exponent_x5c(anchor: Issued, leaf_key: Any) -> list[bytes]:
    """leaf + 9 CA certificates whose RSA keys have a 2000-bit public exponent (P7 bound)."""
    signer = rsa_key(2048, "huge-signer")

    def huge(label: str) -> rsa.RSAPublicKey:
        n = rsa_key(2048, label).public_key().public_numbers().n
        return rsa.RSAPublicNumbers((1 << 2000) + 1, n).public_key()

    ca = ((x509.BasicConstraints(True, None), True),)
    certs = [build(name("Huge9"), anchor.cert.subject, huge("huge9"), signer, extensions=ca)]
    for k in range(8, 0, -1):
        certs.insert(
            0, build(name(f"Huge{k}"), name(f"Huge{k + 1}"), huge(f"huge{k}"), signer, extensions=ca)
        )
    leaf = build(name("HugeLeaf"), name("Huge1"), leaf_key, signer)
    return [der(leaf), *map(der, certs)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_huge_exponent_x5c_rejected_before_signatures(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a 10-certificate x5c of RSA keys with huge exponents (seconds per signature
    check if verified) is rejected with P7, and no signature check ever runs under one of those
    keys: the P7 key bounds apply before any signature. Counted, not timed (CI runs loaded)."""
    anchor = root("HugeAnchor", rsa_key(2048, "huge-anchor"))
    x5c = _huge_exponent_x5c(anchor, ec_key("p256", "huge-leaf").public_key())
    assert len(x5c) == 10
    ops = PublicKeyOps(monkeypatch)
    err = untrusted(fmt, x5c, [anchor.cert])
    assert err.rule == "P7"
    assert ops.huge == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_huge_exponent_counter_sees_the_unguarded_regression(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counter of the test above is not vacuous: with the P7 key bound switched off, the
    huge-exponent keys reach the signature checks and are counted."""
    anchor = root("HugeAnchor", rsa_key(2048, "huge-anchor"))
    x5c = _huge_exponent_x5c(anchor, ec_key("p256", "huge-leaf").public_key())
    ops = PublicKeyOps(monkeypatch)
    # The bound lives in pathcache (cached per certificate) and in the pinned validator.
    pathcache.clear()
    monkeypatch.setattr(pathcache, "issuer_key_problem", lambda key: None)
    monkeypatch.setattr(pinned, "issuer_key_problem", lambda key: None)
    untrusted(fmt, x5c, [anchor.cert])
    assert ops.huge > 0


def test_customer_anchor_cannot_issue_basic_constraints_less_f9() -> None:
    """Regression: relaxation (a) is pinned to the Yubico roots' SPKI: a customer anchor in
    `roots` issuing an F9-like certificate without basicConstraints → untrusted-chain."""
    legacy = yk.legacy_tree("p256", legacy_f9=True)
    with pytest.raises(UntrustedChainError) as exc:
        attestverify.verify(yk.statement(legacy), KEY_AUTHORIZATION, {"step": [legacy.root.cert]}, now=NOW)
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == "S4"
    assert exc.value.rule == "P5"


# --- CSR requests for other identities ------------------------------------------------------


def _upn(value: str) -> x509.OtherName:
    body = value.encode()
    return x509.OtherName(
        x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c" + bytes([len(body)]) + body
    )


def _tpm_identity() -> tuple[attestverify.DeviceIdentity, Any]:
    san = [*tpm_pki.tpm_directory(), tpm_pki.permanent_identifier_san("device-1")]
    st = tpm_pki.statement(san=san)
    identity = attestverify.verify(st.attobj(), KEY_AUTHORIZATION, {"tpm": [st.root]}, now=NOW)
    assert identity.identifiers == ("device-1",)
    return identity, st.attested


def _csr(key: Any, sans: list[x509.GeneralName]) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)


def test_csr_for_another_permanent_identifier_is_identifier_mismatch() -> None:
    """Regression: a CSR asking for a PermanentIdentifier the device did not attest → C6
    (with the order identifier given, and with identity matching only)."""
    identity, key = _tpm_identity()
    verify = attestverify.verify_csr
    verify(
        identity, _csr(key, [tpm_pki.permanent_identifier_san("device-1")]), identifier="device-1"
    )  # control
    request = _csr(key, [tpm_pki.permanent_identifier_san("device-2")])
    for identifier in ("device-1", None):
        with pytest.raises(IdentifierMismatchError) as exc:
            verify(identity, request, identifier=identifier)
        assert exc.value.code == "identifier-mismatch"
        assert exc.value.check == "C6"


def test_csr_for_another_step_serial_is_identifier_mismatch() -> None:
    """Regression: a step identity (YubiKey serial) and a CSR naming another serial → C6."""
    case = statements.step()
    identity = case.verify()
    key = yk.slot_key("p256")
    with pytest.raises(IdentifierMismatchError) as exc:
        attestverify.verify_csr(identity, _csr(key, [tpm_pki.permanent_identifier_san("99999999")]),
                                identifier="15732500")  # fmt: skip
    assert exc.value.check == "C6"


@pytest.mark.parametrize(
    "san", [x509.DNSName("victim.example"), _upn("admin@corp.example")], ids=["dns", "upn"]
)
def test_csr_with_dns_or_upn_san_is_policy(san: x509.GeneralName) -> None:
    """Regression: a DNS or UPN SAN in the CSR would let a device certificate claim a host or a
    Windows logon identity → policy C8."""
    identity, key = _tpm_identity()
    request = _csr(key, [tpm_pki.permanent_identifier_san("device-1"), san])
    with pytest.raises(PolicyError) as exc:
        attestverify.verify_csr(identity, request, identifier="device-1")
    assert exc.value.code == "policy"
    assert exc.value.check == "C8"


# --- duplicate CBOR keys --------------------------------------------------------------------


def _text(value: str, form: str) -> bytes:
    body = value.encode()
    if form == "definite":
        return cbor2.dumps(value)
    if form == "long-header":  # non-minimal length (allowed) of the same text
        return bytes([0x78, len(body)]) + body
    return b"\x7f" + cbor2.dumps(value[:1]) + cbor2.dumps(value[1:]) + b"\xff"  # indefinite chunks


def _map(items: list[tuple[bytes, bytes]]) -> bytes:
    return bytes([0xA0 | len(items)]) + b"".join(k + v for k, v in items)


@pytest.mark.parametrize("form", ["definite", "long-header", "indefinite"])
@pytest.mark.parametrize("where", ["top-fmt", "attStmt-x5c", "attStmt-sig"])
def test_duplicate_cbor_keys_in_any_encoding_are_malformed(where: str, form: str) -> None:
    """Regression: cbor2 keeps the last duplicate; a second `x5c`/`sig`/`fmt` spelled in another
    encoding must not smuggle a second value past a check of the first → malformed D3."""
    case = statements.step()
    att = dict(case.att_stmt)
    att_items = [(cbor2.dumps(k), cbor2.dumps(v)) for k, v in att.items()]
    top_extra: list[tuple[bytes, bytes]] = []
    if where == "top-fmt":
        top_extra = [(_text("fmt", form), cbor2.dumps("apple"))]
    else:
        key = where.split("-")[1]
        att_items.append((_text(key, form), cbor2.dumps(att[key])))
    data = _map(
        [(cbor2.dumps("fmt"), cbor2.dumps("step")), (cbor2.dumps("attStmt"), _map(att_items)), *top_extra]
    )
    with pytest.raises(MalformedError) as exc:
        case.verify(data)
    assert exc.value.code == "malformed"
    assert exc.value.check == "D3"


@pytest.mark.parametrize("second", [b"\x01", b"\x18\x01", b"\x19\x00\x01", b"\x1b" + (1).to_bytes(8, "big")])
def test_duplicate_integer_keys_by_value_are_malformed(second: bytes) -> None:
    """Regression: integer keys compare by value whatever their length encoding → malformed D3."""
    case = statements.step()
    nested = _map([(b"\x01", b"\x00"), (second, b"\x00")])
    att_items = [(cbor2.dumps(k), cbor2.dumps(v)) for k, v in case.att_stmt.items()]
    att_items.append((cbor2.dumps("extra"), nested))
    data = _map([(cbor2.dumps("fmt"), cbor2.dumps("step")), (cbor2.dumps("attStmt"), _map(att_items))])
    with pytest.raises(MalformedError) as exc:
        case.verify(data)
    assert exc.value.check == "D3"


# --- name constraints, anchor copies, empty EKU ---------------------------------------------


def _leaf_for(fmt: str, issuer: Issued, **kw: Any) -> Issued:
    key = ec_key("p256", f"nc-leaf-{fmt}")
    return issue(name(f"Leaf {fmt}"), key, issuer, **kw)


@pytest.mark.parametrize("fmt", FORMATS)
def test_name_constrained_subca_escape_through_absent_null_is_untrusted(fmt: str) -> None:
    """Regression: the pinned validator (tier 2) does not implement nameConstraints; a sub-CA
    constrained to example.com signing an out-of-tree leaf with an absent-NULL RSA
    AlgorithmIdentifier (the relaxation (c) trigger) must not reach tier 2 acceptance."""
    anchor = root(f"NC Root {fmt}", rsa_key(2048, "nc-root"))
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None)
    sub = issue(name(f"NC Sub {fmt}"), rsa_key(2048, "nc-sub"), anchor, ca=True, extensions=[(nc, True)])
    inside = _leaf_for(
        fmt, sub, extensions=[(x509.SubjectAlternativeName([x509.DNSName("a.example.com")]), False)]
    )
    passes_chain(fmt, [inside.der, sub.der], [anchor.cert])  # control
    outside = _leaf_for(
        fmt, sub, extensions=[(x509.SubjectAlternativeName([x509.DNSName("evil.test")]), False)]
    )
    untrusted(fmt, [outside.der, sub.der], [anchor.cert])  # tier 1 honours the constraint
    forged = resign(outside.cert, sub.key, alg=RSA_SHA256_ABSENT, hash_alg=hashes.SHA256())
    err = untrusted(fmt, [der(forged), sub.der], [anchor.cert])
    assert err.rule == "P5"


@pytest.mark.parametrize("fmt", FORMATS)
def test_x5c_that_is_a_copy_of_the_anchor_is_untrusted(fmt: str) -> None:
    """Regression: x5c = [copy of the anchor] must not be a one-certificate "chain" (P9)."""
    case = _BASE[fmt]()
    anchor = case.roots[0]
    err = untrusted(fmt, [der(anchor)], [anchor])
    assert err.rule == "P9"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("position", [0, 1])
def test_empty_eku_extension_is_malformed(fmt: str, position: int) -> None:
    """Regression: an extendedKeyUsage with zero purposes (SIZE (1..MAX) violated) is undecodable
    X.509 → malformed at parsing, before anyone interprets "no EKU restriction"."""
    anchor = root(f"EKU Root {fmt}")
    inter = issue(name("EKU Inter"), ec_key("p256", "eku-inter"), anchor, ca=True,
                  extensions=[raw_ext("2.5.29.37", b"\x30\x00")] if position == 1 else [])  # fmt: skip
    leaf = _leaf_for(fmt, inter, extensions=[raw_ext("2.5.29.37", b"\x30\x00")] if position == 0 else [])
    with pytest.raises(MalformedError) as exc:
        run(fmt, [leaf.der, inter.der], [anchor.cert])
    assert exc.value.code == "malformed"
    assert exc.value.check == PARSE_CHECK[fmt]


# --- caller mistakes ------------------------------------------------------------------------


def test_plain_roots_iterable_with_several_formats_is_usage_error() -> None:
    """Regression: one anchor set shared by all formats (step-ca attestationRoots) lets each
    format inherit the weakest issuer of any → UsageError D1."""
    case = statements.step()
    for formats in (None, ("step", "tpm"), ["apple", "step"]):
        with pytest.raises(UsageError) as exc:
            attestverify.verify(case.cbor, KEY_AUTHORIZATION, list(case.roots), now=NOW, formats=formats)
        assert exc.value.code == "malformed"
        assert exc.value.check == "D1"
    assert attestverify.verify(case.cbor, KEY_AUTHORIZATION, list(case.roots), now=NOW, formats="step")


def test_naive_now_is_usage_error() -> None:
    """Regression: a naive datetime would shift every validity check by the UTC offset → D1."""
    case = statements.step()
    with pytest.raises(UsageError) as exc:
        case.verify(now=NOW.replace(tzinfo=None))
    assert exc.value.check == "D1"


@pytest.mark.parametrize("ka", [pki.TOKEN, pki.TOKEN + ".", pki.TOKEN.encode(), "." + "A" * 43])
def test_bare_token_is_usage_error(ka: str | bytes) -> None:
    """Regression: a bare token instead of `token.thumbprint` would drop the account binding → D1."""
    case = statements.tpm_generated()
    with pytest.raises(UsageError) as exc:
        attestverify.verify(case.cbor, ka, **case.kwargs())
    assert exc.value.check == "D1"


# ============================================================================================
# SPEC §5.3 must-reject list through verify(), for apple, step and tpm
# ============================================================================================


def _ec_tree(tag: str) -> tuple[Issued, Issued, Issued]:
    anchor = root(f"MR Root {tag}")
    inter = issue(name(f"MR Inter {tag}"), ec_key("p256", f"mr-inter-{tag}"), anchor, ca=True)
    leaf = issue(name(f"MR Leaf {tag}"), ec_key("p256", f"mr-leaf-{tag}"), inter)
    return anchor, inter, leaf


@pytest.mark.parametrize("fmt", FORMATS)
def test_must_reject_control_chain_passes(fmt: str) -> None:
    """The generated chain every must-reject case below mutates gets past path validation."""
    anchor, inter, leaf = _ec_tree(fmt)
    passes_chain(fmt, [leaf.der, inter.der], [anchor.cert])


@pytest.mark.parametrize("fmt", FORMATS)
def test_must_reject_forged_signature(fmt: str) -> None:
    anchor, inter, leaf = _ec_tree(fmt)
    assert untrusted(fmt, [der(flip_signature_bit(leaf.cert)), inter.der], [anchor.cert]).rule == "P3"


@pytest.mark.parametrize("fmt", FORMATS)
def test_must_reject_wrong_issuer_name_right_key(fmt: str) -> None:
    anchor, inter, _ = _ec_tree(fmt)
    leaf = build(name("MR Wrong"), name("Somebody Else"), ec_key("p256", "mr-wrong").public_key(), inter.key)
    assert untrusted(fmt, [der(leaf), inter.der], [anchor.cert]).rule == "P3"


_WINDOWS = {
    "expired": {"not_before": NOW - dt.timedelta(days=30), "not_after": NOW - dt.timedelta(seconds=1)},
    "not-yet-valid": {"not_before": NOW + dt.timedelta(seconds=1), "not_after": NOW + dt.timedelta(days=30)},
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("window", sorted(_WINDOWS))
@pytest.mark.parametrize("position", ["leaf", "intermediate", "anchor"])
def test_must_reject_validity_at_each_position(fmt: str, window: str, position: str) -> None:
    kw: dict[str, Any] = _WINDOWS[window]
    tag = f"{fmt}-{window}-{position}"
    anchor = issue(name(f"MR VRoot {tag}"), ec_key("p384", "mr-vroot"), None, ca=True,
                   **(kw if position == "anchor" else {}))  # fmt: skip
    inter = issue(name(f"MR VInter {tag}"), ec_key("p256", "mr-vinter"), anchor, ca=True,
                  **(kw if position == "intermediate" else {}))  # fmt: skip
    leaf = issue(name(f"MR VLeaf {tag}"), ec_key("p256", "mr-vleaf"), inter,
                 **(kw if position == "leaf" else {}))  # fmt: skip
    err = untrusted(fmt, [leaf.der, inter.der], [anchor.cert])
    assert err.rule in ("P4", "P1")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("position", ["leaf", "intermediate"])
def test_must_reject_unknown_critical_extension(fmt: str, position: str) -> None:
    crit = [raw_ext("1.3.6.1.4.1.99999.42", b"\x05\x00", critical=True)]
    anchor = root(f"MR CRoot {fmt}")
    inter = issue(name(f"MR CInter {fmt}-{position}"), ec_key("p256", "mr-cinter"), anchor, ca=True,
                  extensions=crit if position == "intermediate" else [])  # fmt: skip
    leaf = issue(
        name(f"MR CLeaf {fmt}"),
        ec_key("p256", "mr-cleaf"),
        inter,
        extensions=crit if position == "leaf" else [],
    )
    assert untrusted(fmt, [leaf.der, inter.der], [anchor.cert]).rule == "P6"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("ca", [False, None], ids=["ca-false", "no-basic-constraints"])
def test_must_reject_issuer_that_is_not_a_ca(fmt: str, ca: bool | None) -> None:
    """cA=FALSE anywhere, and no basicConstraints outside the pinned legacy-F9 position (the
    F9-like issuer here carries the Yubico firmware extension, so relaxation (a) is triggered for
    step and must still refuse: the anchor is not a pinned Yubico root)."""
    anchor = root(f"MR NRoot {fmt}", rsa_key(2048, "mr-nroot"))
    fw = [raw_ext("1.3.6.1.4.1.41482.3.3", b"\x04\x03\x05")]
    inter = issue(name(f"MR NInter {fmt}"), rsa_key(2048, "mr-ninter"), anchor, ca=ca, extensions=fw)
    leaf = issue(name(f"MR NLeaf {fmt}"), ec_key("p256", "mr-nleaf"), inter, ca=None, extensions=fw)
    assert untrusted(fmt, [leaf.der, inter.der], [anchor.cert]).rule == "P5"


def _pinned_legacy(monkeypatch: pytest.MonkeyPatch) -> yk.Tree:
    # Our test root stands in for Yubico PIV Root CA Serial 263751, whose key we do not have.
    legacy = yk.legacy_tree("p256", legacy_f9=True)
    digest = pinnednode.Node(legacy.root.cert, "anchor").spki_sha256()
    monkeypatch.setattr(
        pinned, "PINNED_F9_ANCHOR_SPKI_SHA256", pinned.PINNED_F9_ANCHOR_SPKI_SHA256 | {digest}
    )
    return legacy


def test_must_reject_basic_constraints_less_f9_deeper_than_the_anchor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Relaxation (a) holds only directly between anchor and leaf (step, pinned root)."""
    legacy = _pinned_legacy(monkeypatch)
    identity = attestverify.verify(
        yk.statement(legacy), KEY_AUTHORIZATION, {"step": [legacy.root.cert]}, now=NOW
    )
    assert identity.relaxations == ("yubikey-legacy-f9",)  # control: the pinned shape passes
    inter = issue(name("MR Deep Inter"), rsa_key(2048, "mr-deep"), legacy.root, ca=True)
    f9 = yk.f9(inter, legacy=True, label="f9-legacy")
    leaf = yk.leaf(f9, legacy.leaf.key)
    err = untrusted("step", [leaf.der, f9.der, inter.der], [legacy.root.cert])
    assert err.rule == "P5"


def test_must_reject_slot_leaf_issuing_a_forged_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real slot leaf has F's profile (no basicConstraints, firmware extension); even under the
    pinned root it must never act as an issuer."""
    legacy = _pinned_legacy(monkeypatch)
    key = ec_key("p256", "mr-forged")
    forged = yk.leaf(legacy.leaf, key, cn="Forged device")
    with pytest.raises(UntrustedChainError) as exc:
        attestverify.verify(yk.att_obj([forged.der, legacy.leaf.der, legacy.f9.der], yk.sign(key)),
                            KEY_AUTHORIZATION, {"step": [legacy.root.cert]}, now=NOW)  # fmt: skip
    assert exc.value.check == "S4"
    assert exc.value.rule == "P5"


def _long_chain(fmt: str, n: int) -> tuple[Issued, list[bytes]]:
    anchor = root(f"MR LRoot {fmt}")
    prev, ders = anchor, list[bytes]()
    for k in range(n):
        prev = issue(name(f"MR Long {k}"), ec_key("p256", f"mr-long-{k}"), prev, ca=True)
        ders.insert(0, prev.der)
    leaf = issue(name("MR LongLeaf"), ec_key("p256", "mr-longleaf"), prev)
    return anchor, [leaf.der, *ders]


@pytest.mark.parametrize("fmt", FORMATS)
def test_must_reject_path_longer_than_eight(fmt: str) -> None:
    anchor, x5c = _long_chain(fmt, 8)
    passes_chain(fmt, x5c, [anchor.cert])  # control: 8 intermediates
    anchor, x5c = _long_chain(fmt, 9)
    assert len(x5c) == 10
    assert untrusted(fmt, x5c, [anchor.cert]).rule == "P2"


def _loop_x5c() -> list[bytes]:
    """leaf <- A <- B <- A ...: two CA certificates issuing each other, each sent twice."""
    ka, kb = ec_key("p256", "mr-loopa"), ec_key("p256", "mr-loopb")
    ca = ((x509.BasicConstraints(True, None), True),)
    a = build(name("MR LoopA"), name("MR LoopB"), ka.public_key(), kb, extensions=ca)
    b = build(name("MR LoopB"), name("MR LoopA"), kb.public_key(), ka, extensions=ca)
    leaf = build(name("MR LoopLeaf"), name("MR LoopA"), ec_key("p256", "mr-loopl").public_key(), ka)
    return [der(leaf), der(a), der(b), der(a), der(b)]


# One tier-1 run, then the pinned search checks leaf <- A and A <- B once each; B <- A closes the
# loop and is refused without a check. Counted, not timed (CI runs loaded).
_LOOP_CHECKS = 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_must_reject_two_certificates_issuing_each_other(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ops = PublicKeyOps(monkeypatch)
    untrusted(fmt, _loop_x5c(), [root(f"MR Loop {fmt}").cert])
    assert ops.checks <= _LOOP_CHECKS, ops.checks


class _NeverEqual(bytes):
    """DER that equals nothing: defeats the search's "already on the path" test."""

    __hash__ = bytes.__hash__

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True


@pytest.mark.parametrize("fmt", FORMATS)
def test_loop_counter_sees_a_search_without_loop_detection(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound above is not vacuous: without loop detection the search walks A <- B <- A ...
    until the path length limit, spending a signature check per step."""
    init = pinnednode.Node.__init__

    def no_loop_detection(node: Any, cert: x509.Certificate, role: str) -> None:
        init(node, cert, role)
        node.der = _NeverEqual(node.der)

    monkeypatch.setattr(pinnednode.Node, "__init__", no_loop_detection)
    ops = PublicKeyOps(monkeypatch)
    untrusted(fmt, _loop_x5c(), [root(f"MR Loop {fmt}").cert])
    assert ops.checks > _LOOP_CHECKS, ops.checks


@pytest.mark.parametrize("fmt", FORMATS)
def test_must_reject_self_signed_leaf(fmt: str) -> None:
    anchor, inter, _ = _ec_tree(fmt)
    selfie = issue(name("MR Selfie"), ec_key("p256", "mr-selfie"), None, ca=False)
    assert untrusted(fmt, [selfie.der, inter.der], [anchor.cert]).rule == "P1"


def _sha1_tree(fmt: str) -> tuple[Issued, Issued, Issued]:
    anchor = root(f"MR SRoot {fmt}", rsa_key(2048, "mr-sroot"))
    inter = issue(name(f"MR SInter {fmt}"), rsa_key(2048, "mr-sinter"), anchor, ca=True)
    inter = resigned(inter, anchor, alg=RSA_SHA1, hash_alg=hashes.SHA1())
    leaf = issue(name(f"MR SLeaf {fmt}"), ec_key("p256", "mr-sleaf"), inter)
    return anchor, inter, leaf


@pytest.mark.parametrize("fmt", FORMATS)
def test_must_reject_sha1(fmt: str) -> None:
    """SHA-1 in step/apple, and in tpm with tpm_allow_sha1_chain off (the default)."""
    anchor, inter, leaf = _sha1_tree(fmt)
    assert untrusted(fmt, [leaf.der, inter.der], [anchor.cert]).rule == "P7"
    # Options of other formats never relax this one.
    assert (
        untrusted(fmt, [leaf.der, inter.der], [anchor.cert], tpm_allow_sha1_chain=fmt != "tpm").rule == "P7"
    )
    if fmt == "tpm":
        passes_chain(fmt, [leaf.der, inter.der], [anchor.cert], tpm_allow_sha1_chain=True)  # control


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["ed25519", "rsa1024"])
def test_must_reject_weak_or_forbidden_issuer_key(fmt: str, kind: str) -> None:
    anchor = root(f"MR WRoot {fmt}")
    key = ed25519_key("mr-weak") if kind == "ed25519" else rsa_key(1024, "mr-weak")
    inter = issue(name(f"MR Weak {kind}"), key, anchor, ca=True)
    leaf = issue(name("MR WeakLeaf"), ec_key("p256", "mr-weakleaf"), inter)
    assert untrusted(fmt, [leaf.der, inter.der], [anchor.cert]).rule == "P7"
