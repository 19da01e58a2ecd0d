"""Path validation (SPEC §5): real chains with their pinned times, and the §5.3 must-reject list.

Every rejection runs through both tiers (`validate_path`), asserting code, check and P rule.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pki import NOW, Issued, ec_key, ed25519_key, issue, name, raw_ext, root, rsa_key
from vectors import certificate, load_vector, read_bytes, vector_ids
from workcount import PublicKeyOps
from x509_helpers import (
    ECDSA_SHA1,
    ECDSA_SHA256,
    RSA_MD5,
    RSA_SHA1,
    RSA_SHA256,
    RSA_SHA256_ABSENT,
    RSA_SHA384,
    assemble,
    build,
    flip_signature_bit,
    resign,
    resigned,
    sign_raw,
)

from attestverify import certsig, pathcache, pinned, pinnednode, x509path
from attestverify.errors import MalformedError, UntrustedChainError, UsageError
from attestverify.roots import bundled, bundled_intermediates
from attestverify.x509path import ValidatedPath, parse_x5c, validate_path

FW_EXT = raw_ext("1.3.6.1.4.1.41482.3.3", b"\x04\x03\x05")


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def ec_chain(tag: str = "") -> tuple[Issued, Issued, Issued]:
    r = root(f"Root{tag}")
    i = issue(name(f"Inter{tag}"), ec_key("p256", f"inter{tag}"), r, ca=True)
    leaf = issue(name(f"Leaf{tag}"), ec_key("p256", f"leaf{tag}"), i)
    return r, i, leaf


def rsa_chain(tag: str = "") -> tuple[Issued, Issued, Issued]:
    r = root(f"RRoot{tag}", rsa_key(2048, f"rroot{tag}"))
    i = issue(name(f"RInter{tag}"), rsa_key(2048, f"rinter{tag}"), r, ca=True)
    leaf = issue(name(f"RLeaf{tag}"), ec_key("p256", f"rleaf{tag}"), i)
    return r, i, leaf


def ok(leaf: Issued, cands: list[Issued], anchors: list[Issued], **kw: object) -> ValidatedPath:
    return validate_path(leaf.cert, [c.cert for c in cands], [a.cert for a in anchors], NOW, check="S4", **kw)  # type: ignore[arg-type]


def rejected(
    leaf: x509.Certificate,
    cands: list[x509.Certificate],
    anchors: list[x509.Certificate],
    now: dt.datetime = NOW,
    **kw: bool,
) -> UntrustedChainError:
    with pytest.raises(UntrustedChainError) as exc:
        validate_path(leaf, cands, anchors, now, check="S4", **kw)
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == "S4"
    return exc.value


# ---------------------------------------------------------------- real vectors


STEP_IDS = [v for v in vector_ids("step/") if v != "step/pivgo-validchain2018-fw437"]
STEP_RELAXATIONS = {"step/ovh-fw435-s5970478": ("yubikey-legacy-f9",)}


@pytest.mark.parametrize("vector_id", STEP_IDS)
def test_real_step_chain_to_bundled_roots(vector_id: str) -> None:
    v = load_vector(vector_id)
    certs = parse_x5c(v.x5c_der, check="S2")
    candidates = [*certs[1:], *bundled_intermediates("step")]
    assert v.now is not None
    path = validate_path(certs[0], candidates, bundled("step"), v.now, check="S4", allow_legacy_f9=True)
    expected = STEP_RELAXATIONS.get(vector_id, ("rsa-sig-params-absent",) if "pkbrocks" in vector_id else ())
    assert path.relaxations == expected
    assert path.chain[0] == certs[0]
    assert _der(path.chain[-1]) == _der(v.anchor)
    assert len(path.chain) == len(v.chain_der)


def test_real_fw574_chain_in_any_order_with_extras() -> None:
    v = load_vector("step/ovh-fw574-s32718477")
    certs = parse_x5c(v.x5c_der, check="S2")
    extras = [
        certificate("roots/yubico/yubico-piv-root-ca-serial-263751.pem"),
        *bundled_intermediates("step"),
    ]
    assert v.now is not None
    path = validate_path(certs[0], [*extras, *reversed(certs[1:])], [v.anchor], v.now, check="S4")
    assert len(path.chain) == 5 and path.relaxations == ()


def test_real_legacy_f9_needs_relaxation_a() -> None:
    v = load_vector("step/ovh-fw435-s5970478")
    certs = parse_x5c(v.x5c_der, check="S2")
    assert v.now is not None
    err = rejected(certs[0], list(certs[1:]), [v.anchor], v.now, allow_legacy_f9=False)
    assert err.rule == "P5"
    assert "basicConstraints" in err.message


def test_real_legacy_f9_not_accepted_under_other_anchor() -> None:
    # The real F9 names the PIV root as its issuer; a customer root with that very name but
    # another key is not pinned, so the basicConstraints-less F9 cannot hang under it.
    v = load_vector("step/ovh-fw435-s5970478")
    certs = parse_x5c(v.x5c_der, check="S2")
    fake = issue(v.anchor.subject, rsa_key(2048, "fake-piv-root"), None, ca=True)
    assert v.now is not None
    err = rejected(certs[0], list(certs[1:]), [fake.cert], now=NOW, allow_legacy_f9=True)
    assert err.rule == "P5"
    assert "not a Yubico root pinned" in err.message


def test_real_pivgo_2018_rejected_with_default_roots() -> None:
    v = load_vector("step/pivgo-validchain2018-fw437")
    certs = parse_x5c(v.x5c_der, check="S2")
    assert v.now is not None
    err = rejected(certs[0], [*certs[1:], *bundled_intermediates("step")], list(bundled("step")), v.now,
                   allow_legacy_f9=True)  # fmt: skip
    assert err.rule == "P3"


def test_real_pivgo_2018_rejected_even_under_u2f_root() -> None:
    # U2F Root CA Serial 457200631 has pathLenConstraint 0: no room for the F9 (P5), relaxed or not.
    v = load_vector("step/pivgo-validchain2018-fw437")
    certs = parse_x5c(v.x5c_der, check="S2")
    assert v.now is not None
    err = rejected(certs[0], list(certs[1:]), [v.anchor], v.now, allow_legacy_f9=True)
    assert err.rule == "P5"
    assert "pathLenConstraint" in err.message


@pytest.mark.parametrize("vector_id", [v for v in vector_ids("tpm/webauthn-")])
def test_real_windows_ak_chain_to_microsoft_root(vector_id: str) -> None:
    v = load_vector(vector_id)
    certs = parse_x5c(v.x5c_der, check="T1")
    assert v.now is not None
    path = validate_path(certs[0], certs[1:], bundled("tpm"), v.now, check="T2")
    assert path.relaxations == () and len(path.chain) == 3


def test_real_windows_ak_chain_rejected_after_expiry() -> None:
    v = load_vector("tpm/webauthn-pywebauthn-tpm-dell-xps-13")
    certs = parse_x5c(v.x5c_der, check="T1")
    err = rejected(
        certs[0], list(certs[1:]), list(bundled("tpm")), dt.datetime(2045, 1, 1, tzinfo=dt.timezone.utc)
    )
    assert err.rule == "P4"


@pytest.mark.parametrize(
    "vector_id",
    ["tpm/keylime-infineon-ek-ecc", "tpm/keylime-infineon-slb9670-ek-rsa", "tpm/keylime-stm-ek-ecc",
     "swtpm/ek-rsa2048", "swtpm/ek-secp384r1"],
)  # fmt: skip
def test_real_ek_chains(vector_id: str) -> None:
    v = load_vector(vector_id)
    certs = parse_x5c(v.x5c_der, check="T1")
    assert v.now is not None
    assert len(validate_path(certs[0], certs[1:], [v.anchor], v.now, check="T2").chain) == len(v.chain_der)


IFX_NOW = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def _ifx() -> tuple[x509.Certificate, x509.Certificate, x509.Certificate]:
    return (
        certificate("roots/infineon/intermediate/IFX_TPM_EK_Intermediate_CA_02.pem"),
        certificate("roots/infineon/IFX_TPM_EK_Root_CA.pem"),
        certificate("roots/infineon/IFX-RootCA.pem"),
    )


def test_real_sha1_infineon_chain_with_option() -> None:
    leaf, mid, anchor = _ifx()
    path = validate_path(leaf, [mid], [anchor], IFX_NOW, check="T2", allow_sha1=True)
    assert path.relaxations == ("tpm-sha1-chain",)
    assert len(path.chain) == 3


def test_real_sha1_infineon_chain_without_option() -> None:
    leaf, mid, anchor = _ifx()
    err = rejected(leaf, [mid], [anchor], IFX_NOW)
    assert err.rule == "P7"
    assert "SHA-1" in err.message


def _raw_pem_der(relative: str) -> bytes:
    # Base64 by hand: cryptography refuses these files, which is what the tests are about.
    import base64

    pem = read_bytes(relative).decode()
    return base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))


def test_real_non_der_nuvoton_is_malformed() -> None:
    v = load_vector("tpm/keylime-nuvoton-root-ca-2110-non-der")
    with pytest.raises(MalformedError) as exc:
        parse_x5c([_raw_pem_der(v.record["chain"][0])], check="T1")
    assert exc.value.code == "malformed"
    assert exc.value.check == "T1"


def test_real_stm_trailing_padding_is_malformed() -> None:
    v = load_vector("tpm/keylime-stm-ek-rsa-with-ff-padding")
    with pytest.raises(MalformedError) as exc:
        parse_x5c(v.x5c_der, check="T1")
    assert exc.value.check == "T1"


def test_real_nuvoton_sha1_root_is_malformed() -> None:
    with pytest.raises(MalformedError) as exc:
        parse_x5c([_raw_pem_der("roots/nuvoton/NTC_TPM_EK_Root_CA_01.pem")], check="T1")
    assert exc.value.check == "T1"


def test_real_stm_non_minimal_serial_is_malformed() -> None:
    with pytest.raises(MalformedError) as exc:
        parse_x5c([_raw_pem_der("roots/stmicro/intermediate/STM_TPM_EK_Intermediate_CA_01.pem")], check="T1")
    assert exc.value.check == "T1"


# ---------------------------------------------------------------- parse_x5c


def test_parse_x5c_ok() -> None:
    _, i, leaf = ec_chain()
    assert parse_x5c([leaf.der, bytearray(i.der)], check="S2") == (leaf.cert, i.cert)  # type: ignore[list-item]


@pytest.mark.parametrize(
    "items",
    [[], [b""], ["not bytes"], [b"\x30\x00"], "eleven"],
    ids=["empty", "empty-item", "str-item", "bad-der", "eleven"],
)
def test_parse_x5c_rejects(items: object) -> None:
    _, _, leaf = ec_chain()
    if items == "eleven":
        items = [leaf.der] * 11
    with pytest.raises(MalformedError) as exc:
        parse_x5c(items, check="S2")  # type: ignore[arg-type]
    assert exc.value.check == "S2"


def test_parse_x5c_trailing_byte() -> None:
    _, _, leaf = ec_chain()
    with pytest.raises(MalformedError) as exc:
        parse_x5c([leaf.der + b"\x00"], check="S2")
    assert exc.value.check == "S2"


def test_parse_x5c_pem_refused() -> None:
    _, _, leaf = ec_chain()
    with pytest.raises(MalformedError) as exc:
        parse_x5c([leaf.cert.public_bytes(Encoding.PEM)], check="S2")
    assert exc.value.check == "S2"


def test_parse_x5c_duplicate_extension() -> None:
    r, _, _ = ec_chain()
    exts = [raw_ext("1.2.3.4.5", b"\x05\x00"), raw_ext("1.2.3.4.6", b"\x05\x00")]
    cert = issue(name("Dup"), ec_key("p256", "dup"), r, extensions=exts).der
    # Rename the second OID to the first: two extensions with one OID (signature no longer matters).
    tampered = cert.replace(bytes.fromhex("06042a030405"), bytes.fromhex("06042a030406"), 0)
    tampered = tampered.replace(bytes.fromhex("06042a030406"), bytes.fromhex("06042a030405"))
    with pytest.raises(MalformedError) as exc:
        parse_x5c([tampered], check="S2")
    assert exc.value.check == "S2"


def test_parse_x5c_undecodable_known_extension() -> None:
    r, _, _ = ec_chain()
    cert = issue(
        name("BadBC"), ec_key("p256", "badbc"), r, ca=None, extensions=[raw_ext("2.5.29.19", b"\x01\x02")]
    )
    with pytest.raises(MalformedError) as exc:
        parse_x5c([cert.der], check="S2")
    assert exc.value.check == "S2"


# ---------------------------------------------------------------- positives


def test_generated_chain_ok() -> None:
    r, i, leaf = ec_chain()
    path = ok(leaf, [i], [r])
    assert path.chain == (leaf.cert, i.cert, r.cert)
    assert path.relaxations == ()


def test_intermediates_any_order_unused_extras() -> None:
    r = root("OrderRoot")
    i1 = issue(name("Order1"), ec_key("p256", "o1"), r, ca=True)
    i2 = issue(name("Order2"), ec_key("p256", "o2"), i1, ca=True)
    leaf = issue(name("OrderLeaf"), ec_key("p256", "ol"), i2)
    _, unrelated, other_leaf = ec_chain("-other")
    path = ok(leaf, [unrelated, i1, other_leaf, i2], [r])
    assert path.chain == (leaf.cert, i2.cert, i1.cert, r.cert)


def test_roots_replace_bundled() -> None:
    r, i, leaf = ec_chain("-own")
    assert ok(leaf, [i], [r]).chain[-1] == r.cert
    err = rejected(leaf.cert, [i.cert], list(bundled("step")))
    assert err.rule == "P3"


def test_copy_of_anchor_in_x5c_is_harmless() -> None:
    r, i, leaf = ec_chain()
    assert ok(leaf, [i, r], [r]).chain == (leaf.cert, i.cert, r.cert)


def test_leaf_profile_is_left_to_formats() -> None:
    # Tier 1 accepts a leaf without SAN or basicConstraints, a CA leaf and an Ed25519 leaf key.
    r, i, _ = ec_chain()
    for leaf in (
        issue(name("NoBC"), ec_key("p256", "nobc"), i, ca=None),
        issue(name("CALeaf"), ec_key("p256", "caleaf"), i, ca=True),
        issue(name("EdLeaf"), ed25519_key("edleaf"), i),
    ):
        assert ok(leaf, [i], [r]).relaxations == ()


def test_naive_now_is_usage_error() -> None:
    r, i, leaf = ec_chain()
    with pytest.raises(UsageError) as exc:
        validate_path(leaf.cert, [i.cert], [r.cert], NOW.replace(tzinfo=None), check="S4")
    assert exc.value.check == "D1"


# ---------------------------------------------------------------- must-reject list (§5.3, §7)


def test_forged_signature() -> None:
    r, i, leaf = ec_chain()
    err = rejected(flip_signature_bit(leaf.cert), [i.cert], [r.cert])
    assert err.rule == "P3"
    assert "does not verify" in err.message


def test_wrong_issuer_name_right_key() -> None:
    r, i, _ = ec_chain()
    forged = build(name("Leaf"), name("Somebody Else"), ec_key("p256", "leaf").public_key(), i.key)
    err = rejected(forged, [i.cert], [r.cert])
    assert err.rule == "P3"


EXPIRED = {"not_before": NOW - dt.timedelta(days=30), "not_after": NOW - dt.timedelta(seconds=1)}
FUTURE = {"not_before": NOW + dt.timedelta(seconds=1), "not_after": NOW + dt.timedelta(days=30)}


@pytest.mark.parametrize("position", ["leaf", "intermediate", "anchor"])
@pytest.mark.parametrize("window", [EXPIRED, FUTURE], ids=["expired", "not-yet-valid"])
def test_validity_at_each_position(position: str, window: dict[str, dt.datetime]) -> None:
    r = root("VRoot", **(window if position == "anchor" else {}))  # type: ignore[arg-type]
    inter_window = window if position == "intermediate" else {}
    i = issue(name("VInter"), ec_key("p256", "vi"), r, ca=True, **inter_window)  # type: ignore[arg-type]
    leaf = issue(name("VLeaf"), ec_key("p256", "vl"), i, **(window if position == "leaf" else {}))  # type: ignore[arg-type]
    err = rejected(leaf.cert, [i.cert], [r.cert])
    assert err.rule == "P4"
    assert {"leaf": "VLeaf", "intermediate": "VInter", "anchor": "VRoot"}[position] in err.message


def test_validity_boundaries_inclusive() -> None:
    r, i, leaf = ec_chain()
    after = leaf.cert.not_valid_after_utc
    before = leaf.cert.not_valid_before_utc
    plus5 = dt.timezone(dt.timedelta(hours=5))
    for instant in (after, before, after.astimezone(plus5)):
        validate_path(leaf.cert, [i.cert], [r.cert], instant, check="S4")
    for instant in (after + dt.timedelta(seconds=1), before - dt.timedelta(seconds=1),
                    (after + dt.timedelta(seconds=1)).astimezone(plus5)):  # fmt: skip
        assert rejected(leaf.cert, [i.cert], [r.cert], instant).rule == "P4"


def test_unknown_critical_extension_on_leaf() -> None:
    r, i, _ = ec_chain()
    leaf = issue(
        name("CritLeaf"), ec_key("p256", "cl"), i, extensions=[raw_ext("1.2.3.4", b"\x05\x00", True)]
    )
    err = rejected(leaf.cert, [i.cert], [r.cert])
    assert err.rule == "P6"


def test_unknown_critical_extension_on_issuer() -> None:
    r = root("CritRoot")
    i = issue(
        name("CritInter"),
        ec_key("p256", "ci"),
        r,
        ca=True,
        extensions=[raw_ext("1.3.6.1.4.1.41482.3.3", b"\x04\x03\x05", True)],
    )
    leaf = issue(name("CritLeaf2"), ec_key("p256", "cl2"), i)
    err = rejected(leaf.cert, [i.cert], [r.cert], allow_legacy_f9=True)
    assert err.rule == "P6"
    assert "CritInter" in err.message


def test_issuer_ca_false() -> None:
    r = root("CAFRoot")
    i = issue(name("CAFInter"), ec_key("p256", "cafi"), r, ca=False)
    leaf = issue(name("CAFLeaf"), ec_key("p256", "cafl"), i)
    err = rejected(leaf.cert, [i.cert], [r.cert], allow_legacy_f9=True)
    assert err.rule == "P5"


def test_issuer_ca_false_with_f9_profile_not_relaxed(monkeypatch: pytest.MonkeyPatch) -> None:
    r = root("CAF9Root")
    _pin(monkeypatch, r)
    f9 = issue(name("CAF9"), rsa_key(2048, "caf9"), r, ca=False, extensions=[FW_EXT])
    leaf = issue(name("CAF9Leaf"), ec_key("p256", "caf9l"), f9, extensions=[FW_EXT])
    assert rejected(leaf.cert, [f9.cert], [r.cert], allow_legacy_f9=True).rule == "P5"


def test_issuer_without_basic_constraints() -> None:
    r = root("NoBCRoot")
    i = issue(name("NoBCInter"), ec_key("p256", "nobci"), r, ca=None)
    leaf = issue(name("NoBCLeaf"), ec_key("p256", "nobcl"), i)
    err = rejected(leaf.cert, [i.cert], [r.cert], allow_legacy_f9=True)
    assert err.rule == "P5"


def _pin(monkeypatch: pytest.MonkeyPatch, anchor: Issued) -> None:
    # Test roots stand in for the Yubico roots, whose keys we do not have.
    digest = pinnednode.Node(anchor.cert, "anchor").spki_sha256()
    monkeypatch.setattr(
        pinned, "PINNED_F9_ANCHOR_SPKI_SHA256", pinned.PINNED_F9_ANCHOR_SPKI_SHA256 | {digest}
    )


def yubikey_like(tag: str = "") -> tuple[Issued, Issued, Issued]:
    r = root(f"Yubico PIV Root {tag}", rsa_key(2048, f"yroot{tag}"))
    f9 = issue(
        name(f"Yubico PIV Attestation{tag}"), rsa_key(2048, f"yf9{tag}"), r, ca=None, extensions=[FW_EXT]
    )
    leaf = issue(name(f"YubiKey PIV Attestation 9a{tag}"), ec_key("p256", f"yleaf{tag}"), f9, ca=None,
                 extensions=[FW_EXT])  # fmt: skip
    return r, f9, leaf


def test_generated_legacy_f9_accepted_under_pinned_root(monkeypatch: pytest.MonkeyPatch) -> None:
    r, f9, leaf = yubikey_like()
    _pin(monkeypatch, r)
    path = ok(leaf, [f9], [r], allow_legacy_f9=True)
    assert path.relaxations == ("yubikey-legacy-f9",)
    assert path.chain == (leaf.cert, f9.cert, r.cert)


def test_f9_like_outside_step() -> None:
    r, f9, leaf = yubikey_like("-off")
    err = rejected(leaf.cert, [f9.cert], [r.cert], allow_legacy_f9=False)
    assert err.rule == "P5"


def test_customer_anchor_issuing_bc_less_f9() -> None:
    r, f9, leaf = yubikey_like("-customer")  # the root is not pinned
    err = rejected(leaf.cert, [f9.cert], [r.cert], allow_legacy_f9=True)
    assert err.rule == "P5"
    assert "pinned" in err.message


def test_bc_less_certificate_deeper_than_f9(monkeypatch: pytest.MonkeyPatch) -> None:
    r = root("DeepRoot", rsa_key(2048, "deeproot"))
    _pin(monkeypatch, r)
    i = issue(name("DeepInter"), rsa_key(2048, "deepi"), r, ca=True)
    f9 = issue(name("DeepF9"), rsa_key(2048, "deepf9"), i, ca=None, extensions=[FW_EXT])
    leaf = issue(name("DeepLeaf"), ec_key("p256", "deepl"), f9, extensions=[FW_EXT])
    err = rejected(leaf.cert, [f9.cert, i.cert], [r.cert], allow_legacy_f9=True)
    assert err.rule == "P5"


def test_yubikey_slot_leaf_issuing_forged_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    r, f9, slot = yubikey_like("-slot")
    _pin(monkeypatch, r)
    forged = issue(name("Forged"), ec_key("p256", "forged"), slot)
    err = rejected(forged.cert, [slot.cert, f9.cert], [r.cert], allow_legacy_f9=True)
    assert err.rule == "P5"


def _long_chain(n: int) -> tuple[Issued, list[Issued], Issued]:
    r = root("LongRoot")
    prev, inters = r, []
    for k in range(n):
        prev = issue(name(f"Long{k}"), ec_key("p256", f"long{k}"), prev, ca=True)
        inters.append(prev)
    return r, inters, issue(name("LongLeaf"), ec_key("p256", "longleaf"), prev)


def test_path_of_eight_intermediates_ok() -> None:
    r, inters, leaf = _long_chain(8)
    assert len(ok(leaf, inters, [r]).chain) == 10


def test_path_longer_than_eight() -> None:
    r, inters, leaf = _long_chain(9)
    err = rejected(leaf.cert, [c.cert for c in inters], [r.cert])
    assert err.rule == "P2"


def test_two_certificates_issuing_each_other() -> None:
    r = root("LoopRoot")
    ka, kb = ec_key("p256", "loopa"), ec_key("p256", "loopb")
    a = build(
        name("LoopA"),
        name("LoopB"),
        ka.public_key(),
        kb,
        extensions=((x509.BasicConstraints(True, None), True),),
    )
    b = build(
        name("LoopB"),
        name("LoopA"),
        kb.public_key(),
        ka,
        extensions=((x509.BasicConstraints(True, None), True),),
    )
    leaf = build(name("LoopLeaf"), name("LoopA"), ec_key("p256", "loopl").public_key(), ka)
    err = rejected(leaf, [a, b], [r.cert])
    assert err.rule == "P2"
    assert "loop" in err.message


def test_self_signed_leaf() -> None:
    r, _, _ = ec_chain()
    leaf = issue(name("Selfie"), ec_key("p256", "selfie"), None, ca=False)
    err = rejected(leaf.cert, [], [r.cert])
    assert err.rule == "P1"


def test_x5c_is_copy_of_anchor() -> None:
    r, _, _ = ec_chain()
    err = rejected(r.cert, [], [r.cert])
    assert err.rule == "P9"


def test_leaf_with_anchor_key_is_anchor() -> None:
    r, i, _ = ec_chain()
    twin = issue(name("Twin"), r.key, i)
    assert rejected(twin.cert, [i.cert], [r.cert]).rule == "P9"


def test_anchor_not_ca() -> None:
    r = issue(name("NotCARoot"), ec_key("p384", "notca"), None, ca=False)
    i = issue(name("NotCAInter"), ec_key("p256", "notcai"), r, ca=True)
    leaf = issue(name("NotCALeaf"), ec_key("p256", "notcal"), i)
    assert rejected(leaf.cert, [i.cert], [r.cert]).rule == "P1"


def test_no_anchors() -> None:
    _, i, leaf = ec_chain()
    assert rejected(leaf.cert, [i.cert], []).rule == "P1"


def _sha1_chain(alg: bytes = RSA_SHA1) -> tuple[Issued, Issued, Issued]:
    r, i, leaf = rsa_chain("-sha1")
    i = resigned(i, r, alg=alg, hash_alg=hashes.SHA1())
    return r, i, leaf


def test_sha1_without_option() -> None:
    r, i, leaf = _sha1_chain()
    err = rejected(leaf.cert, [i.cert], [r.cert])
    assert err.rule == "P7"


def test_sha1_in_step_even_with_legacy_f9() -> None:
    r, i, leaf = _sha1_chain()
    assert rejected(leaf.cert, [i.cert], [r.cert], allow_legacy_f9=True).rule == "P7"


def test_sha1_with_tpm_option() -> None:
    r, i, leaf = _sha1_chain()
    assert ok(leaf, [i], [r], allow_sha1=True).relaxations == ("tpm-sha1-chain",)


def test_ecdsa_sha1_with_tpm_option() -> None:
    r = root("ESha1Root", ec_key("p256", "esha1r"))
    leaf = issue(name("ESha1Leaf"), ec_key("p256", "esha1l"), r)
    leaf = Issued(resign(leaf.cert, r.key, alg=ECDSA_SHA1, hash_alg=hashes.SHA1()), leaf.key)
    assert ok(leaf, [], [r], allow_sha1=True).relaxations == ("tpm-sha1-chain",)
    assert rejected(leaf.cert, [], [r.cert]).rule == "P7"


def test_sha1_backend_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.exceptions import UnsupportedAlgorithm

    def refuse(sig: bytes, data: bytes) -> None:
        raise UnsupportedAlgorithm("sha1 disabled")

    monkeypatch.setattr(certsig, "verifier", lambda alg, key: refuse)
    r, i, leaf = _sha1_chain()
    err = rejected(leaf.cert, [i.cert], [r.cert], allow_sha1=True)
    assert err.rule == "P7"
    assert "SHA-1" in err.message


def test_md5() -> None:
    r, i, leaf = rsa_chain("-md5")
    i = resigned(i, r, alg=RSA_MD5, hash_alg=hashes.MD5())
    err = rejected(leaf.cert, [i.cert], [r.cert], allow_sha1=True)
    assert err.rule == "P7"


@pytest.mark.parametrize("kind", ["ed25519", "rsa1024", "secp256k1"])
def test_weak_or_forbidden_issuer_key(kind: str) -> None:
    r = root(f"Weak{kind}Root")
    key = {
        "ed25519": ed25519_key("weak"),
        "rsa1024": rsa_key(1024, "weak"),
        "secp256k1": ec_key("k256", "weak"),
    }[kind]
    i = issue(name(f"Weak{kind}"), key, r, ca=True)  # type: ignore[arg-type]
    leaf = issue(name(f"Weak{kind}Leaf"), ec_key("p256", "weakleaf"), i)
    err = rejected(leaf.cert, [i.cert], [r.cert])
    assert err.rule == "P7"
    assert f"Weak{kind}" in err.message


def test_ed25519_anchor() -> None:
    r = root("EdRoot", ed25519_key("edroot"))
    leaf = issue(name("EdRootLeaf"), ec_key("p256", "edrl"), r)
    assert rejected(leaf.cert, [], [r.cert]).rule == "P7"


def _huge_exponent_key(label: str) -> rsa.RSAPublicKey:
    n = rsa_key(2048, label).public_key().public_numbers().n
    return rsa.RSAPublicNumbers((1 << 2000) + 1, n).public_key()


def _huge_exponent_path() -> tuple[Issued, list[x509.Certificate]]:
    r = root("HugeRoot", rsa_key(2048, "hugeroot"))
    signer = rsa_key(2048, "hugesigner")
    certs = [build(name("Huge9"), name("HugeRoot"), _huge_exponent_key("huge9"), signer,
                   extensions=((x509.BasicConstraints(True, None), True),))]  # fmt: skip
    for k in range(8, 0, -1):
        certs.insert(0, build(name(f"Huge{k}"), name(f"Huge{k + 1}"), _huge_exponent_key(f"huge{k}"), signer,
                              extensions=((x509.BasicConstraints(True, None), True),)))  # fmt: skip
    leaf = build(name("HugeLeaf"), name("Huge1"), ec_key("p256", "hugeleaf").public_key(), signer)
    x5c = parse_x5c([_der(leaf), *map(_der, certs)], check="S2")
    assert len(x5c) == 10
    return r, list(x5c)


def test_huge_exponent_issuers_rejected_before_any_signature_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """P7 before any signature: no check (tier 1 or pinned) runs under a huge-exponent key,
    which would cost seconds each. Counted, not timed (CI runs loaded)."""
    r, x5c = _huge_exponent_path()
    ops = PublicKeyOps(monkeypatch)
    err = rejected(x5c[0], x5c[1:], [r.cert])
    assert err.rule == "P7"
    assert ops.huge == 0


def test_huge_exponent_counter_sees_the_unguarded_regression(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the P7 key bound the huge-exponent keys reach the checks, and the counter says so."""
    r, x5c = _huge_exponent_path()
    ops = PublicKeyOps(monkeypatch)
    # The bound lives in pathcache (cached per certificate) and in the pinned validator.
    pathcache.clear()
    monkeypatch.setattr(pathcache, "issuer_key_problem", lambda key: None)
    monkeypatch.setattr(pinned, "issuer_key_problem", lambda key: None)
    rejected(x5c[0], x5c[1:], [r.cert])
    assert ops.huge > 0


