"""Format `android-key` (SPEC §4.4, K1-K13): generated statements and the real device chains.

Generated statements go through `attestverify.verify(formats=("android-key",), ...)`;
`verify_chain` runs on the real chains of testdata/vectors/android-key at their
pinned times, and on the WebAuthn android-key vector with its clientDataHash as challenge.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

import android_pki as ap
import cbor2
import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pki import KEY_AUTHORIZATION, NOW, TOKEN, ec_key, issue, name, rsa_key
from vectors import load_vector, read_json, vector_ids

import attestverify
from attestverify import (
    AttestationError,
    BadSignatureError,
    ChallengeMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
    UsageError,
    android,
    fingerprint,
)
from attestverify.roots import bundled

UNCHECKED = android.STATUS_UNCHECKED
EMPTY_STATUS = android.StatusList.from_json({"entries": {}})


def _verify(
    tree: ap.Tree,
    att_stmt: dict[str, Any] | None = None,
    *,
    status: Any = UNCHECKED,
    allow_unverified_boot: Any = False,
    key_authorization: str = KEY_AUTHORIZATION,
    now: dt.datetime = NOW,
    roots: Any = None,
    intermediates: Any = None,
) -> Any:
    stmt = ap.statement(tree)["attStmt"] if att_stmt is None else att_stmt
    return attestverify.verify(
        {"fmt": "android-key", "attStmt": stmt},
        key_authorization,
        {"android-key": tree.roots if roots is None else roots},
        now=now,
        formats=("android-key",),
        intermediates=intermediates,
        android_status=status,
        android_allow_unverified_boot=allow_unverified_boot,
    )


def _fails(exc_type: type[AttestationError], check: str, *args: Any, **kwargs: Any) -> AttestationError:
    with pytest.raises(exc_type) as info:
        _verify(*args, **kwargs)
    assert info.value.check == check, info.value
    return info.value


def _hw(key_kind: str = "p256", **changes: bytes | None) -> dict[int, bytes]:
    fields = ap.hardware_fields(key_kind)
    for tag_name, value in changes.items():
        tag = getattr(ap, tag_name)
        if value is None:
            fields.pop(tag, None)
        else:
            fields[tag] = value
    return fields


# --- generated statements: positives -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_kind", "level"),
    [("p256", 1), ("p384", 1), ("p521", 1), ("rsa2048", 2), ("ed25519", 1)],
)
def test_each_leaf_key_type_verifies(key_kind: str, level: int) -> None:
    tree = ap.batch_tree(key_kind, attestation_level=level, keymint_level=level)
    identity = _verify(tree)
    assert identity.format == "android-key"
    assert identity.fingerprint == fingerprint(tree.leaf.key.public_key())
    assert identity.serial_number == ap.SERIAL
    assert identity.identifiers == (ap.SERIAL,)
    assert identity.relaxations == ("android-status-unchecked",)
    assert identity.chain[0] == tree.leaf.cert and identity.chain[-1] == tree.root.cert
    details = identity.android
    expected_level = "strongbox" if level == 2 else "trusted-environment"
    assert details.attestation_security_level == details.keymint_security_level == expected_level
    assert details.challenge == KEY_AUTHORIZATION.encode()
    assert (details.verified_boot_state, details.device_locked) == ("verified", True)
    assert details.os_patch_level == 202605 and details.vendor_patch_level == 20260505
    assert (details.brand, details.model, details.manufacturer) == ("acme", "Roadrunner Pro", "ACME Corp")
    assert details.origin == 0 and details.purposes == (2,)
    assert details.status_checked is False
    assert details.creation_time == 1_780_000_000_000
    assert details.attestation_application_id == ap.application_id()


def test_remote_provisioning_four_levels_under_an_ec_root() -> None:
    tree = ap.rkp_tree()
    identity = _verify(tree, status=EMPTY_STATUS)
    assert len(identity.chain) == 5
    assert identity.relaxations == ()
    assert identity.android.status_checked is True


def test_ec_root_batch_tree_and_statement_through_cbor() -> None:
    tree = ap.batch_tree(root="ec")
    att_stmt = cbor2.loads(ap.att_obj(tree))["attStmt"]
    assert _verify(tree, att_stmt).identifiers == (ap.SERIAL,)


def test_intermediates_from_the_caller_complete_the_path() -> None:
    tree = ap.rkp_tree()
    stmt = ap.statement(tree)["attStmt"]
    stmt["x5c"] = [tree.leaf.der]
    identity = _verify(tree, stmt, intermediates=[i.cert for i in tree.intermediates])
    assert len(identity.chain) == 5


# --- K1-K3: statement shape ----------------------------------------------------------------------


@pytest.mark.parametrize("x5c", [None, [], "x5c", [b""], [b"x"] * 11, [1]])
def test_k1_x5c_shape(x5c: Any) -> None:
    tree = ap.batch_tree()
    stmt = ap.statement(tree)["attStmt"]
    if x5c is None:
        del stmt["x5c"]
    else:
        stmt["x5c"] = x5c
    _fails(MalformedError, "K1", tree, stmt)


def test_k2_certificate_does_not_parse() -> None:
    tree = ap.batch_tree()
    stmt = ap.statement(tree)["attStmt"]
    stmt["x5c"] = [tree.leaf.der + b"\x00", *tree.x5c[1:]]
    _fails(MalformedError, "K2", tree, stmt)


@pytest.mark.parametrize("sig", [None, b"", b"\x00" * 1025, "sig", 7])
def test_k3_sig_shape(sig: Any) -> None:
    tree = ap.batch_tree()
    stmt = ap.statement(tree)["attStmt"]
    if sig is None:
        del stmt["sig"]
    else:
        stmt["sig"] = sig
    _fails(MalformedError, "K3", tree, stmt)


# --- K4, K5: path and status list ---------------------------------------------------------------


def test_k4_unknown_root() -> None:
    tree = ap.batch_tree()
    other = ap.batch_tree(root="ec")
    stmt = ap.statement(tree)["attStmt"]
    _fails(UntrustedChainError, "K4", tree, stmt, roots=other.roots)


@pytest.mark.parametrize("ca", [None, False])
def test_k4_attested_app_key_cannot_issue_a_leaf(ca: bool | None) -> None:
    """An app's attested key (carrying a KeyDescription) signing a forged leaf below a real attestation."""
    tree = ap.batch_tree()
    app = ap.android_leaf(tree.intermediates[0], ap.leaf_key("p256", "app"), ap.key_description(), ca=ca)
    forged = ap.android_leaf(app, ap.leaf_key("p256", "forged"), ap.key_description())
    stmt = {"alg": -7, "sig": ap.sign(forged.key), "x5c": [forged.der, app.der, tree.intermediates[0].der]}
    _fails(UntrustedChainError, "K4", tree, stmt)


