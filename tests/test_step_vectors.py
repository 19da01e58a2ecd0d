"""Format `step` on real YubiKey chains (testdata/vectors/step) at their pinned times.

The vectors carry only certificates (no private key, no signature over a key authorization), so
they go through `step.verify_chain` (S1-S2, S4-S5, S7-S8), and wrapped into an attestation object
with a dummy signature they must fail exactly at S6. Expected values come from MANIFEST.json
(`decoded`), never from this code.

Covered firmware: 4.3.5 (F9 4.3.4, no basicConstraints), 4.3.7 (U2F root; rejected), 4.4.5, 5.2.6, 5.2.7,
5.4.3 and 5.7.4 (five-level Yubico Attestation Root 1 hierarchy).
"""

from __future__ import annotations

import datetime as dt
import random

import cbor2
import pytest
import vectors
from cryptography import x509
from pki import KEY_AUTHORIZATION

import attestverify
from attestverify import step
from attestverify.errors import BadSignatureError, PolicyError, UntrustedChainError
from attestverify.identity import PinPolicy, TouchPolicy

STEP_IDS = vectors.vector_ids("step/")
U2F_ROOT = "roots/yubico/yubico-u2f-root-ca-serial-457200631.pem"
ATTESTATION_ROOT_1 = "roots/yubico/yubico-attestation-root-1.pem"
INTERMEDIATES_574 = [
    "roots/yubico/intermediates/yubico-attestation-intermediate-a-1.pem",
    "roots/yubico/intermediates/yubico-attestation-intermediate-b-1.pem",
    "roots/yubico/intermediates/yubico-piv-attestation-a-1.pem",
    "roots/yubico/intermediates/yubico-piv-attestation-b-1.pem",
]
U2F_2018 = "step/pivgo-validchain2018-fw437"
SERIAL_MISMATCH = "step/dockertuf-testkeys-dir12345678-serial-mismatch"


def device_x5c(v: vectors.Vector) -> list[bytes]:
    """What the device sends: leaf + F9 only (the 5.7.4 intermediates come from the bundle)."""
    return [vectors.certificate_der(ref) for ref in v.record["x5c"]]


def _is_p384(v: vectors.Vector) -> bool:
    return bool(v.decoded["leaf_key"] == "EC-secp384r1")


# Vectors the SPEC accepts end to end with the bundled anchors.
ACCEPTED = [i for i in STEP_IDS if i != U2F_2018 and not _is_p384(vectors.load_vector(i))]
# YubiKey 5 P-384 slot keys: `step.verify_chain` accepts them (SPEC v2 §4.2 S5); the full `step`
# statement, like step-ca, signs with P-256 only.
P384 = [i for i in STEP_IDS if _is_p384(vectors.load_vector(i))]


def _firmware(text: str | None) -> tuple[int, ...] | None:
    return None if text is None else tuple(int(p) for p in text.split("."))


def _expected_relaxations(v: vectors.Vector) -> tuple[str, ...]:
    found = []
    if v.decoded["f9_basic_constraints"] == "ABSENT":
        found.append("yubikey-legacy-f9")
    if any("ABSENT parameters" in note for note in v.record.get("notes", [])):
        found.append("rsa-sig-params-absent")
    return tuple(found)


def _assert_decoded(v: vectors.Vector, serial: str | None, details: attestverify.StepDetails) -> None:
    d = v.decoded
    assert serial == (None if d["serial"] is None else str(d["serial"]))
    assert details.serial_source == (None if d["serial"] is None else "yubico")
    assert details.firmware_version == _firmware(d["firmware"])
    assert details.pin_policy is PinPolicy[d["pin_policy"].upper()]
    assert details.touch_policy is TouchPolicy[d["touch_policy"].upper()]
    assert bytes([details.pin_policy, details.touch_policy]).hex() == d["policy_hex"]
    if d["form_factor_hex"] is None:
        assert details.form_factor is None and details.fips is None
    else:
        byte = int(d["form_factor_hex"], 16)
        assert details.form_factor == byte & 0x7F
        assert details.fips is bool(byte & 0x80)
    assert details.slot == d["slot"]


