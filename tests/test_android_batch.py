"""Relaxation (d) `android-batch-not-ca` (SPEC §5.3 (d)): the real Sony chain and every must-reject case.

Generated chains copy the Sony batch profile (cA=FALSE critical, keyUsage digitalSignature, a
non-critical nameConstraints with one permitted dNSName `invalid;email:invalid`). Their test root
is pinned in place of the Google roots (monkeypatch) where a test needs the pin satisfied; the
customer-root test runs without it and must fail. Each negative changes exactly one thing of the
accepted shape.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import android_pki as ap
import pki
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from pki import KEY_AUTHORIZATION, NOW, Issued, ec_key, issue, name
from vectors import load_vector

import attestverify
from attestverify import UntrustedChainError, android, certsig, pinned, pinned_android, x509path
from attestverify.roots import bundled

SONY = "android-key/sony-xperia10-iii-sdk33-TEE_EC"
_DIGITAL_SIGNATURE = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
_SONY_CONSTRAINTS = x509.NameConstraints(
    permitted_subtrees=[x509.DNSName("invalid;email:invalid")], excluded_subtrees=None
)


def _batch(
    issuer: Issued,
    *,
    ca: bool | None = False,
    constraints: x509.NameConstraints | None = _SONY_CONSTRAINTS,
    constraints_critical: bool = False,
    extra: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    cn: str = "Test Batch",
) -> Issued:
    exts: list[tuple[x509.ExtensionType, bool]] = [(_DIGITAL_SIGNATURE, True), *extra]
    if constraints is not None:
        exts.append((constraints, constraints_critical))
    return issue(
        name(cn, serial_number="3e7fb6a1"), ec_key("p256", f"batch-{cn}"), issuer, ca=ca, extensions=exts
    )


def _tree(**batch_kw: Any) -> ap.Tree:
    """Test root -> CA (cA=TRUE) -> batch B (cA=FALSE) -> leaf with a KeyDescription."""
    anchor = ap.rsa_root()
    ca = issue(
        name("Test Attestation CA", serial_number="87f45144"), ec_key("p384", "batch-ca"), anchor, ca=True
    )
    batch = _batch(ca, **batch_kw)
    leaf = ap.android_leaf(batch, ap.leaf_key("p256"), ap.key_description())
    return ap.Tree(anchor, [batch, ca], leaf)


@pytest.fixture
def pin_test_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the test roots' keys as if they were Google's (the generated roots reuse fixed keys)."""
    pins = {
        hashlib.sha256(certsig.spki_der(t.root.cert)).hexdigest() for t in (_tree(), ap.batch_tree(root="ec"))
    }
    monkeypatch.setattr(pinned_android, "PINNED_GOOGLE_ROOT_SPKI_SHA256", frozenset(pins))


def _verify(tree: ap.Tree, x5c: list[bytes] | None = None) -> attestverify.DeviceIdentity:
    return android.verify_chain(tree.x5c if x5c is None else x5c, roots=tree.roots, now=NOW)


def _rejected(tree: ap.Tree, x5c: list[bytes] | None = None) -> UntrustedChainError:
    with pytest.raises(UntrustedChainError) as info:
        _verify(tree, x5c)
    assert info.value.check == "K4"
    return info.value


# --- the real device ------------------------------------------------------------------------------


def test_pins_are_the_bundled_google_roots() -> None:
    bundled_pins = {hashlib.sha256(certsig.spki_der(c)).hexdigest() for c in bundled("android-key")}
    assert bundled_pins == pinned_android.PINNED_GOOGLE_ROOT_SPKI_SHA256


def test_real_sony_chain_verifies_with_relaxation_d() -> None:
    vector = load_vector(SONY)
    challenge = base64.b64decode(vector.decoded["attestationChallenge_b64"])
    identity = android.verify_chain(
        vector.x5c_der, challenge=challenge, roots=[vector.anchor], now=vector.now
    )
    assert identity.relaxations == ("android-batch-not-ca", "android-status-unchecked")
    batch = identity.chain[1]
    assert batch.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_real_sony_batch_is_not_relaxed_outside_android_key() -> None:
    vector = load_vector(SONY)
    certs = x509path.parse_x5c(vector.x5c_der, check="S2")
    assert vector.now is not None
    with pytest.raises(UntrustedChainError) as info:
        x509path.validate_path(
            certs[0], certs[1:], [vector.anchor], vector.now, check="S4", allow_legacy_f9=True
        )
    assert info.value.rule == "P5"


