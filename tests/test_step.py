"""Format `step` (SPEC §4.2) on generated YubiKey-like and step-managed-device material."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import cbor2
import pytest
import yubikey_pki as yk
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from pki import KEY_AUTHORIZATION, NOW, TOKEN, PrivateKey, ec_key, ed25519_key, raw_ext, rsa_key

import attestverify
from attestverify import step
from attestverify.errors import (
    AttestationError,
    BadSignatureError,
    IdentifierMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
    UsageError,
)
from attestverify.identity import FormFactor, PinPolicy, TouchPolicy, fingerprint


@pytest.fixture(scope="module")
def tree() -> yk.Tree:
    return yk.legacy_tree("p256")


@pytest.fixture(scope="module")
def tree574() -> yk.Tree:
    return yk.tree_574("p256")


def run(att: bytes | str | dict[str, object], tree: yk.Tree, **kw: object) -> attestverify.DeviceIdentity:
    kw.setdefault("roots", {"step": [tree.root.cert]})
    kw.setdefault("now", NOW)
    return attestverify.verify(att, KEY_AUTHORIZATION, **kw)  # type: ignore[arg-type]


def att_stmt(tree: yk.Tree, **changes: object) -> dict[str, object]:
    stmt: dict[str, object] = {"alg": -7, "sig": cbor2.dumps(yk.sign(tree.leaf.key)), "x5c": tree.x5c}
    for key, value in changes.items():
        if value is _DELETE:
            del stmt[key]
        else:
            stmt[key] = value
    return {"fmt": "step", "attStmt": stmt}


_DELETE = object()


def with_leaf(tree: yk.Tree, **leaf_kw: object) -> yk.Tree:
    """The same root and F9 with another leaf."""
    key = leaf_kw.pop("key", tree.leaf.key)
    return yk.Tree(tree.root, tree.f9, yk.leaf(tree.f9, key, **leaf_kw), tree.intermediates)  # type: ignore[arg-type]


# --- positives -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["p256", "rsa2048", "ed25519"])
def test_slot_keys_verify(kind: str) -> None:
    tree = yk.legacy_tree(kind)
    identity = run(yk.statement(tree), tree)
    assert identity.format == "step"
    assert identity.serial_number == "15732500"
    assert identity.identifiers == ("15732500",)
    assert identity.acme_identifiers[0].type == "permanent-identifier"
    assert identity.fingerprint == fingerprint(tree.leaf.key.public_key())
    assert identity.public_key_der == tree.leaf.key.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    assert identity.chain == (tree.leaf.cert, tree.f9.cert, tree.root.cert)
    assert identity.relaxations == ()
    details = identity.step
    assert details is not None
    assert details.serial_source == "yubico"
    assert details.firmware_version == (5, 4, 3)
    assert details.pin_policy is PinPolicy.ONCE
    assert details.touch_policy is TouchPolicy.NEVER
    assert details.form_factor is FormFactor.USB_C_NANO
    assert details.fips is False
    assert details.fips_certified is False
    assert details.cspn_certified is False
    assert details.slot == "9a"


def test_alg_is_not_read(tree: yk.Tree) -> None:
    assert run(att_stmt(tree, alg="not an int"), tree).serial_number == "15732500"
    assert run(att_stmt(tree, alg=_DELETE), tree).serial_number == "15732500"


def test_mapping_and_base64url_inputs(tree: yk.Tree) -> None:
    import base64

    raw = yk.statement(tree)
    text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert run(text, tree).serial_number == "15732500"
    assert run(cbor2.loads(raw), tree).serial_number == "15732500"


def test_identifier_match(tree: yk.Tree) -> None:
    identity = run(yk.statement(tree), tree, identifier="15732500")
    assert identity.matches("15732500")


def test_identifier_mismatch(tree: yk.Tree) -> None:
    with pytest.raises(IdentifierMismatchError) as exc:
        run(yk.statement(tree), tree, identifier="15732501")
    assert exc.value.code == "identifier-mismatch"
    assert exc.value.check == "D7"
    assert exc.value.format == "step"


def test_574_tree_client_sends_everything(tree574: yk.Tree) -> None:
    x5c = [tree574.leaf.der, tree574.f9.der, *(i.der for i in reversed(tree574.intermediates))]
    identity = run(yk.att_obj(x5c, yk.sign(tree574.leaf.key)), tree574)
    assert identity.step is not None and identity.step.firmware_version == (5, 7, 4)
    assert len(identity.chain) == 5
    assert identity.chain[-1] == tree574.root.cert
    assert identity.relaxations == ()


def test_574_intermediates_any_order_with_extras(tree574: yk.Tree, tree: yk.Tree) -> None:
    inter, piv = tree574.intermediates
    x5c = [tree574.leaf.der, inter.der, tree.f9.der, piv.der, tree574.f9.der, tree.root.der]
    identity = run(yk.att_obj(x5c, yk.sign(tree574.leaf.key)), tree574)
    assert identity.chain == (tree574.leaf.cert, tree574.f9.cert, piv.cert, inter.cert, tree574.root.cert)


def test_574_client_omits_intermediates(tree574: yk.Tree, tree: yk.Tree) -> None:
    """The intermediates come from the caller (as the bundled ones do for real Yubico chains)."""
    att = yk.statement(tree574)
    inter, piv = tree574.intermediates
    identity = run(att, tree574, intermediates=[tree.f9.cert, piv.cert, inter.cert])
    assert len(identity.chain) == 5
    with pytest.raises(UntrustedChainError) as exc:
        run(att, tree574)
    assert exc.value.check == "S4"


def test_managed_device() -> None:
    tree = yk.managed_device_tree("device-0001")
    identity = run(yk.statement(tree), tree)
    assert identity.serial_number == "device-0001"
    assert identity.identifiers == ("device-0001",)
    assert identity.step is not None
    assert identity.step.serial_source == "step-managed-device"
    assert identity.step.firmware_version is None
    assert identity.step.slot is None


def test_managed_device_needs_customer_root() -> None:
    tree = yk.managed_device_tree("device-0001")
    with pytest.raises(UntrustedChainError) as exc:
        attestverify.verify(yk.statement(tree), KEY_AUTHORIZATION, now=NOW)
    assert exc.value.check == "S4"


def test_no_serial_means_no_identifiers(tree: yk.Tree) -> None:
    other = with_leaf(tree, extensions=yk.yubico_leaf_extensions(serial=None))
    identity = run(yk.statement(other), other)
    assert identity.serial_number is None
    assert identity.identifiers == ()
    assert identity.step is not None and identity.step.serial_source is None
    with pytest.raises(IdentifierMismatchError) as exc:
        run(yk.statement(other), other, identifier="15732500")
    assert exc.value.check == "D7"


def test_serial_with_slash_is_not_an_identifier() -> None:
    tree = yk.managed_device_tree("a/b")
    identity = run(yk.statement(tree), tree)
    assert identity.serial_number == "a/b"
    assert identity.identifiers == ()


@pytest.mark.parametrize("managed_first", [True, False])
def test_first_serial_extension_wins(tree: yk.Tree, managed_first: bool) -> None:
    yubico = raw_ext(yk.OID_SERIAL, yk.der_integer(42))
    managed = raw_ext(yk.OID_MANAGED_DEVICE, yk.utf8_sequence("dev-7"))
    exts = [managed, yubico] if managed_first else [yubico, managed]
    other = with_leaf(tree, extensions=exts)
    identity = run(yk.statement(other), other)
    assert identity.serial_number == ("dev-7" if managed_first else "42")
    assert identity.step is not None
    assert identity.step.serial_source == ("step-managed-device" if managed_first else "yubico")


def test_serial_decimal_example(tree: yk.Tree) -> None:
    other = with_leaf(tree, extensions=[raw_ext(yk.OID_SERIAL, bytes.fromhex("020400f00f14"))])
    assert run(yk.statement(other), other).serial_number == "15732500"


# --- S8 details ------------------------------------------------------------------------------------


def _details(tree: yk.Tree, exts: list[yk.Ext], **kw: object) -> attestverify.StepDetails:
    other = with_leaf(tree, extensions=exts, **kw)
    identity = run(yk.statement(other), other)
    assert identity.step is not None
    return identity.step


def test_details_unknown_values_stay_ints(tree: yk.Tree) -> None:
    d = _details(tree, yk.yubico_leaf_extensions(policy=b"\x09\x00", form_factor=b"\x8f"))
    assert d.pin_policy == 9 and not isinstance(d.pin_policy, PinPolicy)
    assert d.touch_policy == 0 and not isinstance(d.touch_policy, TouchPolicy)
    assert d.form_factor == 0x0F and not isinstance(d.form_factor, FormFactor)
    assert d.fips is True


def test_details_fips_form_factor_and_certifications(tree: yk.Tree) -> None:
    exts = yk.yubico_leaf_extensions(policy=b"\x03\x03", form_factor=b"\x83")
    exts += [raw_ext(yk.OID_FIPS_CERTIFIED, b""), raw_ext(yk.OID_CSPN_CERTIFIED, b"\x05\x00")]
    d = _details(tree, exts, slot="9c")
    assert d.pin_policy is PinPolicy.ALWAYS
    assert d.touch_policy is TouchPolicy.CACHED
    assert d.form_factor is FormFactor.USB_C_KEYCHAIN
    assert d.fips is True
    assert d.fips_certified is True
    assert d.cspn_certified is True
    assert d.slot == "9c"


def test_details_wrong_lengths_become_none(tree: yk.Tree) -> None:
    exts = [
        raw_ext(yk.OID_FIRMWARE, b"\x05\x04"),
        raw_ext(yk.OID_SERIAL, yk.der_integer(7)),
        raw_ext(yk.OID_POLICY, b"\x01\x01\x01"),
        raw_ext(yk.OID_FORM_FACTOR, b""),
    ]
    d = _details(tree, exts, cn="Not a YubiKey slot")
    assert d.firmware_version is None
    assert d.pin_policy is None and d.touch_policy is None
    assert d.form_factor is None and d.fips is None
    assert d.slot is None


def test_decode_extensions_is_pure(tree: yk.Tree) -> None:
    decoded = step.decode_extensions(tree.leaf.cert)
    assert decoded.serial_number == "15732500"
    assert decoded.details.serial_source == "yubico"
    assert decoded.details.firmware_version == (5, 4, 3)
    # The F9 carries only the firmware.
    f9 = step.decode_extensions(tree.f9.cert)
    assert f9.serial_number is None and f9.details.firmware_version == (5, 4, 3)


# --- S1 / S2 -------------------------------------------------------------------------------------


def test_s1_x5c_missing(tree: yk.Tree) -> None:
    with pytest.raises(MalformedError) as exc:
        run(att_stmt(tree, x5c=_DELETE), tree)
    assert exc.value.code == "malformed"
    assert exc.value.check == "S1"


@pytest.mark.parametrize("x5c", [[], "x5c", [b""], [b"\x30"] * 11, [1]])
def test_s1_x5c_shape(tree: yk.Tree, x5c: object) -> None:
    with pytest.raises(MalformedError) as exc:
        run(att_stmt(tree, x5c=x5c), tree)
    assert exc.value.code == "malformed"
    assert exc.value.check == "S1"


def test_s1_eleven_certificates(tree: yk.Tree) -> None:
    with pytest.raises(MalformedError) as exc:
        run(att_stmt(tree, x5c=tree.x5c + [tree.f9.der] * 9), tree)
    assert exc.value.check == "S1"


@pytest.mark.parametrize("mutate", ["garbage", "trailing", "truncated"])
def test_s2_certificate_does_not_parse(tree: yk.Tree, mutate: str) -> None:
    der = tree.leaf.der
    bad = {"garbage": b"\x30\x03\x02\x01\x01", "trailing": der + b"\x00", "truncated": der[:-1]}[mutate]
    with pytest.raises(MalformedError) as exc:
        run(att_stmt(tree, x5c=[bad, tree.f9.der]), tree)
    assert exc.value.code == "malformed"
    assert exc.value.check == "S2"


# --- S3 ------------------------------------------------------------------------------------------


def test_s3_sig_missing(tree: yk.Tree) -> None:
    with pytest.raises(MalformedError) as exc:
        run(att_stmt(tree, sig=_DELETE), tree)
    assert exc.value.check == "S3"


@pytest.mark.parametrize(
    "sig",
    [
        pytest.param("text", id="not-bytes"),
        pytest.param(cbor2.dumps(b"\x01" * 1100), id="longer-than-1024"),
        pytest.param(b"", id="empty"),
        pytest.param(cbor2.dumps(None), id="inner-null"),
        pytest.param(cbor2.dumps(5), id="inner-int"),
        pytest.param(cbor2.dumps("sig"), id="inner-text"),
        pytest.param(cbor2.dumps(b"\x30\x06") + b"\x00", id="inner-trailing-byte"),
    ],
)
def test_s3_sig_encoding(tree: yk.Tree, sig: object) -> None:
    with pytest.raises(MalformedError) as exc:
        run(att_stmt(tree, sig=sig), tree)
    assert exc.value.code == "malformed"
    assert exc.value.check == "S3"


def test_s3_sig_raw_not_cbor_wrapped(tree: yk.Tree) -> None:
    with pytest.raises(MalformedError) as exc:
        run(yk.att_obj(tree.x5c, yk.sign(tree.leaf.key), wrap=False), tree)
    assert exc.value.check == "S3"


def test_s3_sig_exactly_1024_bytes_passes_s3(tree: yk.Tree) -> None:
    sig = cbor2.dumps(b"\x00" * 1021)
    assert len(sig) == 1024
    with pytest.raises(BadSignatureError) as exc:
        run(att_stmt(tree, sig=sig), tree)
    assert exc.value.check == "S6"


# --- S4 ------------------------------------------------------------------------------------------


def test_s4_untrusted_root(tree: yk.Tree) -> None:
    other_root = yk.piv_root("other-root")
    with pytest.raises(UntrustedChainError) as exc:
        run(yk.statement(tree), tree, roots={"step": [other_root.cert]})
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == "S4"


def test_s4_bundled_roots_reject_test_tree(tree: yk.Tree) -> None:
    with pytest.raises(UntrustedChainError) as exc:
        attestverify.verify(yk.statement(tree), KEY_AUTHORIZATION, now=NOW)
    assert exc.value.check == "S4"


def test_s4_expired(tree: yk.Tree) -> None:
    with pytest.raises(UntrustedChainError) as exc:
        run(yk.statement(tree), tree, now=NOW + dt.timedelta(days=400))
    assert exc.value.check == "S4"


def test_s4_customer_anchor_cannot_use_legacy_f9_relaxation() -> None:
    """SPEC §7 security regression: relaxation (a) is pinned to the Yubico roots' SPKI."""
    legacy = yk.legacy_tree("p256", legacy_f9=True)
    assert legacy.f9.cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(yk.OID_FIRMWARE))
    with pytest.raises(UntrustedChainError) as exc:
        run(yk.statement(legacy), legacy)
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == "S4"
    assert exc.value.rule == "P5"