def test_the_collection_is_here() -> None:
    assert len(STEP_IDS) == 15
    assert len(ACCEPTED) == 10
    assert len(P384) == 4


@pytest.mark.parametrize("vid", ACCEPTED)
def test_verify_chain_with_bundled_roots(vid: str) -> None:
    v = vectors.load_vector(vid)
    identity = step.verify_chain(device_x5c(v), now=v.now)
    assert identity.format == "step"
    assert identity.step is not None
    _assert_decoded(v, identity.serial_number, identity.step)
    assert identity.identifiers == tuple(v.decoded["identifiers"])
    assert identity.fingerprint == v.decoded["fingerprint"]
    assert identity.relaxations == _expected_relaxations(v)
    assert identity.chain[-1] == v.anchor
    assert identity.chain == tuple(x509.load_der_x509_certificate(d) for d in v.chain_der)


@pytest.mark.parametrize("vid", STEP_IDS)
def test_decode_extensions_matches_manifest(vid: str) -> None:
    v = vectors.load_vector(vid)
    leaf, f9 = (x509.load_der_x509_certificate(der) for der in device_x5c(v))
    decoded = step.decode_extensions(leaf)
    _assert_decoded(v, decoded.serial_number, decoded.details)
    assert step.decode_extensions(f9).details.firmware_version == _firmware(v.decoded["f9_firmware"])


@pytest.mark.parametrize("vid", ACCEPTED)
def test_wrapped_with_dummy_signature_fails_at_s6(vid: str) -> None:
    v = vectors.load_vector(vid)
    att = cbor2.dumps(
        {"fmt": "step", "attStmt": {"alg": -7, "sig": cbor2.dumps(b"\x30" * 70), "x5c": device_x5c(v)}}
    )
    with pytest.raises(BadSignatureError) as exc:
        attestverify.verify(att, KEY_AUTHORIZATION, now=v.now)
    assert exc.value.code == "bad-signature"
    assert exc.value.check == "S6"


@pytest.mark.parametrize("vid", P384)
def test_p384_slot_keys_verify_as_chains_but_not_as_statements(vid: str) -> None:
    v = vectors.load_vector(vid)
    identity = step.verify_chain(device_x5c(v), now=v.now)
    assert identity.serial_number == (None if v.decoded["serial"] is None else str(v.decoded["serial"]))
    assert identity.fingerprint == v.decoded["fingerprint"]
    assert identity.identifiers == tuple(v.decoded["identifiers"])
    assert identity.relaxations == _expected_relaxations(v)
    att = cbor2.dumps(
        {"fmt": "step", "attStmt": {"alg": -35, "sig": cbor2.dumps(b"\x30"), "x5c": device_x5c(v)}}
    )
    with pytest.raises(PolicyError) as exc2:
        attestverify.verify(att, KEY_AUTHORIZATION, now=v.now)
    assert exc2.value.check == "S5"


def test_serial_mismatch_vector() -> None:
    """docker/tuf filed this key under 12345678; the leaf attests 26551025.

    Its slot key is P-384, so S5 refuses it before D7 could compare the identifier: neither the
    filed nor the attested serial is ever accepted. The attested serial is what the decoder reads.
    """
    v = vectors.load_vector(SERIAL_MISMATCH)
    leaf = x509.load_der_x509_certificate(device_x5c(v)[0])
    decoded = step.decode_extensions(leaf)
    assert decoded.serial_number == "26551025"
    assert decoded.serial_number != v.decoded["claimed_identifier_upstream"]
    att = cbor2.dumps(
        {"fmt": "step", "attStmt": {"alg": -35, "sig": cbor2.dumps(b"\x30"), "x5c": device_x5c(v)}}
    )
    with pytest.raises(PolicyError) as exc:
        attestverify.verify(att, KEY_AUTHORIZATION, now=v.now, identifier="12345678")
    assert exc.value.check == "S5"


