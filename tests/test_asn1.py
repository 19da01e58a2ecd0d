"""Strict DER helpers (attestverify.asn1): SAN identities (T7 layouts), INTEGER, string SEQUENCE."""

from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.der import encoder
from pyasn1.type import char, univ
from pyasn1_modules import rfc4043, rfc4108

from attestverify import asn1
from attestverify.errors import MalformedError
from attestverify.identity import HardwareModuleName, PermanentIdentifier

PI = asn1.PERMANENT_IDENTIFIER_OID
HMN = asn1.HARDWARE_MODULE_NAME_OID
UPN = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")


def pi_der(value: str | None = None, assigner: str | None = None) -> bytes:
    """PermanentIdentifier DER made by pyasn1-modules (an encoder independent of ours)."""
    obj = rfc4043.PermanentIdentifier()
    if value is not None:
        obj["identifierValue"] = value
    if assigner is not None:
        obj["assigner"] = univ.ObjectIdentifier(assigner)
    return bytes(encoder.encode(obj))


def hmn_der(hw_type: str, serial: bytes) -> bytes:
    obj = rfc4108.HardwareModuleName()
    obj["hwType"] = univ.ObjectIdentifier(hw_type)
    obj["hwSerialNum"] = univ.OctetString(serial)
    return bytes(encoder.encode(obj))


# --- PermanentIdentifier ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "assigner"),
    [("TPM-123", "1.3.6.1.4.1.311"), ("abc", None), (None, "2.5.4.3"), (None, None), ("ünï\x01", None)],
)
def test_permanent_identifier_round_trip(value: str | None, assigner: str | None) -> None:
    got = asn1.decode_permanent_identifier(pi_der(value, assigner), check="T7")
    assert got == PermanentIdentifier(value=value, assigner=assigner)


@pytest.mark.parametrize(
    ("name", "der_hex"),
    [
        ("indefinite length", "30800c0361626300 00"),
        ("non-minimal long length", "3081050c03616263"),
        ("non-minimal inner length", "3006 0c8103616263"),
        ("constructed UTF8String", "30072c050c03616263"),
        ("trailing byte", "30050c03616263ff"),
        ("truncated", "30060c03616263"),
        ("components swapped", "300a 0603550403 0c03616263"),
        ("invalid UTF-8", "30050c0361ff63"),
        ("overlong UTF-8", "30040c02c0af"),
        ("surrogate UTF-8", "30050c03eda080"),
        ("empty OID", "30020600"),
        ("non-minimal OID arc", "30050603808101"),
        ("wrong outer tag", "31050c03616263"),
        ("extra component", "30070c036162630500"),
        ("empty input", ""),
    ],
)
def test_permanent_identifier_rejects_non_der(name: str, der_hex: str) -> None:
    with pytest.raises(MalformedError) as exc:
        asn1.decode_permanent_identifier(bytes.fromhex(der_hex.replace(" ", "")), check="T7")
    assert exc.value.code == "malformed"
    assert exc.value.check == "T7"


def test_length_bound_before_decoding() -> None:
    value = "a" * 5000
    with pytest.raises(MalformedError) as exc:
        asn1.decode_permanent_identifier(pi_der(value), check="T7")
    assert exc.value.check == "T7"
    assert "4096" in exc.value.message


def test_not_bytes_is_malformed() -> None:
    with pytest.raises(MalformedError) as exc:
        asn1.decode_permanent_identifier("3000", check="T7")  # type: ignore[arg-type]
    assert exc.value.check == "T7"


def test_huge_oid_arc_is_malformed() -> None:
    arc = b"\x2a" + b"\x81" * 2000 + b"\x01"
    oid = b"\x06\x82" + len(arc).to_bytes(2, "big") + arc
    der = b"\x30\x82" + len(oid).to_bytes(2, "big") + oid
    with pytest.raises(MalformedError) as exc:
        asn1.decode_permanent_identifier(der, check="T7")
    assert exc.value.check == "T7"


def test_deep_nesting_is_malformed() -> None:
    with pytest.raises(MalformedError) as exc:
        asn1.decode_permanent_identifier(b"\x30\x80" * 2000, check="T7")
    assert exc.value.check == "T7"


# --- HardwareModuleName ----------------------------------------------------------------------


def test_hardware_module_name_round_trip() -> None:
    der = hmn_der("1.3.6.1.4.1.45724", b"\x00\xffSN")
    got = asn1.decode_hardware_module_name(der, check="T7")
    assert got == HardwareModuleName(hw_type="1.3.6.1.4.1.45724", hw_serial_num=b"\x00\xffSN")


@pytest.mark.parametrize(
    "der_hex",
    [
        "30050603550403",  # serial missing
        "30050403616263",  # hwType missing
        "300a 0403616263 0603550403",  # swapped
        "300b 0603550403 040361626300",  # inner length mismatch
        "300a06035504030403616263 00",  # trailing byte
    ],
)
def test_hardware_module_name_rejects(der_hex: str) -> None:
    with pytest.raises(MalformedError) as exc:
        asn1.decode_hardware_module_name(bytes.fromhex(der_hex.replace(" ", "")), check="T7")
    assert exc.value.check == "T7"


def test_hardware_module_name_constructed_octet_string() -> None:
    der = bytes.fromhex("300c 0603550403 2405 0403616263".replace(" ", ""))
    with pytest.raises(MalformedError) as exc:
        asn1.decode_hardware_module_name(der, check="T7")
    assert exc.value.check == "T7"


# --- san_identities --------------------------------------------------------------------------