def test_s4_slot_leaf_cannot_issue(tree: yk.Tree) -> None:
    """A real slot leaf has the F9 profile (no basicConstraints); it must not act as an issuer."""
    forged = yk.leaf(
        tree.leaf, yk.slot_key("p256"), slot="9c", extensions=yk.yubico_leaf_extensions(serial=1)
    )
    assert forged.cert.issuer == tree.leaf.cert.subject != forged.cert.subject
    att = yk.att_obj([forged.der, tree.leaf.der, tree.f9.der], yk.sign(forged.key))
    with pytest.raises(UntrustedChainError) as exc:
        run(att, tree)
    assert exc.value.check == "S4"


# --- S5 ------------------------------------------------------------------------------------------


def test_s5_leaf_is_ca(tree: yk.Tree) -> None:
    other = with_leaf(tree, ca=True)
    with pytest.raises(PolicyError) as exc:
        run(yk.statement(other), other)
    assert exc.value.code == "policy"
    assert exc.value.check == "S5"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda: ec_key("p384", "slot"), id="p384"),
        pytest.param(lambda: ec_key("k256", "slot"), id="secp256k1"),
        pytest.param(lambda: rsa_key(1024, "slot1024"), id="rsa1024"),
    ],
)
def test_s5_weak_or_unsupported_leaf_key(tree: yk.Tree, key: object) -> None:
    private = key()  # type: ignore[operator]
    other = with_leaf(tree, key=private)
    with pytest.raises(PolicyError) as exc:
        run(yk.att_obj(other.x5c, yk.sign(private)), other)
    assert exc.value.code == "policy"
    assert exc.value.check == "S5"