def _revoking(serial: int, style: str, status: str | None = "REVOKED") -> android.StatusList:
    key = {"upper": f"{serial:X}", "zeros": f"000{serial:x}", "plain": f"{serial:x}"}[style]
    entry: dict[str, object] = {"reason": "KEY_COMPROMISE"}
    if status is not None:
        entry["status"] = status
    return android.StatusList.from_json(json.dumps({"entries": {"1f": {"status": "REVOKED"}, key: entry}}))


@pytest.mark.parametrize("style", ["upper", "zeros"])
@pytest.mark.parametrize("status", ["REVOKED", "SUSPENDED", "SOMETHING-NEW", None])
def test_k5_listed_intermediate_is_untrusted(style: str, status: str | None) -> None:
    tree = ap.rkp_tree()
    for position, issued in enumerate(tree.chain):
        listed = _revoking(issued.cert.serial_number, style, status)
        err = _fails(UntrustedChainError, "K5", tree, status=listed)
        assert f"certificate {position}" in err.message


def test_k5_unlisted_chain_passes_with_the_list_checked() -> None:
    tree = ap.batch_tree()
    identity = _verify(tree, status=_revoking(0xABCDEF, "plain"))
    assert identity.android.status_checked and "android-status-unchecked" not in identity.relaxations


