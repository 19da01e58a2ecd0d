"""inspect(): decode without trusting (SPEC §2.6). Only D2-D4 raise; items report their errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct
from typing import Any

import cbor2
import pytest
import tpm_pki
from apple_pki import hierarchy
from apple_pki import leaf as apple_leaf
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st
from pki import NOT_AFTER, NOT_BEFORE, NOW, TOKEN_HASH, ec_key, name, root, rsa_key
from vectors import load_vector, read_json

import attestverify
from attestverify.errors import AttestationError, MalformedError
from attestverify.inspection import MAX_EXTENSION_VALUE, inspect

APPLE_VECTOR = "apple/nanoca-mda-leaf-TMWFWWWP67"
TPM_VECTOR = "tpm/webauthn-pywebauthn-tpm-dell-xps-13"
STEP_VECTOR = "step/pivgo-validchain-fw543-s15732500"
APPLE_P = "1.2.840.113635.100.8."


def _dumped(result: dict[str, Any]) -> dict[str, Any]:
    # Every result must survive a JSON round trip unchanged (the CLI prints it).
    again: dict[str, Any] = json.loads(json.dumps(result))
    assert again == result
    return again


def tpmt_signature(raw: bytes) -> bytes:
    """The Windows vectors carry the bare RSA signature; SPEC T8 wants TPMT_SIGNATURE around it."""
    return struct.pack(">HHH", 0x0014, 0x0004, len(raw)) + raw  # RSASSA, SHA-1 (alg -65535)


def tpm_att_stmt(vector_id: str = TPM_VECTOR) -> dict[str, Any]:
    vector = load_vector(vector_id)
    raw = read_json(vector.record["files"][-1])
    return {
        "ver": raw["ver"],
        "alg": raw["alg"],
        "x5c": vector.x5c_der,
        "sig": tpmt_signature(bytes.fromhex(raw["sig_hex"])),
        "certInfo": bytes.fromhex(raw["certInfo_hex"]),
        "pubArea": bytes.fromhex(raw["pubArea_hex"]),
    }


# --- D2-D4 raise ----------------------------------------------------------------------------


def test_bad_base64url_raises_d2() -> None:
    with pytest.raises(MalformedError) as exc:
        inspect("not base64url!")
    assert exc.value.code == "malformed"
    assert exc.value.check == "D2"


def test_bad_cbor_raises_d3() -> None:
    with pytest.raises(MalformedError) as exc:
        inspect(b"\xff\x00")
    assert exc.value.code == "malformed"
    assert exc.value.check == "D3"


@pytest.mark.parametrize(
    "statement",
    [cbor2.dumps([1, 2]), cbor2.dumps({"attStmt": {}}), cbor2.dumps({"fmt": 1, "attStmt": {}})],
)
def test_not_a_map_or_fmt_not_text_raises_d4(statement: bytes) -> None:
    with pytest.raises(MalformedError) as exc:
        inspect(statement)
    assert exc.value.check == "D4"


@pytest.mark.parametrize("att_stmt", [None, [], b"x", {1: b"x"}])
def test_bad_att_stmt_is_reported_not_raised_d6(att_stmt: object) -> None:
    top: dict[str, object] = {"fmt": "apple"}
    if att_stmt is not None:
        top["attStmt"] = att_stmt
    try:
        result = _dumped(inspect(top))
    except MalformedError as err:  # the strict decoder may refuse non-text attStmt keys itself
        assert att_stmt == {1: b"x"}
        assert err.check == "D3"
        return
    assert result["verified"] is False
    assert result["attStmt"]["error"]["check"] == "D6"


# --- apple ----------------------------------------------------------------------------------


def test_real_apple_leaf_extensions_are_decoded() -> None:
    vector = load_vector(APPLE_VECTOR)
    leaf_der = vector.chain_der[0]
    result = _dumped(inspect(cbor2.dumps({"fmt": "apple", "attStmt": {"x5c": [leaf_der]}})))
    decoded = vector.decoded
    assert result["verified"] is False
    assert result["fmt"] == "apple"
    assert result["implemented"] is True
    assert result["attStmt_keys"] == ["x5c"]
    [cert] = result["certificates"]
    assert cert["index"] == 0
    assert cert["issuer"] == decoded["issuer"]
    assert cert["subject"] == decoded["subject"]
    assert cert["not_before"] == decoded["not_before"]
    assert cert["not_after"] == decoded["not_after"]
    assert cert["key"]["type"] == "EC"
    assert cert["key"]["curve"] == "secp384r1"
    assert cert["key"]["fingerprint"] == decoded["fingerprint"]
    assert cert["signature_algorithm"] == "1.2.840.10045.4.3.3"
    apple = cert["apple"]
    assert apple["serial_number"] == decoded["serial_number"]
    assert apple["udid"] == decoded["udid"]
    assert apple["os_version"] == decoded["os_version"]
    assert apple["secure_boot"] == decoded["secure_boot"]
    assert apple["sip_status"] == decoded["sip_status"]
    assert apple["third_party_kexts"] == decoded["third_party_kexts"]
    assert apple["nonce"] == decoded["nonce_hex"]
    assert apple["software_update_device_id"] == decoded["model_or_board_id"]
    oids = [ext["oid"] for ext in cert["extensions"]]
    assert APPLE_P + "11.1" in oids
    assert APPLE_P + "9.1" in apple["extensions"]


def test_real_apple_leaf_as_base64url_and_mapping() -> None:
    leaf_der = load_vector(APPLE_VECTOR).chain_der[0]
    raw = cbor2.dumps({"fmt": "apple", "attStmt": {"x5c": [leaf_der]}})
    text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    from_text = inspect(text)
    from_mapping = inspect({"fmt": "apple", "attStmt": {"x5c": [leaf_der]}})
    assert from_text == from_mapping == inspect(raw)


def test_generated_apple_chain_lists_each_certificate() -> None:
    _, sub = hierarchy()
    leaf = apple_leaf()
    result = _dumped(inspect(cbor2.dumps({"fmt": "apple", "attStmt": {"x5c": [leaf.der, sub.der]}})))
    first, second = result["certificates"]
    assert first["apple"]["nonce"] == TOKEN_HASH.hex()
    assert "apple" not in second
    basic = [e for e in second["extensions"] if e["oid"] == "2.5.29.19"]
    assert basic[0]["ca"] is True
    assert "CN=Apple Enterprise Attestation Sub CA 1" in second["subject"]


def test_oversized_apple_extension_is_not_decoded() -> None:
    big = b"A" * (MAX_EXTENSION_VALUE + 1)
    leaf = apple_leaf(values={APPLE_P + "10.1": big})
    result = _dumped(inspect({"fmt": "apple", "attStmt": {"x5c": [leaf.der]}}))
    apple = result["certificates"][0]["apple"]
    assert apple["os_version"] is None
    assert apple["not_decoded"] == [APPLE_P + "10.1"]
    assert apple["serial_number"] is not None
    exact = apple_leaf(values={APPLE_P + "10.1": b"A" * MAX_EXTENSION_VALUE})
    assert (
        inspect({"fmt": "apple", "attStmt": {"x5c": [exact.der]}})["certificates"][0]["apple"]["os_version"]
        == "A" * MAX_EXTENSION_VALUE
    )


def test_non_utf8_serial_is_none_not_an_error() -> None:
    leaf = apple_leaf(values={APPLE_P + "9.1": b"\xff\xfe"})
    result = _dumped(inspect({"fmt": "apple", "attStmt": {"x5c": [leaf.der]}}))
    assert result["certificates"][0]["apple"]["serial_number"] is None


def test_undecodable_certificate_is_an_item_error_a2() -> None:
    leaf = apple_leaf()
    result = _dumped(inspect({"fmt": "apple", "attStmt": {"x5c": [leaf.der, b"\x30\x03\x02\x01\x01"]}}))
    assert "OU=AAA Certification" in result["certificates"][0]["subject"]
    error = result["certificates"][1]["error"]
    assert error["code"] == "malformed"
    assert error["check"] == "A2"


def test_certificate_with_trailing_byte_is_an_item_error_a2() -> None:
    leaf = apple_leaf()
    result = inspect({"fmt": "apple", "attStmt": {"x5c": [leaf.der + b"\x00"]}})
    assert result["certificates"][0]["error"]["check"] == "A2"


@pytest.mark.parametrize("x5c", [[], b"x", [b"x"] * 11, ["text"], [b""]])
def test_bad_x5c_shape_is_reported_a1(x5c: object) -> None:
    result = _dumped(inspect({"fmt": "apple", "attStmt": {"x5c": x5c}}))
    assert result["certificates"]["error"]["check"] == "A1"


# --- tpm ------------------------------------------------------------------------------------


def test_real_tpm_statement_structures_are_decoded() -> None:
    vector = load_vector(TPM_VECTOR)
    decoded = vector.decoded
    result = _dumped(inspect({"fmt": "tpm", "attStmt": tpm_att_stmt()}))
    assert result["attStmt"]["ver"] == "2.0"
    assert result["attStmt"]["alg"] == -65535
    assert result["attStmt"]["sig"]["length"] == 262
    tpm = result["tpm"]
    assert tpm["certInfo"]["extra_data"] == decoded["extraData_hex"]
    assert tpm["certInfo"]["magic"] == 0xFF544347
    assert f"0x{tpm['certInfo']['firmware_version']:x}" == decoded["firmwareVersion"]
    pub = tpm["pubArea"]
    assert "raw" not in pub
    assert pub["type_name"] == "RSA"
    assert pub["name_alg_name"] == "SHA256"
    assert hex(pub["object_attributes"]) == decoded["attested_key_objectAttributes"]
    for flag, value in decoded["attested_key_attributes"].items():
        assert pub["attributes"][flag] is value
    assert pub["name_matches_certInfo"] is True
    assert tpm["sig"]["sig_alg_name"] == "RSASSA"
    assert tpm["sig"]["hash_alg_name"] == "SHA1"
    ak = result["certificates"][0]
    assert ak["subject"] == ""
    assert ak["tpm_ak"]["profile"]["manufacturer"] == decoded["tpm_manufacturer"]
    assert ak["tpm_ak"]["profile"]["model"] == decoded["tpm_model"]
    assert ak["tpm_ak"]["profile"]["vendor"] == decoded["tpm_vendor"]
    assert ak["tpm_ak"]["identities"] == {"permanent_identifiers": [], "hardware_module_names": []}
    assert "tpm_ak" not in result["certificates"][1]


def test_tpm_structure_errors_are_per_item_t8() -> None:
    att_stmt = tpm_att_stmt()
    att_stmt["certInfo"] = att_stmt["certInfo"][:-1]
    result = _dumped(inspect({"fmt": "tpm", "attStmt": att_stmt}))
    assert result["tpm"]["certInfo"]["error"]["code"] == "malformed"
    assert result["tpm"]["certInfo"]["error"]["check"] == "T8"
    assert result["tpm"]["pubArea"]["type_name"] == "RSA"
    assert "name_matches_certInfo" not in result["tpm"]["pubArea"]
    assert result["tpm"]["sig"]["sig_alg_name"] == "RSASSA"


def test_tpm_missing_blob_is_reported_t4() -> None:
    att_stmt = tpm_att_stmt()
    del att_stmt["pubArea"]
    att_stmt["sig"] = "text"
    result = _dumped(inspect({"fmt": "tpm", "attStmt": att_stmt}))
    assert result["tpm"]["pubArea"]["error"]["check"] == "T4"
    assert result["tpm"]["sig"]["error"]["check"] == "T4"
    assert "extra_data" in result["tpm"]["certInfo"]


def test_other_pub_area_does_not_match_the_certified_name() -> None:
    att_stmt = tpm_att_stmt()
    att_stmt["pubArea"] = tpm_att_stmt("tpm/webauthn-pywebauthn-tpm-ecc-nuvoton")["pubArea"]
    result = inspect({"fmt": "tpm", "attStmt": att_stmt})
    assert result["tpm"]["pubArea"]["type_name"] == "ECC"
    assert result["tpm"]["pubArea"]["name_matches_certInfo"] is False


def test_tpm_ak_profile_failure_is_reported_t6() -> None:
    # A non-AK certificate (the Microsoft intermediate) as x5c[0]: its profile fails, reported.
    att_stmt = tpm_att_stmt()
    att_stmt["x5c"] = att_stmt["x5c"][1:]
    result = _dumped(inspect({"fmt": "tpm", "attStmt": att_stmt}))
    ak = result["certificates"][0]["tpm_ak"]
    assert ak["profile"]["error"]["code"] == "policy"
    assert ak["profile"]["error"]["check"] == "T6"


# --- step -----------------------------------------------------------------------------------


def test_real_yubikey_extensions_are_decoded() -> None:
    vector = load_vector(STEP_VECTOR)
    att_stmt = {"alg": -7, "sig": cbor2.dumps(b"\x30\x06\x02\x01\x01\x02\x01\x01"), "x5c": vector.x5c_der}
    result = _dumped(inspect({"fmt": "step", "attStmt": att_stmt}))
    yubico = result["certificates"][0]["yubico"]
    assert yubico["serial_number"] == "15732500"
    assert yubico["serial_source"] == "yubico"
    assert yubico["firmware_version"] == [5, 4, 3]
    assert yubico["pin_policy"] == "ONCE"
    assert yubico["touch_policy"] == "NEVER"
    assert yubico["form_factor"] == "USB_C_NANO"
    assert yubico["slot"] == "9a"
    assert result["certificates"][1]["yubico"]["firmware_version"] == [5, 4, 3]
    assert result["step_sig"] == {"length": 8, "hex": "3006020101020101"}


def test_bad_yubikey_serial_is_reported_s7() -> None:
    from yubikey_pki import legacy_tree, yubico_leaf_extensions

    tree = legacy_tree(extensions=yubico_leaf_extensions(serial=b"\x02\x02\x00\x01"))  # non-minimal
    result = _dumped(inspect({"fmt": "step", "attStmt": {"x5c": tree.x5c}}))
    error = result["certificates"][0]["yubico"]["error"]
    assert error["code"] == "malformed"
    assert error["check"] == "S7"


@pytest.mark.parametrize("sig", [cbor2.dumps(None), cbor2.dumps(b"ab") + b"\x00", b"", "text"])
def test_bad_step_sig_is_reported_s3(sig: object) -> None:
    result = _dumped(inspect({"fmt": "step", "attStmt": {"sig": sig}}))
    assert result["step_sig"]["error"]["check"] == "S3"


# --- unimplemented formats and robustness ---------------------------------------------------


def test_unimplemented_format_is_decoded_generically() -> None:
    leaf = apple_leaf()
    result = _dumped(inspect({"fmt": "packed", "attStmt": {"alg": -7, "x5c": [leaf.der], "sig": b"\x01"}}))
    assert result["implemented"] is False
    assert result["attStmt"]["alg"] == -7
    assert result["certificates"][0]["apple"]["serial_number"] is not None
    assert "tpm" not in result
    bad = _dumped(inspect({"fmt": "packed", "attStmt": {"x5c": "nope"}}))
    assert bad["certificates"]["error"]["check"] is None


def test_inspect_checks_nothing_expired_leaf_still_decodes() -> None:
    leaf = apple_leaf(not_after=NOW - dt.timedelta(days=1))
    result = inspect({"fmt": "apple", "attStmt": {"x5c": [leaf.der]}})
    assert result["certificates"][0]["not_after"] == "2026-05-31T12:00:00Z"
    assert result["verified"] is False


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.binary(max_size=40) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["apple", "step", "tpm", "packed"]),
    st.dictionaries(
        st.sampled_from(["x5c", "sig", "certInfo", "pubArea", "alg", "ver", "z"]), _VALUES, max_size=5
    ),
)
def test_any_att_stmt_gives_a_json_dict(fmt: str, att_stmt: dict[str, object]) -> None:
    result = _dumped(inspect({"fmt": fmt, "attStmt": att_stmt}))
    assert result["verified"] is False
    assert "internal error" not in json.dumps(result)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_a_dict_or_attestation_error(data: bytes) -> None:
    try:
        result = inspect(data)
    except AttestationError as err:
        assert err.check in ("D2", "D3", "D4")
    else:
        assert _dumped(result)["verified"] is False


def test_oversized_yubico_extension_is_not_decoded_s7() -> None:
    from pki import raw_ext
    from yubikey_pki import OID_POLICY, legacy_tree, yubico_leaf_extensions

    extensions = [
        *yubico_leaf_extensions(policy=None),
        raw_ext(OID_POLICY, b"\x02" * (MAX_EXTENSION_VALUE + 1)),
    ]
    tree = legacy_tree(extensions=extensions)
    result = _dumped(inspect({"fmt": "step", "attStmt": {"x5c": tree.x5c}}))
    error = result["certificates"][0]["yubico"]["error"]
    assert error["code"] == "malformed"
    assert error["check"] == "S7"
    assert OID_POLICY in error["message"]


# --- from the first review, R3: inspect() and huge RSA exponents


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


# --- from the second review, F3: inspect JSON-serializable


def test_f3_inspect_result_is_json_serializable_for_huge_integers() -> None:
    """F3 (SPEC §2.6 inspect: "a JSON-serializable dict"): an attStmt value that is an integer
    beyond 4 300 digits (possible in a decoded Mapping) was copied into the summary as is, so
    `json.dumps(inspect(...))` raised ValueError."""
    st = tpm_pki.statement()
    st.att_stmt["alg"] = 10**5000
    st.att_stmt["other"] = -(2**70000)
    shown = attestverify.inspect(st.attobj())
    text = json.dumps(shown)
    assert shown["attStmt"]["ver"] == "2.0"
    assert len(text) < 100_000
