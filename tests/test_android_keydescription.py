"""The KeyDescription reader (SPEC §4.4): every real chain decodes to its upstream expected values,
every version reads with its schema, and every strictness rule has a negative.

Generated values come from tests/android_pki.py, a hand-written DER encoder independent of the
reader. Real values come from the leaves of testdata/vectors/android-key and their upstream
`expected.json5` (android/keyattestation), plus the WebAuthn android-key vector.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import android_pki as ap
import pytest
from cryptography import x509
from vectors import load_vector, read_bytes, vector_ids

from attestverify import MalformedError
from attestverify.android.keydescription import (
    MAX_KEY_DESCRIPTION,
    OID_KEY_DESCRIPTION,
    KeyDescription,
    SecurityLevel,
    VerifiedBootState,
    decode_key_description,
)

REAL = vector_ids("android-key/")
_LEVEL = {"SOFTWARE": 0, "TRUSTED_ENVIRONMENT": 1, "STRONG_BOX": 2}
_ORIGIN = {"GENERATED": 0, "IMPORTED": 2}


def _extension(der: bytes) -> bytes:
    cert = x509.load_der_x509_certificate(der)
    value = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(OID_KEY_DESCRIPTION)).value
    assert isinstance(value, x509.UnrecognizedExtension)
    return value.value


def _expected(vector_id: str) -> dict[str, Any]:
    """Upstream expected.json5: JSON with `//` comment lines and trailing commas."""
    path = next(p for p in load_vector(vector_id).record["files"] if p.endswith("expected.json5"))
    text = read_bytes(path).decode()
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))  # type: ignore[no-any-return]


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _compare_list(actual: Any, expected: dict[str, Any]) -> None:
    """Every AuthorizationList field the upstream JSON names, compared with the decoded value."""
    ints = {
        "algorithms": "algorithm",
        "keySize": "key_size",
        "ecCurve": "ec_curve",
        "rsaPublicExponent": "rsa_public_exponent",
        "creationDateTime": "creation_date_time",
        "osVersion": "os_version",
        "osPatchLevel": "os_patch_level",
        "vendorPatchLevel": "vendor_patch_level",
        "bootPatchLevel": "boot_patch_level",
    }
    sets = {"purposes": "purposes", "digests": "digests", "paddings": "paddings"}
    ids = {
        "attestationIdBrand": "attestation_id_brand",
        "attestationIdDevice": "attestation_id_device",
        "attestationIdProduct": "attestation_id_product",
        "attestationIdSerial": "attestation_id_serial",
        "attestationIdManufacturer": "attestation_id_manufacturer",
        "attestationIdModel": "attestation_id_model",
    }
    seen = set()
    for key, value in expected.items():
        seen.add(key)
        if key in ints:
            assert getattr(actual, ints[key]) == int(value), key
        elif key in sets:
            assert getattr(actual, sets[key]) == tuple(sorted(int(v) for v in value)), key
        elif key in ids:
            assert getattr(actual, ids[key]) == value.encode(), key
        elif key == "noAuthRequired":
            assert actual.no_auth_required is value
        elif key == "origin":
            assert actual.origin == _ORIGIN[value]
        elif key == "moduleHash":
            assert actual.module_hash == _b64(value)
        elif key == "rootOfTrust":
            rot = actual.root_of_trust
            assert rot.verified_boot_key == _b64(value["verifiedBootKey"])
            assert rot.device_locked is value["deviceLocked"]
            assert rot.verified_boot_state == VerifiedBootState[value["verifiedBootState"]]
            assert rot.verified_boot_hash == _b64(value["verifiedBootHash"])
        elif key == "attestationApplicationId":
            assert actual.attestation_application_id is not None
            for package in value["packages"]:
                assert package["name"].encode() in actual.attestation_application_id
        elif key == "rollbackResistant":
            assert 703 in actual.tags  # a tag the reader skips, still listed
        elif key == "areTagsOrdered":
            assert list(actual.tags) == sorted(actual.tags)
        else:
            pytest.fail(f"upstream field {key} is not compared")
    # Fields absent upstream are absent here too.
    for key, attr in {**ints, **sets, **ids}.items():
        if key not in seen:
            assert getattr(actual, attr) is None, key


@pytest.mark.parametrize("vector_id", REAL)
def test_real_key_descriptions_decode_to_the_upstream_values(vector_id: str) -> None:
    vector = load_vector(vector_id)
    kd = decode_key_description(_extension(vector.x5c_der[0]))
    expected = _expected(vector_id)
    assert (
        kd.attestation_version == int(expected["attestationVersion"]) == vector.decoded["attestationVersion"]
    )
    assert kd.keymint_version == int(expected["keyMintVersion"])
    assert kd.attestation_security_level == _LEVEL[expected["attestationSecurityLevel"]]
    assert kd.keymint_security_level == _LEVEL[expected["keyMintSecurityLevel"]]
    assert kd.attestation_challenge == _b64(expected["attestationChallenge"])
    assert kd.unique_id == _b64(expected["uniqueId"])
    _compare_list(kd.software_enforced, expected["softwareEnforced"])
    _compare_list(kd.hardware_enforced, expected["hardwareEnforced"])


def test_real_webauthn_key_description_decodes() -> None:
    doc = json.loads(read_bytes("vectors/webauthn/pywebauthn-android-key-pixel-8a.json"))
    import cbor2

    text = doc["registration_response"]["response"]["attestationObject"]
    att = cbor2.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    kd = decode_key_description(_extension(att["attStmt"]["x5c"][0]))
    assert kd.attestation_version == 300
    assert kd.attestation_security_level == SecurityLevel.TRUSTED_ENVIRONMENT


def test_generated_key_description_round_trips_every_field() -> None:
    hardware = ap.hardware_fields("rsa2048")
    hardware.update(
        {
            ap.ID_IMEI: ap.octets(b"490154203237518"),
            ap.ID_MEID: ap.octets(b"A0000000000001"),
            ap.ID_SECOND_IMEI: ap.octets(b"490154203237519"),
            ap.DEVICE_UNIQUE_ATTESTATION: ap.null(),
            ap.MODULE_HASH: ap.octets(b"\x44" * 32),
            ap.ALL_APPLICATIONS: ap.null(),
        }
    )
    kd = decode_key_description(
        ap.key_description(hardware=hardware, unique_id=b"\x01\x02", keymint_level=2, attestation_level=2)
    )
    hw = kd.hardware_enforced
    assert kd.attestation_security_level == kd.keymint_security_level == SecurityLevel.STRONGBOX
    assert kd.unique_id == b"\x01\x02"
    assert (hw.algorithm, hw.key_size, hw.paddings, hw.rsa_public_exponent) == (1, 2048, (5,), 65537)
    assert hw.attestation_id_serial == ap.SERIAL.encode()
    assert hw.attestation_id_imei == b"490154203237518" and hw.attestation_id_meid == b"A0000000000001"
    assert hw.attestation_id_second_imei == b"490154203237519" and hw.module_hash == b"\x44" * 32
    assert hw.device_unique_attestation and hw.all_applications and hw.no_auth_required
    assert hw.root_of_trust is not None and hw.root_of_trust.verified_boot_state == VerifiedBootState.VERIFIED
    assert kd.software_enforced.creation_date_time == 1_780_000_000_000
    assert isinstance(kd, KeyDescription)


# --- versions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2, 3, 4, 100, 200, 300, 400, 401, 500, 2**31 - 1])
def test_every_known_version_reads(version: int) -> None:
    boot_hash = None if version < 3 else b"\x22" * 32
    hardware = {**ap.hardware_fields(), ap.ROOT_OF_TRUST: ap.root_of_trust(boot_hash=boot_hash)}
    kd = decode_key_description(ap.key_description(version=version, hardware=hardware))
    assert kd.attestation_version == version
    assert kd.hardware_enforced.root_of_trust is not None
    assert kd.hardware_enforced.root_of_trust.verified_boot_hash == boot_hash


@pytest.mark.parametrize("version", [0, 5, 99, 101, 250, 399, -1, 2**31, 2**64])
def test_other_versions_are_malformed(version: int) -> None:
    with pytest.raises(MalformedError) as info:
        decode_key_description(ap.key_description(version=version))
    assert info.value.check == "K6"


@pytest.mark.parametrize(
    ("version", "boot_hash"), [(1, b"\x22" * 32), (2, b"\x22" * 32), (3, None), (400, None)]
)
def test_root_of_trust_follows_the_version_schema(version: int, boot_hash: bytes | None) -> None:
    hardware = {**ap.hardware_fields(), ap.ROOT_OF_TRUST: ap.root_of_trust(boot_hash=boot_hash)}
    with pytest.raises(MalformedError):
        decode_key_description(ap.key_description(version=version, hardware=hardware))


@pytest.mark.parametrize(
    ("version", "tag", "attr"),
    [
        (1, ap.ID_SERIAL, "attestation_id_serial"),
        (2, ap.VENDOR_PATCH_LEVEL, "vendor_patch_level"),
        (3, ap.DEVICE_UNIQUE_ATTESTATION, "device_unique_attestation"),
        (200, ap.ID_SECOND_IMEI, "attestation_id_second_imei"),
        (300, ap.MODULE_HASH, "module_hash"),
    ],
)
def test_tags_newer_than_the_version_are_skipped(version: int, tag: int, attr: str) -> None:
    values = {ap.DEVICE_UNIQUE_ATTESTATION: ap.null(), ap.VENDOR_PATCH_LEVEL: ap.integer(20260505)}
    boot_hash = None if version < 3 else b"\x22" * 32
    hardware = {
        **ap.hardware_fields(serial=None),
        ap.ROOT_OF_TRUST: ap.root_of_trust(boot_hash=boot_hash),
        tag: values.get(tag, ap.octets(b"x")),
    }
    kd = decode_key_description(ap.key_description(version=version, hardware=hardware))
    assert getattr(kd.hardware_enforced, attr) in (None, False)
    assert tag in kd.hardware_enforced.tags


def test_unknown_tags_are_skipped_whatever_their_content() -> None:
    hardware = {
        **ap.hardware_fields(),
        ap.ROLLBACK_RESISTANT: ap.null(),
        9999: b"\x04\x01\xff",
        4: b"\x30\x00",
    }
    kd = decode_key_description(ap.key_description(hardware=hardware))
    assert {4, 703, 9999} <= set(kd.hardware_enforced.tags)
    assert kd.hardware_enforced.attestation_id_serial == ap.SERIAL.encode()


# --- strictness ----------------------------------------------------------------------------------------


def _malformed(der: object) -> None:
    with pytest.raises(MalformedError) as info:
        decode_key_description(der)
    assert info.value.check == "K6"


def _with_hw(**tags: bytes) -> dict[int, bytes]:
    fields = ap.hardware_fields()
    for key, value in tags.items():
        fields[getattr(ap, key)] = value
    return fields


def _replace_element(tag: int, element: bytes) -> bytes:
    """A KeyDescription whose hardwareEnforced element `[tag]` is replaced by raw `element` bytes."""
    fields = ap.hardware_fields()
    tags = sorted(fields)
    body = b"".join(element if t == tag else ap.explicit(t, fields[t]) for t in tags)
    return ap.sequence(
        ap.integer(400), ap.enumerated(1), ap.integer(400), ap.enumerated(1),
        ap.octets(b"c"), ap.octets(b""), ap.authorization_list(ap.software_fields()), ap.tlv(b"\x30", body),
    )  # fmt: skip


def test_the_replace_helper_builds_valid_input() -> None:
    fields = ap.hardware_fields()
    decode_key_description(_replace_element(ap.ORIGIN, ap.explicit(ap.ORIGIN, fields[ap.ORIGIN])))


@pytest.mark.parametrize(
    "der",
    [
        pytest.param(None, id="not-bytes"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x30" + b"\x00" * (MAX_KEY_DESCRIPTION + 1), id="too-long"),
        pytest.param(ap.key_description() + b"\x00", id="trailing-byte"),
        pytest.param(b"\x30\x83\x00" + ap.key_description()[2:], id="nonminimal-length"),
        pytest.param(b"\x30\x80" + ap.key_description()[4:] + b"\x00\x00", id="indefinite-length"),
        pytest.param(ap.key_description(attestation_level=3), id="security-level-3"),
        pytest.param(ap.key_description(keymint_level=-1), id="security-level-negative"),
        pytest.param(ap.key_description(keymint_version=-1), id="keymint-version-negative"),
        pytest.param(ap.sequence(ap.integer(3), ap.enumerated(1)), id="truncated-sequence"),
    ],
)
def test_structure_is_strict(der: object) -> None:
    _malformed(der)


@pytest.mark.parametrize(
    "hardware",
    [
        pytest.param(
            _with_hw(PURPOSE=ap.set_of(ap.integer(3), ap.integer(2), sort=False)), id="unsorted-set-of"
        ),
        pytest.param(_with_hw(ORIGIN=b"\x02\x02\x00\x00"), id="nonminimal-integer"),
        pytest.param(_with_hw(ORIGIN=ap.integer(-1)), id="negative-integer"),
        pytest.param(_with_hw(OS_VERSION=ap.integer(2**64)), id="integer-above-2^64"),
        pytest.param(_with_hw(ORIGIN=ap.octets(b"\x00")), id="wrong-type"),
        pytest.param(_with_hw(ROOT_OF_TRUST=b"\x30\x04\x04\x00\x01\x00"), id="root-of-trust-short"),
        pytest.param(
            _with_hw(
                ROOT_OF_TRUST=ap.sequence(
                    ap.octets(b""), ap.boolean(True), ap.enumerated(0), ap.octets(b""), ap.octets(b"extra")
                )
            ),
            id="root-of-trust-extra-field",
        ),
        pytest.param(_with_hw(ROOT_OF_TRUST=ap.root_of_trust(state=4)), id="boot-state-4"),
        pytest.param(_with_hw(NO_AUTH_REQUIRED=b"\x05\x01\x00"), id="null-with-content"),
        pytest.param(_with_hw(PURPOSE=ap.int_set(*range(40))), id="set-too-large"),
        pytest.param(_with_hw(ID_SERIAL=b"\x24\x04\x04\x02AB"), id="constructed-octet-string"),
    ],
)
def test_known_fields_are_strict(hardware: dict[int, bytes]) -> None:
    _malformed(ap.key_description(hardware=hardware))


def test_boolean_true_must_be_ff() -> None:
    rot = ap.root_of_trust().replace(b"\x01\x01\xff", b"\x01\x01\x01")
    _malformed(ap.key_description(hardware=_with_hw(ROOT_OF_TRUST=rot)))


@pytest.mark.parametrize(
    ("tag", "element"),
    [
        pytest.param(ap.ORIGIN, b"\x81\x03\x02\x01\x00", id="primitive-context-tag"),
        pytest.param(ap.ORIGIN, b"\x61\x03\x02\x01\x00", id="application-tag"),
        pytest.param(ap.ORIGIN, b"\xbf\x80\x85\x3e\x03\x02\x01\x00", id="tag-number-leading-0x80"),
        pytest.param(ap.ALGORITHM, b"\xbf\x02\x03\x02\x01\x03", id="low-tag-in-high-form"),
        pytest.param(ap.ORIGIN, b"\xbf\x85\x3e\x81\x03\x02\x01\x00", id="long-form-short-length"),
        pytest.param(ap.ORIGIN, b"\xbf\x85\x3e\x82\x00\x03\x02\x01\x00", id="length-leading-zero"),
        pytest.param(ap.ORIGIN, b"\xbf\x85\x3e\x04\x02\x01\x00\x00", id="inner-trailing-byte"),
        pytest.param(ap.ORIGIN, b"\xbf\x85\x3e\x80\x02\x01\x00\x00\x00", id="indefinite-element"),
    ],
)
def test_element_headers_are_strict(tag: int, element: bytes) -> None:
    _malformed(_replace_element(tag, element))


def test_each_tag_at_most_once_and_in_order() -> None:
    fields = ap.hardware_fields()
    tags = sorted(fields)
    _malformed(_ordered(fields, [*tags, tags[-1]]))
    swapped = [*tags[:2][::-1], *tags[2:]]
    _malformed(_ordered(fields, swapped))
    unknown_repeated = {**fields, 9999: ap.null()}
    _malformed(_ordered(unknown_repeated, [*sorted(fields), 9999, 9999]))


def _ordered(fields: dict[int, bytes], order: list[int]) -> bytes:
    return ap.sequence(
        ap.integer(400), ap.enumerated(1), ap.integer(400), ap.enumerated(1), ap.octets(b"c"), ap.octets(b""),
        ap.authorization_list(ap.software_fields()), ap.authorization_list(fields, order=order),
    )  # fmt: skip


def test_too_many_elements() -> None:
    fields = {1000 + i: ap.null() for i in range(200)}
    _malformed(ap.key_description(software=fields))


def test_errors_carry_the_callers_check_id() -> None:
    with pytest.raises(MalformedError) as info:
        decode_key_description(b"\x30\x00", check="I9")
    assert info.value.check == "I9"


def test_labels() -> None:
    assert [s.label for s in SecurityLevel] == ["software", "trusted-environment", "strongbox"]
    assert [s.label for s in VerifiedBootState] == ["verified", "self-signed", "unverified", "failed"]