def test_u2f_root_chain_rejected_by_default() -> None:
    v = vectors.load_vector(U2F_2018)
    with pytest.raises(UntrustedChainError) as exc:
        step.verify_chain(device_x5c(v), now=v.now)
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == "S4"


def test_u2f_root_chain_with_explicit_u2f_root() -> None:
    """Even opting in to the U2F root (SPEC §5.4 lets callers add it) does not accept this chain.

    §5.3 (a) pins the U2F root's SPKI, so the basicConstraints-less F9 qualifies for the
    relaxation, but "all other rules hold" and the anchor's pathLenConstraint counts: the U2F root
    says `cA=TRUE, pathlen:0`, which forbids any CA (the F9) between it and the leaf. So the
    result is `untrusted-chain` (P5) with the relaxation on or off; only the decoder reads it.
    """
    v = vectors.load_vector(U2F_2018)
    u2f = vectors.certificate(U2F_ROOT)
    assert u2f.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    for allow in (True, False):
        with pytest.raises(UntrustedChainError) as exc:
            step.verify_chain(device_x5c(v), roots=[u2f], now=v.now, allow_legacy_f9=allow)
        assert exc.value.code == "untrusted-chain"
        assert exc.value.check == "S4"
    with pytest.raises(UntrustedChainError) as exc2:
        step.verify_chain(device_x5c(v), roots=[u2f], now=v.now)
    assert exc2.value.rule == "P5"
    leaf = x509.load_der_x509_certificate(device_x5c(v)[0])
    decoded = step.decode_extensions(leaf)
    assert decoded.serial_number is None
    _assert_decoded(v, decoded.serial_number, decoded.details)


def test_legacy_f9_needs_the_relaxation() -> None:
    v = vectors.load_vector("step/ovh-fw435-s5970478")
    assert step.verify_chain(device_x5c(v), now=v.now).relaxations == ("yubikey-legacy-f9",)
    with pytest.raises(UntrustedChainError) as exc:
        step.verify_chain(device_x5c(v), now=v.now, allow_legacy_f9=False)
    assert exc.value.check == "S4"
    att = cbor2.dumps(
        {"fmt": "step", "attStmt": {"alg": -257, "sig": cbor2.dumps(b"\x00" * 256), "x5c": device_x5c(v)}}
    )
    with pytest.raises(UntrustedChainError) as exc2:
        attestverify.verify(att, KEY_AUTHORIZATION, now=v.now, step_allow_legacy_f9=False)
    assert exc2.value.check == "S4"


def test_574_chain_needs_the_intermediates() -> None:
    v = vectors.load_vector("step/ovh-fw574-s32718477")
    x5c = device_x5c(v)
    assert len(x5c) == 2
    root = vectors.certificate(ATTESTATION_ROOT_1)
    # Given roots replace the bundled ones, and with them the bundled intermediates.
    with pytest.raises(UntrustedChainError) as exc:
        step.verify_chain(x5c, roots=[root], now=v.now)
    assert exc.value.check == "S4"
    extra = [vectors.certificate(p) for p in INTERMEDIATES_574]
    random.Random(5).shuffle(extra)
    identity = step.verify_chain(x5c, roots=[root], intermediates=extra, now=v.now)
    assert identity.serial_number == "32718477"
    # The client may send them itself, in any order.
    sent: list[bytes | x509.Certificate] = [x5c[0], extra[0], x5c[1], *extra[1:]]
    assert step.verify_chain(sent, roots=[root], intermediates=[], now=v.now).serial_number == "32718477"


def test_validity_window_is_enforced() -> None:
    v = vectors.load_vector("step/pkbrocks-fw574-s38906121")
    assert v.now is not None
    with pytest.raises(UntrustedChainError) as exc:
        step.verify_chain(device_x5c(v), now=v.now - dt.timedelta(days=2))
    assert exc.value.check == "S4"


def test_certificate_objects_are_accepted() -> None:
    v = vectors.load_vector("step/sigstore-fw445-s10550341")
    certs = [x509.load_der_x509_certificate(d) for d in device_x5c(v)]
    assert step.verify_chain(certs, now=v.now).serial_number == "10550341"