def test_pathlen_exceeded_below_intermediate() -> None:
    r = root("PLRoot")
    i1 = issue(name("PL1"), ec_key("p256", "pl1"), r, ca=True, path_length=0)
    i2 = issue(name("PL2"), ec_key("p256", "pl2"), i1, ca=True)
    leaf = issue(name("PLLeaf"), ec_key("p256", "pll"), i2)
    assert rejected(leaf.cert, [i1.cert, i2.cert], [r.cert]).rule == "P5"


def test_pathlen_of_anchor_counts() -> None:
    r = root("PLARoot", path_length=0)
    i = issue(name("PLAInter"), ec_key("p256", "plai"), r, ca=True)
    leaf = issue(name("PLALeaf"), ec_key("p256", "plal"), i)
    assert rejected(leaf.cert, [i.cert], [r.cert]).rule == "P5"


def _constrained(tag: str, dns: str) -> tuple[Issued, Issued, Issued]:
    r = root(f"NCRoot{tag}", rsa_key(2048, "ncroot"))
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None)
    sub = issue(name(f"NCSub{tag}"), rsa_key(2048, "ncsub"), r, ca=True, extensions=[(nc, True)])
    leaf = issue(name(f"NCLeaf{tag}"), ec_key("p256", "ncleaf"), sub,
                 extensions=[(x509.SubjectAlternativeName([x509.DNSName(dns)]), False)])  # fmt: skip
    return r, sub, leaf