# --- K6: KeyDescription placement and decoding ---------------------------------------------------


def test_k6_leaf_without_key_description() -> None:
    tree = ap.batch_tree(kd=b"")
    tree.leaf = ap.android_leaf(tree.intermediates[0], ap.leaf_key("p256"), None)
    _fails(PolicyError, "K6", tree)


def test_k6_key_description_on_an_intermediate() -> None:
    """A KeyDescription on a cA=TRUE intermediate: only the leaf may carry one."""
    anchor = ap.ec_root()
    batch = issue(
        name("Batch with KD"),
        ec_key("p256", "android-batch-kd"),
        anchor,
        ca=True,
        extensions=[pki.raw_ext(ap.OID_KEY_DESCRIPTION, ap.key_description())],
    )
    tree = ap.Tree(anchor, [batch], ap.android_leaf(batch, ap.leaf_key("p256"), ap.key_description()))
    _fails(PolicyError, "K6", tree)


@pytest.mark.parametrize(
    "kd",
    [b"\x30\x00", ap.key_description(version=5), ap.key_description()[:-1], ap.key_description() + b"\x00"],
)
def test_k6_undecodable_key_description(kd: bytes) -> None:
    tree = ap.batch_tree(kd=kd)
    _fails(MalformedError, "K6", tree)


# --- K7: leaf key -------------------------------------------------------------------------------


def test_k7_leaf_is_a_ca() -> None:
    tree = ap.batch_tree()
    tree.leaf = ap.android_leaf(tree.intermediates[0], ap.leaf_key("p256"), ap.key_description(), ca=True)
    _fails(PolicyError, "K7", tree)


@pytest.mark.parametrize("key", ["k256", "rsa1024"])
def test_k7_weak_or_unsupported_leaf_key(key: str) -> None:
    tree = ap.batch_tree()
    leaf_key = ec_key("k256", "android-k256") if key == "k256" else rsa_key(1024, "android-1024")
    tree.leaf = ap.android_leaf(tree.intermediates[0], leaf_key, ap.key_description())
    _fails(PolicyError, "K7", tree)


# --- K8-K10: security level, key properties, boot ------------------------------------------------


@pytest.mark.parametrize(("attestation", "keymint"), [(0, 1), (1, 0), (0, 0)])
def test_k8_software_level_under_a_caller_root(attestation: int, keymint: int) -> None:
    tree = ap.batch_tree(attestation_level=attestation, keymint_level=keymint)
    _fails(PolicyError, "K8", tree)


@pytest.mark.parametrize(
    "changes",
    [
        {"ORIGIN": ap.integer(2)},  # imported
        {"ORIGIN": ap.integer(4)},  # securely imported
        {"ORIGIN": None},
        {"PURPOSE": ap.int_set(0, 1)},
        {"PURPOSE": ap.int_set()},
        {"PURPOSE": None},
        {"ALL_APPLICATIONS": ap.null()},
    ],
)
def test_k9_key_properties(changes: dict[str, bytes | None]) -> None:
    tree = ap.batch_tree(hardware=_hw("p256", **changes))
    _fails(PolicyError, "K9", tree)


def test_k9_origin_only_in_software_enforced() -> None:
    software = {**ap.software_fields(), ap.ORIGIN: ap.integer(0)}
    tree = ap.batch_tree(hardware=_hw(ORIGIN=None), software=software)
    _fails(PolicyError, "K9", tree)


def test_k9_all_applications_in_software_enforced() -> None:
    tree = ap.batch_tree(software={**ap.software_fields(), ap.ALL_APPLICATIONS: ap.null()})
    _fails(PolicyError, "K9", tree)