def test_s5_x25519_leaf(tree: yk.Tree) -> None:
    public = x25519.X25519PrivateKey.generate().public_key()
    other = yk.Tree(tree.root, tree.f9, yk.leaf(tree.f9, public_key=public))
    with pytest.raises(PolicyError) as exc:
        run(yk.att_obj(other.x5c, b"\x01"), other)
    assert exc.value.check == "S5"


def test_s5_roca_leaf(tree: yk.Tree) -> None:
    """SPEC §7 security regression: a ROCA-fingerprint RSA slot key is refused."""
    public = rsa.RSAPublicNumbers(65537, yk.roca_modulus()).public_key()
    other = yk.Tree(tree.root, tree.f9, yk.leaf(tree.f9, public_key=public))
    with pytest.raises(PolicyError) as exc:
        run(yk.att_obj(other.x5c, b"\x01" * 256), other)
    assert exc.value.code == "policy"
    assert exc.value.check == "S5"


def test_s5_rsa_leaf_from_firmware_434(tree: yk.Tree) -> None:
    """SPEC §7 security regression (YSA-2017-01): RSA keys of firmware < 4.3.5 are refused."""
    key = yk.slot_key("rsa2048")
    other = with_leaf(tree, key=key, extensions=yk.yubico_leaf_extensions(fw=(4, 3, 4)))
    with pytest.raises(PolicyError) as exc:
        run(yk.statement(other), other)
    assert exc.value.code == "policy"
    assert exc.value.check == "S5"


