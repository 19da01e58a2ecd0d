"""ACME identifier syntax of draft-09 (SPEC §2.5, check I1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attestverify import identifiers
from attestverify.errors import MalformedError
from attestverify.identifiers import (
    HARDWARE_MODULE,
    PERMANENT_IDENTIFIER,
    format_identifier,
    is_oid,
    parse_identifier,
)
from attestverify.identity import HardwareModuleName, PermanentIdentifier


def test_constants_are_re_exported() -> None:
    assert PERMANENT_IDENTIFIER == "permanent-identifier"
    assert HARDWARE_MODULE == "hardware-module"
    assert {"PERMANENT_IDENTIFIER", "HARDWARE_MODULE"} <= set(identifiers.__all__)


# --- the OID regex, branch by branch ---------------------------------------------------------


@pytest.mark.parametrize(
    "oid",
    [
        "0.0",
        "0.9",
        "0.10",
        "0.39",
        "1.0",
        "1.39",
        "1.2.840.113549",
        "2.0",
        "2.39",
        "2.40",
        "2.999",
        "2.999.0",
        "1.3.6.1.4.1.45724.1.1.4",
        "2.5.4.3",
        "1.2.0.0",
        "2.12345678901234567890",
    ],
)
def test_oid_accepted(oid: str) -> None:
    assert is_oid(oid)
    assert parse_identifier(PERMANENT_IDENTIFIER, f"dev/{oid}") == PermanentIdentifier("dev", oid)


@pytest.mark.parametrize(
    "oid",
    [
        "0.40",  # second arc above 39 under 0
        "1.40",  # ... and under 1
        "1.2.03",  # leading zero
        "1.02",  # leading zero in the second arc
        "2.01",
        "3.1",  # no first arc 3
        "1",  # a single arc
        "",  # empty
        ".1.2",  # leading dot
        "1.2.",  # trailing dot
        "1..2",  # empty arc
        "1.2.a",
        "1.2.-3",
        "1.2.+3",
        " 1.2",
        "1.2\n",  # `$` would match before a trailing newline; fullmatch does not
        "1.2.٣",  # a non-ASCII digit (Arabic-Indic three)
        "01.2",
    ],
)
def test_oid_rejected(oid: str) -> None:
    assert not is_oid(oid)
    with pytest.raises(MalformedError) as exc:
        parse_identifier(PERMANENT_IDENTIFIER, f"dev/{oid}")
    assert exc.value.code == "malformed"
    assert exc.value.check == "I1"


def test_is_oid_non_str() -> None:
    assert not is_oid(b"1.2")
    assert not is_oid(None)


# --- permanent-identifier --------------------------------------------------------------------


def test_permanent_identifier_without_assigner() -> None:
    assert parse_identifier(PERMANENT_IDENTIFIER, "C02XK1AAJG5H") == PermanentIdentifier("C02XK1AAJG5H", None)


def test_permanent_identifier_with_assigner() -> None:
    got = parse_identifier(PERMANENT_IDENTIFIER, "TPM-123/1.3.6.1.4.1.311")
    assert got == PermanentIdentifier("TPM-123", "1.3.6.1.4.1.311")


def test_permanent_identifier_control_characters_allowed() -> None:
    value = "dev\x00\x01\t\n\x7f id"
    assert parse_identifier(PERMANENT_IDENTIFIER, value) == PermanentIdentifier(value, None)


def test_permanent_identifier_non_ascii() -> None:
    assert parse_identifier(PERMANENT_IDENTIFIER, "gerät-ü/1.2") == PermanentIdentifier("gerät-ü", "1.2")


@pytest.mark.parametrize(
    "value",
    [
        "",  # empty
        "/1.2.3",  # empty device-id
        "dev/",  # empty OID
        "dev/1.2/3.4",  # second "/"
        "a/b/1.2",  # "/" inside the device id
        "dev/not-an-oid",
        "/",
        "//",
    ],
)
def test_permanent_identifier_rejected(value: str) -> None:
    with pytest.raises(MalformedError) as exc:
        parse_identifier(PERMANENT_IDENTIFIER, value)
    assert exc.value.check == "I1"


# --- hardware-module -------------------------------------------------------------------------


def test_hardware_module() -> None:
    got = parse_identifier(HARDWARE_MODULE, "SN-42/1.3.6.1.4.1.45724")
    assert got == HardwareModuleName(hw_type="1.3.6.1.4.1.45724", hw_serial_num=b"SN-42")


def test_hardware_module_serial_as_utf8_bytes() -> None:
    got = parse_identifier(HARDWARE_MODULE, "sé\x01/2.999")
    assert isinstance(got, HardwareModuleName)
    assert got.hw_serial_num == "sé\x01".encode()


@pytest.mark.parametrize(
    "value",
    [
        "SN-42",  # OID mandatory
        "SN-42/",  # empty OID
        "/1.2.3",  # empty serial
        "SN/42/1.2.3",  # second "/"
        "SN-42/1.2.03",
        "",
    ],
)
def test_hardware_module_rejected(value: str) -> None:
    with pytest.raises(MalformedError) as exc:
        parse_identifier(HARDWARE_MODULE, value)
    assert exc.value.code == "malformed"
    assert exc.value.check == "I1"


# --- types and encodings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["dns", "Permanent-Identifier", "hardware_module", "", None, b"hardware-module", 1]
)
def test_unknown_type(kind: object) -> None:
    with pytest.raises(MalformedError) as exc:
        parse_identifier(kind, "dev")  # type: ignore[arg-type]
    assert exc.value.check == "I1"


@pytest.mark.parametrize("value", [b"dev", None, 42, ["dev"], bytearray(b"dev")])
def test_value_must_be_str(value: object) -> None:
    with pytest.raises(MalformedError) as exc:
        parse_identifier(PERMANENT_IDENTIFIER, value)  # type: ignore[arg-type]
    assert exc.value.check == "I1"


@pytest.mark.parametrize("kind", [PERMANENT_IDENTIFIER, HARDWARE_MODULE])
@pytest.mark.parametrize("value", ["dev\ud800", "\udfff/1.2", "a\udc80b/1.2.3"])
def test_lone_surrogates_rejected(kind: str, value: str) -> None:
    with pytest.raises(MalformedError) as exc:
        parse_identifier(kind, value)
    assert exc.value.check == "I1"


# --- format_identifier -----------------------------------------------------------------------


def test_format_identifier() -> None:
    assert format_identifier(PermanentIdentifier("dev", None)) == "dev"
    assert format_identifier(PermanentIdentifier("dev", "1.2.3")) == "dev/1.2.3"
    assert format_identifier(HardwareModuleName("2.999", b"SN")) == "SN/2.999"


@pytest.mark.parametrize(
    "obj",
    [
        PermanentIdentifier(None, "1.2.3"),  # no value
        PermanentIdentifier("", None),
        PermanentIdentifier("a/b", None),
        PermanentIdentifier("dev", "1.02"),  # assigner not canonical
        PermanentIdentifier("dev", ""),
        PermanentIdentifier("dev\ud800", None),
        HardwareModuleName("1.2.3", b"\xff"),  # serial not UTF-8
        HardwareModuleName("1.2.3", b""),
        HardwareModuleName("1.2.3", b"a/b"),
        HardwareModuleName("nope", b"SN"),
        PermanentIdentifier(b"dev", None),  # type: ignore[arg-type]
        "dev",
        None,
    ],
)
def test_format_identifier_rejects(obj: object) -> None:
    with pytest.raises(MalformedError) as exc:
        format_identifier(obj)  # type: ignore[arg-type]
    assert exc.value.check == "I1"


# --- round trips and the invariant -----------------------------------------------------------

_arc = st.integers(min_value=0, max_value=2**70).map(str)
_oids = st.one_of(
    st.tuples(st.sampled_from(["0", "1"]), st.integers(0, 39).map(str), st.lists(_arc, max_size=6)),
    st.tuples(st.just("2"), _arc, st.lists(_arc, max_size=6)),
).map(lambda t: ".".join([t[0], t[1], *t[2]]))
_device_ids = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="/"), min_size=1, max_size=40
)


@given(_device_ids, st.one_of(st.none(), _oids))
@settings(max_examples=300, deadline=None)
def test_round_trip_permanent_identifier(device_id: str, assigner: str | None) -> None:
    value = device_id if assigner is None else f"{device_id}/{assigner}"
    parsed = parse_identifier(PERMANENT_IDENTIFIER, value)
    assert parsed == PermanentIdentifier(device_id, assigner)
    assert format_identifier(parsed) == value


@given(_device_ids, _oids)
@settings(max_examples=300, deadline=None)
def test_round_trip_hardware_module(serial: str, hw_type: str) -> None:
    value = f"{serial}/{hw_type}"
    parsed = parse_identifier(HARDWARE_MODULE, value)
    assert parsed == HardwareModuleName(hw_type, serial.encode("utf-8"))
    assert format_identifier(parsed) == value


@given(st.sampled_from([PERMANENT_IDENTIFIER, HARDWARE_MODULE]), st.text(max_size=60))
@settings(max_examples=500, deadline=None)
def test_any_text_parses_or_i1(kind: str, value: str) -> None:
    try:
        parsed = parse_identifier(kind, value)
    except MalformedError as exc:
        assert exc.check == "I1"
        return
    assert format_identifier(parsed) == value