@pytest.mark.parametrize(("locked", "state"), [(False, 0), (True, 1), (True, 2), (False, 2), (False, 1)])
def test_k10_unverified_boot_needs_the_option(locked: bool, state: int) -> None:
    tree = ap.batch_tree(hardware=_hw(ROOT_OF_TRUST=ap.root_of_trust(locked=locked, state=state)))
    _fails(PolicyError, "K10", tree)
    identity = _verify(tree, allow_unverified_boot=True)
    assert identity.relaxations == ("android-status-unchecked", "android-unverified-boot")
    assert identity.android.device_locked is locked


@pytest.mark.parametrize(
    "root_of_trust", [None, ap.root_of_trust(state=3), ap.root_of_trust(state=3, locked=False)]
)
def test_k10_missing_root_of_trust_or_failed_boot_always_fails(root_of_trust: bytes | None) -> None:
    tree = ap.batch_tree(hardware=_hw(ROOT_OF_TRUST=root_of_trust))
    _fails(PolicyError, "K10", tree)
    _fails(PolicyError, "K10", tree, allow_unverified_boot=True)


def test_k10_root_of_trust_only_in_software_enforced_fails() -> None:
    software = {**ap.software_fields(), ap.ROOT_OF_TRUST: ap.root_of_trust()}
    tree = ap.batch_tree(hardware=_hw(ROOT_OF_TRUST=None), software=software)
    _fails(PolicyError, "K10", tree, allow_unverified_boot=True)


def test_verified_boot_does_not_record_the_relaxation_when_allowed() -> None:
    identity = _verify(ap.batch_tree(), allow_unverified_boot=True)
    assert identity.relaxations == ("android-status-unchecked",)


# --- K11, K12: binding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "challenge", [TOKEN.encode(), hashlib.sha256(KEY_AUTHORIZATION.encode()).digest(), b""]
)
def test_k11_challenge_is_not_the_key_authorization(challenge: bytes) -> None:
    tree = ap.batch_tree(challenge=challenge)
    _fails(ChallengeMismatchError, "K11", tree)


def test_k11_statement_for_another_key_authorization() -> None:
    tree = ap.batch_tree()
    other = "other-token." + "A" * 43
    _fails(ChallengeMismatchError, "K11", tree, key_authorization=other)


@pytest.mark.parametrize("key_kind", ["p256", "rsa2048", "ed25519"])
def test_k12_signature_flipped_bit(key_kind: str) -> None:
    tree = ap.batch_tree(key_kind)
    stmt = ap.statement(tree)["attStmt"]
    sig = bytearray(stmt["sig"])
    sig[len(sig) // 2] ^= 0x01
    stmt["sig"] = bytes(sig)
    _fails(BadSignatureError, "K12", tree, stmt)


def test_k12_signature_by_another_key_or_cbor_wrapped() -> None:
    tree = ap.batch_tree()
    for signature in (
        ap.sign(ap.leaf_key("p256", "other")),
        cbor2.dumps(ap.sign(tree.leaf.key)),
        b"\x30\x00",
    ):
        stmt = ap.statement(tree, signature=signature)["attStmt"]
        _fails(BadSignatureError, "K12", tree, stmt)


# --- K13: identity ------------------------------------------------------------------------------


def test_k13_serial_not_utf8() -> None:
    tree = ap.batch_tree(hardware=_hw(ID_SERIAL=ap.octets(b"\xff\xfe")))
    _fails(MalformedError, "K13", tree)


def test_k13_serial_only_in_software_enforced_is_no_identifier() -> None:
    software = {**ap.software_fields(), ap.ID_SERIAL: ap.octets(ap.SERIAL.encode())}
    tree = ap.batch_tree(hardware=_hw(ID_SERIAL=None), software=software)
    identity = _verify(tree)
    assert identity.identifiers == () and identity.serial_number is None


def test_k13_serial_with_a_slash_is_kept_but_not_an_identifier() -> None:
    tree = ap.batch_tree(hardware=_hw(ID_SERIAL=ap.octets(b"AB/12")))
    identity = _verify(tree)
    assert identity.serial_number == "AB/12" and identity.identifiers == ()


def test_device_fields_that_are_not_utf8_become_none() -> None:
    tree = ap.batch_tree(hardware=_hw(ID_MODEL=ap.octets(b"\xc3")))
    assert _verify(tree).android.model is None


# --- caller arguments (D1) ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [None, "unchecked", {"entries": {}}, True])
def test_verify_statement_needs_an_explicit_status(status: Any) -> None:
    _fails(UsageError, "D1", ap.batch_tree(), status=status)


def test_verify_statement_flag_must_be_bool() -> None:
    _fails(UsageError, "D1", ap.batch_tree(), allow_unverified_boot=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"challenge": "text"},
        {"challenge": b"x" * 1025},
        {"status": "unchecked"},
        {"allow_unverified_boot": "yes"},
        {"now": dt.datetime(2026, 1, 1)},  # naive on purpose
        {"roots": [b"not a certificate"]},
    ],
)
def test_verify_chain_argument_errors(kwargs: dict[str, Any]) -> None:
    tree = ap.batch_tree()
    kwargs = {"roots": tree.roots, "now": NOW, **kwargs}
    with pytest.raises(UsageError) as info:
        android.verify_chain(tree.x5c, **kwargs)
    assert info.value.check == "D1"