def test_s5_rsa_leaf_from_firmware_435_passes(tree: yk.Tree) -> None:
    other = with_leaf(tree, key=yk.slot_key("rsa2048"), extensions=yk.yubico_leaf_extensions(fw=(4, 3, 5)))
    assert run(yk.statement(other), other).step.firmware_version == (4, 3, 5)  # type: ignore[union-attr]


def test_s5_ec_leaf_from_firmware_434_passes(tree: yk.Tree) -> None:
    other = with_leaf(tree, extensions=yk.yubico_leaf_extensions(fw=(4, 3, 4)))
    assert run(yk.statement(other), other).serial_number == "15732500"


# --- S6 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["p256", "rsa2048", "ed25519"])
def test_s6_signature_by_another_key(kind: str) -> None:
    tree = yk.legacy_tree(kind)
    other_key: PrivateKey = (
        ec_key("p256", "other") if kind == "p256"
        else rsa_key(2048, "other") if kind == "rsa2048"
        else ed25519_key("other")
    )  # fmt: skip
    with pytest.raises(BadSignatureError) as exc:
        run(yk.att_obj(tree.x5c, yk.sign(other_key)), tree)
    assert exc.value.code == "bad-signature"
    assert exc.value.check == "S6"


@pytest.mark.parametrize("kind", ["p256", "rsa2048", "ed25519"])
def test_s6_signature_over_token_only(kind: str) -> None:
    tree = yk.legacy_tree(kind)
    with pytest.raises(BadSignatureError) as exc:
        run(yk.att_obj(tree.x5c, yk.sign(tree.leaf.key, TOKEN.encode())), tree)
    assert exc.value.check == "S6"