def test_san_identities_walks_and_ignores_others() -> None:
    names = [
        x509.DNSName("example.com"),
        x509.OtherName(UPN, bytes.fromhex("0c0375406e")),
        x509.OtherName(PI, pi_der("one", "1.2.3")),
        x509.IPAddress(ipaddress.ip_address("192.0.2.1")),
        x509.OtherName(HMN, hmn_der("1.2.3.4", b"SN1")),
        x509.OtherName(PI, pi_der("two")),
    ]
    permanent, hardware = asn1.san_identities(names, check="T7")
    assert permanent == (PermanentIdentifier("one", "1.2.3"), PermanentIdentifier("two", None))
    assert hardware == (HardwareModuleName("1.2.3.4", b"SN1"),)


def test_san_identities_empty() -> None:
    assert asn1.san_identities([x509.DNSName("a.example")], check="T7") == ((), ())


def test_san_identities_bad_value_is_malformed() -> None:
    names = [x509.OtherName(HMN, pi_der("x"))]
    with pytest.raises(MalformedError) as exc:
        asn1.san_identities(names, check="T7")
    assert exc.value.check == "T7"


def test_san_identities_bounded() -> None:
    names = [x509.OtherName(PI, pi_der(f"id{i}")) for i in range(65)]
    with pytest.raises(MalformedError) as exc:
        asn1.san_identities(names, check="T7")
    assert exc.value.check == "T7"


def test_san_identities_from_certificate_extension() -> None:
    # The value cryptography exposes is the DER inside the otherName's [0] EXPLICIT.
    ext = x509.SubjectAlternativeName([x509.OtherName(PI, pi_der("dev", "1.2.840"))])
    permanent, _ = asn1.san_identities(ext, check="T7")
    assert permanent == (PermanentIdentifier("dev", "1.2.840"),)


# --- INTEGER ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("der_hex", "value"),
    [("020400f00f14", 15732500), ("020100", 0), ("02017f", 127), ("02020080", 128)],
)
def test_der_integer(der_hex: str, value: int) -> None:
    assert asn1.decode_der_integer(bytes.fromhex(der_hex), check="S7") == value


@pytest.mark.parametrize(
    "der_hex",
    [
        "02050000f00f14",  # non-minimal (leading zero)
        "0202ff80",  # non-minimal negative
        "0201ff",  # negative
        "0200",  # empty content
        "02810100",  # non-minimal length
        "020100ff",  # trailing byte
        "0101ff",  # BOOLEAN
        "0401 00",  # OCTET STRING
    ],
)
def test_der_integer_rejects(der_hex: str) -> None:
    with pytest.raises(MalformedError) as exc:
        asn1.decode_der_integer(bytes.fromhex(der_hex.replace(" ", "")), check="S7")
    assert exc.value.code == "malformed"
    assert exc.value.check == "S7"


def test_der_integer_size_bound() -> None:
    big = b"\x02\x41\x01" + b"\x00" * 64
    with pytest.raises(MalformedError) as exc:
        asn1.decode_der_integer(big, check="S7")
    assert exc.value.check == "S7"
    assert asn1.decode_der_integer(big, check="S7", max_bytes=65) == 1 << 512


@given(st.integers(min_value=0, max_value=(1 << 256)))
@settings(max_examples=200, deadline=None)
def test_der_integer_matches_pyasn1_encoder(value: int) -> None:
    der = bytes(encoder.encode(univ.Integer(value)))
    assert asn1.decode_der_integer(der, check="S7") == value


# --- step-managed device id SEQUENCE ---------------------------------------------------------


@pytest.mark.parametrize(
    "string",
    [char.UTF8String("dev-ü"), char.PrintableString("Dev 1"), char.IA5String("dev@1")],
)
def test_string_sequence(string: object) -> None:
    seq = univ.SequenceOf(componentType=type(string)())
    seq.append(string)
    der = bytes(encoder.encode(seq))
    assert asn1.decode_der_string_sequence(der, check="S7") == str(string)


@pytest.mark.parametrize(
    "der_hex",
    [
        "30020c00",  # empty string
        "3000",  # no string
        "30051403616263",  # T61String
        "300a0c036162630c03616263",  # two strings
        "300516036162e3",  # IA5 with a non-ASCII byte
        "3005130361262a",  # '&' and '*' are not PrintableString
        "30050c03616263ff",  # trailing byte
        "0c03616263",  # bare string without SEQUENCE
    ],
)
def test_string_sequence_rejects(der_hex: str) -> None:
    with pytest.raises(MalformedError) as exc:
        asn1.decode_der_string_sequence(bytes.fromhex(der_hex), check="S7")
    assert exc.value.check == "S7"


# --- the invariant: any bytes -> value or MalformedError --------------------------------------


@given(st.binary(max_size=80))
@settings(max_examples=500, deadline=None)
def test_any_bytes_yield_value_or_malformed(data: bytes) -> None:
    for decode in (
        asn1.decode_permanent_identifier,
        asn1.decode_hardware_module_name,
        asn1.decode_der_integer,
        asn1.decode_der_string_sequence,
    ):
        try:
            decode(data, check="T7")
        except MalformedError as exc:
            assert exc.check == "T7"


@given(st.text(max_size=30), st.sampled_from([None, "1.2.3", "2.999.0", "0.39"]))
@settings(max_examples=200, deadline=None)
def test_permanent_identifier_any_text(value: str, assigner: str | None) -> None:
    try:
        der = pi_der(value, assigner)
    except UnicodeError:  # lone surrogates cannot be encoded at all
        return
    assert asn1.decode_permanent_identifier(der, check="T7") == PermanentIdentifier(value, assigner)