def test_name_constraints_honoured_by_tier1() -> None:
    r, sub, leaf = _constrained("-in", "host.example.com")
    assert ok(leaf, [sub], [r]).relaxations == ()
    r, sub, leaf = _constrained("-out", "evil.test")
    err = rejected(leaf.cert, [sub.cert], [r.cert])
    assert err.rule == "P5"
    assert "name constraint" in err.message.lower()


def test_name_constrained_subca_escaping_through_absent_null() -> None:
    r, sub, leaf = _constrained("-escape", "evil.test")
    forged = resign(leaf.cert, sub.key, alg=RSA_SHA256_ABSENT, hash_alg=hashes.SHA256())
    err = rejected(forged, [sub.cert], [r.cert])
    assert err.rule == "P5"
    assert "nameConstraints" in err.message


def test_name_constraints_in_pinned_path_fail_even_when_satisfied() -> None:
    r, sub, leaf = _constrained("-inside", "host.example.com")
    forged = resign(leaf.cert, sub.key, alg=RSA_SHA256_ABSENT, hash_alg=hashes.SHA256())
    assert rejected(forged, [sub.cert], [r.cert]).rule == "P5"


def test_absent_null_generated_always_relaxed() -> None:
    r, i, leaf = rsa_chain("-absent")
    i = resigned(i, r, alg=RSA_SHA256_ABSENT, hash_alg=hashes.SHA256())
    path = ok(leaf, [i], [r])
    assert path.relaxations == ("rsa-sig-params-absent",)