@pytest.mark.parametrize("kind", ["p256", "rsa2048", "ed25519"])
def test_s6_flipped_bit(kind: str) -> None:
    tree = yk.legacy_tree(kind)
    signature = bytearray(yk.sign(tree.leaf.key))
    signature[len(signature) // 2] ^= 0x01
    with pytest.raises(BadSignatureError) as exc:
        run(yk.att_obj(tree.x5c, bytes(signature)), tree)
    assert exc.value.check == "S6"


@pytest.mark.parametrize(
    "signature", [b"", b"\x01\x02\x03", b"\x30\x00"], ids=["empty", "not-der", "empty-der"]
)
def test_s6_empty_or_malformed_signature(tree: yk.Tree, signature: bytes) -> None:
    with pytest.raises(BadSignatureError) as exc:
        run(yk.att_obj(tree.x5c, signature), tree)
    assert exc.value.code == "bad-signature"
    assert exc.value.check == "S6"


def test_s6_key_authorization_is_signed_as_utf8(tree: yk.Tree) -> None:
    identity = attestverify.verify(
        yk.statement(tree), KEY_AUTHORIZATION.encode(), roots={"step": [tree.root.cert]}, now=NOW
    )
    assert identity.serial_number == "15732500"


# --- S7 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(bytes.fromhex("02020005"), id="non-minimal"),
        pytest.param(bytes.fromhex("0201ff"), id="negative"),
        pytest.param(bytes.fromhex("02010500"), id="trailing-byte"),
        pytest.param(bytes.fromhex("0400"), id="not-integer"),
        pytest.param(b"", id="empty"),
    ],
)
def test_s7_bad_yubico_serial(tree: yk.Tree, value: bytes) -> None:
    other = with_leaf(tree, extensions=[raw_ext(yk.OID_SERIAL, value)])
    with pytest.raises(MalformedError) as exc:
        run(yk.statement(other), other)
    assert exc.value.code == "malformed"
    assert exc.value.check == "S7"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(yk.utf8_sequence(""), id="empty"),
        pytest.param(yk.utf8_sequence("dev") + b"\x00", id="trailing-byte"),
        pytest.param(bytes.fromhex("3003020105"), id="integer-inside"),
        pytest.param(bytes.fromhex("0c03646576"), id="no-sequence"),
    ],
)
def test_s7_bad_managed_device_id(value: bytes) -> None:
    tree = yk.managed_device_tree(value)
    with pytest.raises(MalformedError) as exc:
        run(yk.statement(tree), tree)
    assert exc.value.code == "malformed"
    assert exc.value.check == "S7"