def test_real_sony_chain_under_a_customer_root_with_the_same_name_is_rejected() -> None:
    """The pin is the key: a caller's root that names itself like Google's cannot enable (d)."""
    vector = load_vector(SONY)
    intermediate = x509.load_der_x509_certificate(vector.x5c_der[2])
    fake_root = issue(intermediate.issuer, ap.leaf_key("p384", "fake-google"), None, ca=True)
    with pytest.raises(UntrustedChainError):
        android.verify_chain(vector.x5c_der, roots=[fake_root.cert], now=vector.now)


# --- generated chains -----------------------------------------------------------------------------


def test_generated_batch_verifies_under_a_pinned_root(pin_test_roots: None) -> None:
    identity = _verify(_tree())
    assert identity.relaxations == ("android-batch-not-ca", "android-status-unchecked")
    assert len(identity.chain) == 4


def test_generated_batch_through_verify(pin_test_roots: None) -> None:
    tree = _tree()
    identity = attestverify.verify(
        ap.statement(tree),
        KEY_AUTHORIZATION,
        {"android-key": tree.roots},
        now=NOW,
        formats=("android-key",),
        android_status=android.StatusList.from_json({"entries": {}}),
    )
    assert identity.relaxations == ("android-batch-not-ca",)


def test_customer_root_cannot_enable_it() -> None:
    """Without the pin (a caller's own `roots=`), the same chain fails."""
    error = _rejected(_tree())
    assert "Google" in error.message or "cA=FALSE" in error.message


def test_an_attested_app_key_cannot_act_as_batch(pin_test_roots: None) -> None:
    """An app's attested leaf carries a KeyDescription; used as B it must never issue a leaf."""
    tree = _tree()
    app = ap.android_leaf(tree.intermediates[0], ap.leaf_key("p256", "app"), ap.key_description(), ca=False)
    forged = ap.android_leaf(app, ap.leaf_key("p256", "forged"), ap.key_description())
    _rejected(tree, [forged.der, app.der, *tree.x5c[1:]])


def test_batch_profile_with_a_key_description_is_rejected(pin_test_roots: None) -> None:
    _rejected(_tree(extra=(pki.raw_ext(ap.OID_KEY_DESCRIPTION, ap.key_description()),)))


def test_ca_false_higher_in_the_path_is_rejected(pin_test_roots: None) -> None:
    """root -> X (cA=FALSE) -> B (cA=FALSE) -> leaf: only the leaf's issuer may be relaxed."""
    anchor = ap.rsa_root()
    upper = _batch(anchor, cn="Upper")
    batch = _batch(upper)
    leaf = ap.android_leaf(batch, ap.leaf_key("p256"), ap.key_description())
    error = _rejected(ap.Tree(anchor, [batch, upper], leaf))
    assert error.rule == "P5"


def test_ca_false_issued_directly_by_the_anchor_is_accepted(pin_test_roots: None) -> None:
    """B's issuer may be the anchor itself (cA=TRUE): the path is leaf -> B -> anchor."""
    anchor = ap.rsa_root()
    batch = _batch(anchor)
    leaf = ap.android_leaf(batch, ap.leaf_key("p256"), ap.key_description())
    assert _verify(ap.Tree(anchor, [batch], leaf)).relaxations[0] == "android-batch-not-ca"


def test_absent_basic_constraints_is_not_relaxed(pin_test_roots: None) -> None:
    _rejected(_tree(ca=None))


@pytest.mark.parametrize(
    "subtree",
    [
        x509.UniformResourceIdentifier("https://invalid"),
        x509.DirectoryName(name("invalid")),
        x509.IPAddress(__import__("ipaddress").ip_network("10.0.0.0/8")),
    ],
)
def test_another_name_constraints_subtree_type_is_rejected(
    pin_test_roots: None, subtree: x509.GeneralName
) -> None:
    _rejected(_tree(constraints=x509.NameConstraints(permitted_subtrees=[subtree], excluded_subtrees=None)))