@pytest.mark.parametrize("status", [None, android.STATUS_UNCHECKED])
def test_verify_chain_without_a_list_records_the_unchecked_status(status: Any) -> None:
    tree = ap.batch_tree()
    identity = android.verify_chain(tree.x5c, roots=tree.roots, now=NOW, status=status)
    assert identity.relaxations == ("android-status-unchecked",)
    assert identity.android is not None and identity.android.status_checked is False
    assert (identity.apple, identity.step, identity.tpm) == (None, None, None)


def test_verify_chain_on_generated_chain_and_x5c_shapes() -> None:
    tree = ap.batch_tree()
    identity = android.verify_chain(
        [tree.leaf.cert, *tree.x5c[1:]], roots=tree.roots, now=NOW, challenge=KEY_AUTHORIZATION.encode()
    )
    assert identity.identifiers == (ap.SERIAL,)
    assert identity.relaxations == ("android-status-unchecked",)
    with pytest.raises(ChallengeMismatchError):
        android.verify_chain(tree.x5c, roots=tree.roots, now=NOW, challenge=b"nonce")
    with pytest.raises(UsageError):
        android.verify_chain(tree.leaf.der, roots=tree.roots, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(MalformedError) as info:
        android.verify_chain([], roots=tree.roots, now=NOW)
    assert info.value.check == "K1"


# --- real device chains ---------------------------------------------------------------------------

HARDWARE = [
    "android-key/akita-sdk34-SB_RSA_NONE",
    "android-key/akita-sdk34-TEE_EC_NONE",
    "android-key/blueline-sdk28-TEE_RSA_NONE",
    "android-key/caiman-sdk36-TEE_EC_RKP",
    "android-key/tegu-sdk36-TEE_EC_2026_ROOT",
]
SONY = "android-key/sony-xperia10-iii-sdk33-TEE_EC"
SOFTWARE = "android-key/marlin-sdk29-TEE_EC_NONE"
UNVERIFIED_BOOT = {
    "android-key/akita-sdk34-SB_RSA_NONE",
    "android-key/akita-sdk34-TEE_EC_NONE",
    "android-key/blueline-sdk28-TEE_RSA_NONE",
}
_LEVELS = {"TRUSTED_ENVIRONMENT": "trusted-environment", "STRONG_BOX": "strongbox", "SOFTWARE": "software"}


def test_the_real_chain_lists_are_complete() -> None:
    assert sorted([*HARDWARE, SONY, SOFTWARE]) == vector_ids("android-key/")


def _challenge(vector: Any) -> bytes:
    return base64.b64decode(vector.decoded["attestationChallenge_b64"])


def _check_fields(identity: Any, vector: Any) -> None:
    decoded = vector.decoded
    details = identity.android
    assert details.attestation_version == decoded["attestationVersion"]
    assert details.keymint_version == decoded["keymasterOrKeyMintVersion"]
    assert details.attestation_security_level == _LEVELS[decoded["attestationSecurityLevel"]]
    assert details.keymint_security_level == _LEVELS[decoded["keymasterOrKeyMintSecurityLevel"]]
    assert details.challenge == _challenge(vector)
    assert details.verified_boot_state == decoded["verifiedBootState"].lower()
    assert details.device_locked is decoded["deviceLocked"]
    assert str(details.os_version) == decoded["osVersion"]
    assert str(details.os_patch_level) == decoded["osPatchLevel"]
    leaf_key = identity.public_key
    kind = (
        f"RSA-{leaf_key.key_size}" if hasattr(leaf_key, "public_numbers") and not hasattr(leaf_key, "curve")
        else f"EC-{leaf_key.curve.name}"
    )  # fmt: skip
    assert kind == decoded["leaf_key"]
    assert identity.identifiers == () and identity.serial_number is None  # none of them attests a serial


@pytest.mark.parametrize("vector_id", HARDWARE)
def test_real_hardware_chain_verifies_at_its_pinned_time(vector_id: str) -> None:
    vector = load_vector(vector_id)
    allow = vector_id in UNVERIFIED_BOOT
    identity = android.verify_chain(
        vector.x5c_der, challenge=_challenge(vector), roots=[vector.anchor], now=vector.now,
        allow_unverified_boot=allow,
    )  # fmt: skip
    expected = (
        ("android-status-unchecked", "android-unverified-boot") if allow else ("android-status-unchecked",)
    )
    assert identity.relaxations == expected
    assert identity.chain[-1] == vector.anchor
    _check_fields(identity, vector)
    if allow:
        with pytest.raises(PolicyError) as info:
            android.verify_chain(vector.x5c_der, roots=[vector.anchor], now=vector.now)
        assert info.value.check == "K10"


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _bundled_time(vector: Any) -> dt.datetime:
    """An instant inside every x5c certificate's validity and a bundled issue of the same root key."""
    certs = [x509.load_der_x509_certificate(d) for d in vector.x5c_der]
    issues = [a for a in bundled("android-key") if _spki(a) == _spki(vector.anchor)]
    start = max([c.not_valid_before_utc for c in certs] + [min(a.not_valid_before_utc for a in issues)])
    end = min(c.not_valid_after_utc for c in certs)
    assert start < end, vector.id
    return start + (end - start) / 2


@pytest.mark.parametrize("vector_id", HARDWARE)
def test_real_hardware_chain_verifies_with_the_bundled_roots(vector_id: str) -> None:
    vector = load_vector(vector_id)
    now = vector.now if vector.anchor in bundled("android-key") else _bundled_time(vector)
    identity = android.verify_chain(
        vector.x5c_der,
        challenge=_challenge(vector),
        now=now,
        allow_unverified_boot=vector_id in UNVERIFIED_BOOT,
    )
    assert identity.chain[-1] in bundled("android-key")


def test_real_chain_with_a_revoked_intermediate_in_upper_case() -> None:
    vector = load_vector("android-key/caiman-sdk36-TEE_EC_RKP")
    batch = x509.load_der_x509_certificate(vector.x5c_der[1])
    listed = android.StatusList.from_json(
        {"entries": {f"00{batch.serial_number:X}": {"status": "SUSPENDED"}}}
    )
    with pytest.raises(UntrustedChainError) as info:
        android.verify_chain(vector.x5c_der, now=vector.now, status=listed)
    assert info.value.check == "K5"
    identity = android.verify_chain(vector.x5c_der, now=vector.now, status=EMPTY_STATUS)
    assert identity.relaxations == () and identity.android is not None and identity.android.status_checked


def test_real_sony_chain_verifies_with_relaxation_d() -> None:
    """Sony Xperia 10 III: its batch certificate has cA=FALSE (tests/test_android_batch.py)."""
    vector = load_vector(SONY)
    identity = android.verify_chain(
        vector.x5c_der, challenge=_challenge(vector), roots=[vector.anchor], now=vector.now
    )
    assert identity.relaxations == ("android-batch-not-ca", "android-status-unchecked")
    _check_fields(identity, vector)
    bundled_identity = android.verify_chain(
        vector.x5c_der, challenge=_challenge(vector), now=_bundled_time(vector)
    )
    assert bundled_identity.chain[-1] in bundled("android-key")


def test_real_software_attested_chain_is_rejected() -> None:
    vector = load_vector(SOFTWARE)
    software_root = x509.load_der_x509_certificate(vector.x5c_der[-1])
    assert "Software Attestation Root" in software_root.subject.rfc4514_string()
    assert software_root not in bundled("android-key")
    with pytest.raises(UntrustedChainError) as info:
        android.verify_chain(vector.x5c_der, challenge=_challenge(vector), now=vector.now)
    assert info.value.check == "K4"
    with pytest.raises(PolicyError) as info2:
        android.verify_chain(
            vector.x5c_der, roots=[software_root], now=vector.now, allow_unverified_boot=True
        )
    assert info2.value.check == "K8"


def _webauthn() -> tuple[list[bytes], bytes, dt.datetime]:
    doc = read_json("vectors/webauthn/pywebauthn-android-key-pixel-8a.json")
    response = doc["registration_response"]["response"]

    def b64url(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    att = cbor2.loads(b64url(response["attestationObject"]))
    assert att["fmt"] == "android-key"
    client_data_hash = hashlib.sha256(b64url(response["clientDataJSON"])).digest()
    now = dt.datetime.fromisoformat(doc["verification_time"].replace("Z", "+00:00"))
    return list(att["attStmt"]["x5c"]), client_data_hash, now


def test_real_webauthn_android_key_chain_verifies_with_its_client_data_hash() -> None:
    x5c, client_data_hash, now = _webauthn()
    identity = android.verify_chain(x5c, challenge=client_data_hash, now=now)
    assert identity.android is not None
    assert identity.android.challenge == client_data_hash
    assert identity.android.attestation_version == 300
    assert identity.android.attestation_security_level == "trusted-environment"
    with pytest.raises(ChallengeMismatchError) as info:
        android.verify_chain(x5c, challenge=hashlib.sha256(b"other").digest(), now=now)
    assert info.value.check == "K11"


# --- inspect() hooks ------------------------------------------------------------------------------


def test_inspect_decodes_the_key_description_without_trust() -> None:
    tree = ap.batch_tree()
    statement = ap.statement(tree)
    report = attestverify.inspect(cbor2.dumps(statement))
    json.dumps(report)
    leaf = report["certificates"][0]["android_key_description"]
    assert leaf["attestation_version"] == 400
    assert leaf["attestation_challenge"] == KEY_AUTHORIZATION.encode().hex()
    assert report["android_sig"]["length"] == len(statement["attStmt"]["sig"])
    assert "android_key_description" not in report["certificates"][1]


def test_inspect_reports_an_undecodable_or_oversized_key_description_in_place() -> None:
    for kd in (
        b"\x30\x00",
        ap.key_description(software={ap.ATTESTATION_APPLICATION_ID: ap.octets(b"a" * 1100)}),
    ):
        tree = ap.batch_tree(kd=kd)
        report = attestverify.inspect(ap.att_obj(tree))
        assert report["certificates"][0]["android_key_description"]["error"]["check"] == "K6"