def test_s7_huge_serial_is_malformed(tree: yk.Tree) -> None:
    big = b"\x02\x82\x08\x01\x01" + b"\x00" * 0x800
    other = with_leaf(tree, extensions=[raw_ext(yk.OID_SERIAL, big)])
    with pytest.raises(MalformedError) as exc:
        run(yk.statement(other), other)
    assert exc.value.check == "S7"


# --- verify_chain ----------------------------------------------------------------------------------


def test_verify_chain_generated(tree: yk.Tree) -> None:
    identity = step.verify_chain(tree.x5c, roots=[tree.root.cert], now=NOW)
    assert identity.serial_number == "15732500"
    assert identity.chain[-1] == tree.root.cert
    same = step.verify_chain([tree.leaf.cert, tree.f9.cert], roots=[tree.root.cert], now=NOW)
    assert same.fingerprint == identity.fingerprint


def test_verify_chain_574_intermediates(tree574: yk.Tree) -> None:
    identity = step.verify_chain(
        tree574.x5c, roots=[tree574.root.cert], intermediates=[i.cert for i in tree574.intermediates], now=NOW
    )
    assert len(identity.chain) == 5


def test_verify_chain_shares_the_checks(tree: yk.Tree) -> None:
    other = with_leaf(tree, key=yk.slot_key("rsa2048"), extensions=yk.yubico_leaf_extensions(fw=(4, 3, 4)))
    with pytest.raises(PolicyError) as exc:
        step.verify_chain(other.x5c, roots=[tree.root.cert], now=NOW)
    assert exc.value.check == "S5"
    assert exc.value.format == "step"
    with pytest.raises(UntrustedChainError) as exc2:
        step.verify_chain(tree.x5c, now=NOW)
    assert exc2.value.check == "S4"
    bad = with_leaf(tree, extensions=[raw_ext(yk.OID_SERIAL, bytes.fromhex("0201ff"))])
    with pytest.raises(MalformedError) as exc3:
        step.verify_chain(bad.x5c, roots=[tree.root.cert], now=NOW)
    assert exc3.value.check == "S7"
    with pytest.raises(MalformedError) as exc4:
        step.verify_chain([b"\x30\x00"], roots=[tree.root.cert], now=NOW)
    assert exc4.value.check == "S2"


@pytest.mark.parametrize(
    ("x5c", "check"),
    [([], "S1"), ([b""], "S1"), ([1], "S1"), ([b"\x30"] * 11, "S1")],
)
def test_verify_chain_x5c_items(tree: yk.Tree, x5c: list[object], check: str) -> None:
    with pytest.raises(MalformedError) as exc:
        step.verify_chain(x5c, roots=[tree.root.cert], now=NOW)  # type: ignore[arg-type]
    assert exc.value.check == check