def test_tiers_must_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    # If tier 1 rejects a chain that the pinned validator accepts without any relaxation, reject.
    monkeypatch.setattr(x509path, "_tier1", lambda *a: (None, "simulated refusal"))
    r, i, leaf = rsa_chain("-agree")
    extra = resigned(issue(name("Unused"), rsa_key(2048, "unused"), r, ca=True), r, alg=RSA_SHA256_ABSENT,
                     hash_alg=hashes.SHA256())  # fmt: skip
    err = rejected(leaf.cert, [i.cert, extra.cert], [r.cert])
    assert "simulated refusal" in err.message
    assert err.rule == "P3"


def test_error_names_certificate_and_position() -> None:
    r, i, leaf = ec_chain("-named")
    err = rejected(flip_signature_bit(leaf.cert), [i.cert], [r.cert])
    assert "leaf (CN=Leaf-named)" in err.message
    assert "CN=Inter-named" in err.message


def test_undecodable_caller_intermediate_is_ignored() -> None:
    r, i, leaf = ec_chain("-dup")
    exts = [raw_ext("1.2.3.4.5", b"\x05\x00"), raw_ext("1.2.3.4.6", b"\x05\x00")]
    extra = issue(name("DupExtra"), ec_key("p256", "dupx"), r, ca=True, extensions=exts).der
    renamed = extra.replace(bytes.fromhex("06042a030406"), bytes.fromhex("06042a030405"))
    dup = x509.load_der_x509_certificate(renamed)
    assert ok(leaf, [Issued(dup, leaf.key), i], [r]).relaxations == ()
    assert rejected(leaf.cert, [dup], [r.cert]).rule == "P3"


def test_leaf_with_unsupported_key_algorithm_does_not_leak() -> None:
    r, i, leaf = ec_chain("-unknown-key")
    ec_public_key_oid = bytes.fromhex("06072a8648ce3d0201")
    tbs = leaf.cert.tbs_certificate_bytes.replace(ec_public_key_oid, bytes.fromhex("06072a8648ce3d0209"))
    odd = assemble(tbs, ECDSA_SHA256, sign_raw(tbs, i.key, hashes.SHA256()))
    with pytest.raises(UnsupportedAlgorithm):
        odd.public_key()
    try:
        path = validate_path(odd, [i.cert], [r.cert], NOW, check="S4")
    except UntrustedChainError as err:
        assert err.check == "S4"
    else:
        assert path.chain == (odd, i.cert, r.cert)


# --- from the first review, R4: absent NULL inside the TBS only


def test_r4_absent_rsa_params_inside_tbs_only_is_refused() -> None:
    """R4, tightened by issue 12 (the outer signatureAlgorithm equals tbsCertificate.signature
    byte for byte, with no exception for (c)): absent parameters inside the TBS with NULL outside
    is a mismatch (P7) in the pinned validator, as absent outside only."""
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


# --- from the first review, confirmation: the explaining run


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