def test_rfc822_subtree_and_critical_constraints_are_accepted(pin_test_roots: None) -> None:
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.RFC822Name("invalid")], excluded_subtrees=[x509.DNSName("example.com")]
    )
    assert (
        _verify(_tree(constraints=constraints, constraints_critical=True)).relaxations[0]
        == "android-batch-not-ca"
    )


def test_batch_without_name_constraints_is_accepted(pin_test_roots: None) -> None:
    assert _verify(_tree(constraints=None)).relaxations[0] == "android-batch-not-ca"


def _leaf_under(tree: ap.Tree, leaf: Issued) -> ap.Tree:
    return ap.Tree(tree.root, tree.intermediates, leaf)


def test_leaf_with_a_san_under_a_constrained_batch_is_rejected(pin_test_roots: None) -> None:
    tree = _tree()
    san = x509.SubjectAlternativeName([x509.DNSName("device.example")])
    leaf = ap.android_leaf(
        tree.intermediates[0], ap.leaf_key("p256"), ap.key_description(), extensions=[(san, False)]
    )
    _rejected(_leaf_under(tree, leaf))


def test_leaf_with_an_email_address_under_a_constrained_batch_is_rejected(pin_test_roots: None) -> None:
    tree = _tree()
    batch = tree.intermediates[0]
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Android Keystore Key"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@b"),
        ]
    )
    leaf = issue(
        subject,
        ap.leaf_key("p256"),
        batch,
        ca=None,
        extensions=[pki.raw_ext(ap.OID_KEY_DESCRIPTION, ap.key_description())],
    )
    _rejected(_leaf_under(tree, leaf))


def test_leaf_without_key_description_does_not_trigger(pin_test_roots: None) -> None:
    tree = _tree()
    leaf = ap.android_leaf(tree.intermediates[0], ap.leaf_key("p256"), None)
    error = _rejected(_leaf_under(tree, leaf))
    assert error.rule == "P5"


def test_unknown_critical_extension_on_the_batch_is_rejected(pin_test_roots: None) -> None:
    _rejected(_tree(extra=(pki.raw_ext("1.2.3.4.5", b"\x05\x00", critical=True),)))


def test_forged_batch_signature_is_rejected(pin_test_roots: None) -> None:
    tree = _tree()
    der = bytearray(tree.intermediates[0].der)
    der[-1] ^= 0x01
    _rejected(tree, [tree.leaf.der, bytes(der), tree.x5c[2]])


def test_name_constraints_stay_rejected_on_any_other_certificate(pin_test_roots: None) -> None:
    """The CA above B carries (satisfiable) nameConstraints: the pinned validator refuses them there."""
    anchor = ap.rsa_root()
    ca = issue(
        name("Test Attestation CA", serial_number="87f45144"),
        ec_key("p384", "batch-ca"),
        anchor,
        ca=True,
        extensions=[(_SONY_CONSTRAINTS, False)],
    )
    batch = _batch(ca)
    leaf = ap.android_leaf(batch, ap.leaf_key("p256"), ap.key_description())
    error = _rejected(ap.Tree(anchor, [batch, ca], leaf))
    assert error.rule == "P5" and "nameConstraints" in error.message


def test_trigger_reads_only_signed_fields() -> None:
    tree = _tree()
    batch, ca = tree.intermediates[0].cert, tree.intermediates[1].cert
    assert pinned_android.trigger(tree.leaf.cert, [ca, batch])
    assert not pinned_android.trigger(tree.leaf.cert, [ca])
    assert not pinned_android.trigger(ca, [batch])  # no KeyDescription on the "leaf"


def test_search_without_the_relaxation_enabled_never_accepts_the_batch(pin_test_roots: None) -> None:
    tree = _tree()
    with pytest.raises(UntrustedChainError) as info:
        pinned.search(
            tree.leaf.cert, [c.cert for c in tree.intermediates], tree.roots, NOW, check="K4", enabled=()
        )
    assert info.value.rule == "P5"