@pytest.mark.parametrize(
    "kwargs",
    [
        {"now": dt.datetime(2026, 1, 1)},
        {"now": "2026-01-01"},
        {"roots": "root"},
        {"roots": [b"not a certificate"]},
        {"intermediates": [1]},
        {"allow_legacy_f9": 1},
    ],
)
def test_verify_chain_usage_errors(tree: yk.Tree, kwargs: dict[str, object]) -> None:
    kwargs.setdefault("now", NOW)
    with pytest.raises(UsageError) as exc:
        step.verify_chain(tree.x5c, **kwargs)  # type: ignore[arg-type]
    assert exc.value.check == "D1"


@pytest.mark.parametrize("x5c", [b"\x30\x00", "abc", None, 5, {"a": 1}])
def test_verify_chain_x5c_not_a_sequence(x5c: object) -> None:
    with pytest.raises(UsageError) as exc:
        step.verify_chain(x5c, now=NOW)  # type: ignore[arg-type]
    assert exc.value.check == "D1"


def test_decoders_on_undecodable_extensions(tree: yk.Tree) -> None:
    """inspect() may hand over untrusted certificates that parse_x5c would refuse."""
    broken = yk.leaf(tree.f9, extensions=[raw_ext("2.5.29.19", b"\x01"), *yk.yubico_leaf_extensions()])
    with pytest.raises(MalformedError) as exc:
        step.decode_extensions(broken.cert)
    assert exc.value.check == "S7"
    details = step.decode_details(broken.cert)
    assert details.firmware_version is None
    assert details.slot == "9a"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=64), st.integers(), st.none()), max_size=12))
def test_verify_chain_only_raises_attestation_errors(items: list[object]) -> None:
    with pytest.raises(AttestationError):
        step.verify_chain(items, now=NOW)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["alg", "sig", "x5c", "other"]), st.recursive(
    st.one_of(st.binary(max_size=40), st.integers(), st.text(max_size=5), st.booleans(), st.none()),
    lambda inner: st.lists(inner, max_size=4), max_leaves=8)))  # fmt: skip
def test_verify_statement_only_raises_attestation_errors(att_stmt: dict[str, object]) -> None:
    with pytest.raises(AttestationError):
        attestverify.verify({"fmt": "step", "attStmt": att_stmt}, KEY_AUTHORIZATION, now=NOW)


def _x25519_tree(tree: yk.Tree) -> tuple[yk.Tree, x25519.X25519PublicKey]:
    public = x25519.X25519PrivateKey.generate().public_key()
    return yk.Tree(tree.root, tree.f9, yk.leaf(tree.f9, public_key=public)), public


def test_verify_chain_accepts_x25519_and_p384_slot_keys(tree: yk.Tree) -> None:
    """SPEC v2 §4.2 S5: YubiKeys generate them; only `verify_chain` (no signature) takes them."""
    x_tree, public = _x25519_tree(tree)
    identity = step.verify_chain(x_tree.x5c, roots=[tree.root.cert], now=NOW)
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert identity.fingerprint == "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode()
    assert attestverify.DeviceIdentity.from_record(identity.to_record()) == identity
    p384 = yk.Tree(tree.root, tree.f9, yk.leaf(tree.f9, ec_key("p384", "slot-p384")))
    assert step.verify_chain(p384.x5c, roots=[tree.root.cert], now=NOW).public_key.curve.name == "secp384r1"  # type: ignore[union-attr]
    for other in (x_tree, p384):
        with pytest.raises(PolicyError) as exc:
            run(yk.att_obj(other.x5c, b"\x30" * 70), other)
        assert exc.value.check == "S5"


def test_verify_csr_on_an_x25519_identity_fails_c3(tree: yk.Tree) -> None:
    x_tree, _ = _x25519_tree(tree)
    identity = step.verify_chain(x_tree.x5c, roots=[tree.root.cert], now=NOW)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(ec_key("p256", "csr-x25519"), hashes.SHA256())
    )
    with pytest.raises(attestverify.KeyMismatchError) as exc:
        attestverify.verify_csr(identity, csr)
    assert exc.value.check == "C3"
