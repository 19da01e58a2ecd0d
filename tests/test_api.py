"""`verify()` up to dispatch: D1 (caller arguments), D2-D6 through the public API, and the
exit-free invariant of SPEC §2.3 / §7 (any input -> AttestationError, never anything else)."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pki import KEY_AUTHORIZATION, NOW, TOKEN, root

import attestverify
from attestverify import (
    AttestationError,
    MalformedError,
    UnsupportedFormatError,
    UsageError,
)

SETTINGS = settings(derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# Passes D1-D4 and fails D5 ("none" is not a format): the baseline every D1 test mutates.
UNSUPPORTED = cbor2.dumps({"fmt": "none", "attStmt": {}})
THUMBPRINT = KEY_AUTHORIZATION.split(".")[1]


def _cert() -> Any:
    return root("attestverify test root").cert


def call(statement: object = UNSUPPORTED, **kwargs: Any) -> AttestationError:
    kwargs.setdefault("key_authorization", KEY_AUTHORIZATION)
    kwargs.setdefault("now", NOW)
    with pytest.raises(AttestationError) as exc:
        attestverify.verify(statement, **kwargs)  # type: ignore[arg-type]
    return exc.value


def usage(**kwargs: Any) -> None:
    err = call(**kwargs)
    assert isinstance(err, UsageError), repr(err)
    assert err.code == "malformed"
    assert err.check == "D1"
    assert err.format is None


def test_baseline_reaches_d5() -> None:
    err = call()
    assert isinstance(err, UnsupportedFormatError)
    assert err.check == "D5"


# ---------------------------------------------------------------- D1: key_authorization


@pytest.mark.parametrize(
    "ka",
    [
        pytest.param(TOKEN, id="bare-token"),
        pytest.param(TOKEN + ".", id="empty-thumbprint"),
        pytest.param("." + THUMBPRINT, id="empty-token"),
        pytest.param(TOKEN + "." + THUMBPRINT[:42], id="thumbprint-42"),
        pytest.param(TOKEN + "." + THUMBPRINT + "A", id="thumbprint-44"),
        pytest.param(KEY_AUTHORIZATION + "\n", id="trailing-newline"),
        pytest.param(KEY_AUTHORIZATION + "\r\n", id="trailing-crlf"),
        pytest.param(" " + KEY_AUTHORIZATION, id="leading-space"),
        pytest.param(TOKEN + "." + THUMBPRINT[:42] + "=", id="padding"),
        pytest.param(TOKEN + "." + THUMBPRINT[:42] + "+", id="plus"),
        pytest.param("to.ken." + THUMBPRINT, id="two-dots"),
        pytest.param("tok\u0661en." + THUMBPRINT, id="non-ascii-digit"),
        pytest.param("a" * 4053 + "." + THUMBPRINT, id="4097-chars"),
        pytest.param(("a" * 4053 + "." + THUMBPRINT).encode(), id="4097-bytes"),
        pytest.param(b"\xff." + THUMBPRINT.encode(), id="bytes-not-utf8"),
        pytest.param(TOKEN.encode(), id="bare-token-bytes"),
        pytest.param(None, id="none"),
        pytest.param(42, id="int"),
        pytest.param([KEY_AUTHORIZATION], id="list"),
        pytest.param(memoryview(KEY_AUTHORIZATION.encode()), id="memoryview"),
        pytest.param("", id="empty"),
    ],
)
def test_d1_key_authorization_rejected(ka: object) -> None:
    usage(key_authorization=ka)


@pytest.mark.parametrize(
    "ka",
    [
        KEY_AUTHORIZATION,
        KEY_AUTHORIZATION.encode(),
        bytearray(KEY_AUTHORIZATION.encode()),
        "a" * 4052 + "." + THUMBPRINT,  # exactly 4 096 characters
    ],
)
def test_d1_key_authorization_accepted(ka: object) -> None:
    assert call(key_authorization=ka).check == "D5"


# ---------------------------------------------------------------- D1: now


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(NOW.replace(tzinfo=None), id="naive"),
        pytest.param(NOW.date(), id="date"),
        pytest.param(NOW.isoformat(), id="iso-string"),
        pytest.param(NOW.timestamp(), id="timestamp"),
        pytest.param(1, id="int"),
    ],
)
def test_d1_now_rejected(now: object) -> None:
    usage(now=now)


def test_d1_now_any_timezone_accepted() -> None:
    other = NOW.astimezone(dt.timezone(dt.timedelta(hours=-7)))
    assert call(now=other).check == "D5"


# ---------------------------------------------------------------- D1: roots and intermediates


def test_d1_roots_mapping_keys() -> None:
    cert = _cert()
    usage(roots={"Apple": [cert]})
    usage(roots={"TPM": [cert]})
    usage(roots={"packed": [cert]})
    usage(roots={1: [cert]})
    usage(roots={"apple": [cert], "unknown": [cert]})
    assert call(roots={"apple": [cert], "tpm": []}).check == "D5"


def test_d1_roots_mapping_values() -> None:
    cert = _cert()
    usage(roots={"apple": cert})
    usage(roots={"apple": [cert.public_bytes(attestverify_der())]})
    usage(roots={"apple": None})
    usage(roots={"apple": [cert, "PEM"]})


def attestverify_der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def test_d1_plain_roots_need_exactly_one_enabled_format() -> None:
    cert = _cert()
    usage(roots=[cert])
    usage(roots=[cert], formats=("tpm", "apple"))
    usage(roots=[], formats=None)
    assert call(roots=[cert], formats=("tpm",)).check == "D5"
    assert call(roots=[cert], formats="tpm").check == "D5"
    # unimplemented names do not count as enabled formats
    assert call(roots=[cert], formats=("tpm", "packed")).check == "D5"


@pytest.mark.parametrize(
    "roots",
    [
        pytest.param(b"-----BEGIN CERTIFICATE-----", id="bytes"),
        pytest.param("-----BEGIN CERTIFICATE-----", id="str"),
        pytest.param(1, id="int"),
        pytest.param([b"\x30\x00"], id="der-items"),
        pytest.param([None], id="none-item"),
    ],
)
def test_d1_roots_non_certificates(roots: object) -> None:
    usage(roots=roots, formats=("tpm",))


def test_d1_roots_single_certificate_and_count() -> None:
    cert = _cert()
    usage(roots=cert, formats=("tpm",))
    usage(roots=[cert] * 257, formats=("tpm",))
    assert call(roots=[cert] * 256, formats=("tpm",)).check == "D5"

    def endless() -> Iterator[object]:
        return itertools.repeat(cert)

    usage(roots=endless(), formats=("tpm",))


@pytest.mark.parametrize(
    "intermediates",
    [
        pytest.param("x", id="str"),
        pytest.param(b"x", id="bytes"),
        pytest.param(1, id="int"),
        pytest.param([b"\x30\x00"], id="der-items"),
        pytest.param({"tpm": []}, id="mapping"),
    ],
)
def test_d1_intermediates_rejected(intermediates: object) -> None:
    usage(intermediates=intermediates)


def test_d1_intermediates_accepted() -> None:
    assert call(intermediates=[_cert()]).check == "D5"
    assert call(intermediates=()).check == "D5"
    usage(intermediates=_cert())


# ---------------------------------------------------------------- D1: formats, identifier, flags


@pytest.mark.parametrize(
    "formats",
    [
        pytest.param(b"tpm", id="bytes"),
        pytest.param(bytearray(b"tpm"), id="bytearray"),
        pytest.param([b"tpm"], id="bytes-items"),
        pytest.param(["tpm", None], id="none-item"),
        pytest.param(1, id="int"),
        pytest.param({"tpm": True}, id="mapping"),
        pytest.param(["tpm"] * 65, id="65-names"),
    ],
)
def test_d1_formats_rejected(formats: object) -> None:
    usage(formats=formats)


@pytest.mark.parametrize("identifier", [b"12345", 12345, ["12345"]])
def test_d1_identifier_not_str(identifier: object) -> None:
    usage(identifier=identifier)


class _EqualsEverything:
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


@pytest.mark.parametrize(
    "identifier_type",
    ["permanent_identifier", "Permanent-Identifier", "dns", "", b"hardware-module", 1, _EqualsEverything()],
)
def test_d1_identifier_type_invalid(identifier_type: object) -> None:
    usage(identifier="x", identifier_type=identifier_type)


@pytest.mark.parametrize("identifier_type", [None, "permanent-identifier", "hardware-module"])
def test_d1_identifier_type_valid(identifier_type: object) -> None:
    assert call(identifier="x", identifier_type=identifier_type).check == "D5"


@pytest.mark.parametrize(
    "flag", ["apple_require_nonce", "step_allow_legacy_f9", "tpm_allow_rs1", "tpm_allow_sha1_chain"]
)
@pytest.mark.parametrize("value", [1, 0, None, "yes", "False"])
def test_d1_flags_must_be_bool(flag: str, value: object) -> None:
    usage(**{flag: value})
    assert call(**{flag: True}).check == "D5"
    assert call(**{flag: False}).check == "D5"


def test_d1_precedes_decoding() -> None:
    # A bad statement is not even looked at while the arguments are wrong.
    err = call(b"", key_authorization=TOKEN)
    assert isinstance(err, UsageError)
    assert err.check == "D1"


# ---------------------------------------------------------------- D2, D3 through verify()


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xa0" * 65537, id="too-long"),
        pytest.param(base64.urlsafe_b64encode(UNSUPPORTED).decode(), id="padded-base64"),
        pytest.param(base64.b64encode(b"\xfb\xff" + UNSUPPORTED).decode().rstrip("="), id="std-base64"),
        pytest.param(base64.urlsafe_b64encode(UNSUPPORTED).decode().rstrip("=") + "\n", id="newline"),
    ],
)
def test_d2_through_verify(statement: object) -> None:
    err = call(statement)
    assert isinstance(err, MalformedError) and not isinstance(err, UsageError)
    assert err.code == "malformed"
    assert err.check == "D2"


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(None, id="none"),
        pytest.param(12, id="int"),
        pytest.param(True, id="bool"),
        pytest.param([b"x"], id="list"),
        pytest.param((b"x",), id="tuple"),
        pytest.param(object(), id="object"),
    ],
)
def test_d1_statement_type_is_a_caller_error(statement: object) -> None:
    # Not a device's fault: nothing a client sends can make the server pass None or a list.
    err = call(statement)
    assert isinstance(err, UsageError)
    assert err.check == "D1"


@pytest.mark.parametrize("formats", [["TPM"], "Apple", ("android",), [], ()])
def test_d1_formats_enabling_no_implemented_format(formats: object) -> None:
    err = call(UNSUPPORTED, formats=formats)
    assert isinstance(err, UsageError)
    assert err.check == "D1"
    assert "enables no implemented format" in err.message


def test_formats_with_one_implemented_name_ignores_the_others() -> None:
    # One implemented name is enough: the unknown ones are ignored, the statement reaches D5.
    assert call(UNSUPPORTED, formats=["TPM", "tpm"]).check == "D5"


def test_d2_statement_forms_through_verify() -> None:
    text = base64.urlsafe_b64encode(UNSUPPORTED).decode().rstrip("=")
    for form in (UNSUPPORTED, bytearray(UNSUPPORTED), memoryview(UNSUPPORTED), text):
        assert call(form).check == "D5"


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(UNSUPPORTED + b"\x00", id="trailing-byte"),
        pytest.param(b"\xa3\x63fmt\x64none\x67attStmt\xa0\x63fmt\x63tpm", id="duplicate-fmt"),
        pytest.param(b"\xd9\xd9\xf7" + UNSUPPORTED, id="tag-55799"),
        pytest.param(b"\xa2\x63fmt\x64none\x67attStmt\xa1\x63alg\xf9\x3c\x00", id="float"),
        pytest.param(b"\xa2\x63fmt\x63tpm\x67attStmt\xa1\x01\x01", id="attStmt-int-key"),
        pytest.param(b"\xa2\x63fmt\x63tpm\x01\xa0", id="top-level-int-key"),
    ],
)
def test_d3_through_verify(statement: bytes) -> None:
    err = call(statement)
    assert isinstance(err, MalformedError)
    assert err.check == "D3"
    assert err.format is None


# ---------------------------------------------------------------- D4, D5, D6


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(cbor2.dumps(["fmt", "tpm"]), id="array"),
        pytest.param(cbor2.dumps(1), id="int"),
        pytest.param(cbor2.dumps("tpm"), id="text"),
        pytest.param(cbor2.dumps(b"tpm"), id="bytes"),
        pytest.param(cbor2.dumps(None), id="null"),
        pytest.param(cbor2.dumps({"attStmt": {}}), id="fmt-missing"),
        pytest.param(cbor2.dumps({"fmt": b"tpm", "attStmt": {}}), id="fmt-bytes"),
        pytest.param(cbor2.dumps({"fmt": 1, "attStmt": {}}), id="fmt-int"),
        pytest.param(cbor2.dumps({"fmt": None, "attStmt": {}}), id="fmt-null"),
        pytest.param(cbor2.dumps({"fmt": ["tpm"], "attStmt": {}}), id="fmt-array"),
        pytest.param({"attStmt": {}}, id="mapping-fmt-missing"),
        pytest.param({"fmt": b"tpm", "attStmt": {}}, id="mapping-fmt-bytes"),
        pytest.param({1: "tpm"}, id="mapping-int-key"),
    ],
)
def test_d4(statement: object) -> None:
    err = call(statement)
    assert isinstance(err, MalformedError)
    assert err.check == "D4"


@pytest.mark.parametrize("fmt", ["Apple", "TPM", "Step", "apple ", "packed", "none", "", "android-key"])
def test_d5_unknown_or_wrong_case(fmt: str) -> None:
    # attStmt is missing too: D5 is decided first.
    err = call(cbor2.dumps({"fmt": fmt}))
    assert isinstance(err, UnsupportedFormatError)
    assert err.code == "unsupported-format"
    assert err.check == "D5"
    assert err.format is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"formats": ("android-key",)},  # android_status None with android-key enabled (SPEC §2.1)
        {"formats": ("apple", "android-key")},
        {"formats": ("android-key",), "android_status": "unchecked"},
        {"formats": ("android-key",), "android_status": {"entries": {}}},
        {"formats": ("android-key",), "android_status": True},
        {"formats": ("android-key",), "android_status": attestverify.android.STATUS_UNCHECKED,
         "android_allow_unverified_boot": 1},
        {"android_status": "unchecked"},  # a wrong value is the caller's bug even when not enabled
        {"android_allow_unverified_boot": "yes"},
    ],
)  # fmt: skip
def test_d1_android_options(kwargs: dict[str, Any]) -> None:
    err = call(cbor2.dumps({"fmt": "android-key", "attStmt": {}}), **kwargs)
    assert isinstance(err, UsageError) and err.check == "D1", repr(err)


def test_android_key_is_enabled_only_when_listed() -> None:
    statement = cbor2.dumps({"fmt": "android-key", "attStmt": {}})
    err = call(statement, android_status=attestverify.android.STATUS_UNCHECKED)
    assert isinstance(err, UnsupportedFormatError) and err.check == "D5"
    err = call(statement, formats=("android-key",), android_status=attestverify.android.STATUS_UNCHECKED)
    assert err.check == "K1" and err.format == "android-key"


@pytest.mark.parametrize(
    ("fmt", "formats"),
    [
        ("tpm", ("apple",)),
        ("tpm", "apple"),
        ("apple", ("step",)),
        ("step", ("packed", "tpm")),
        ("apple", ("Apple", "tpm")),
    ],
)
def test_d5_not_enabled(fmt: str, formats: object) -> None:
    err = call(cbor2.dumps({"fmt": fmt, "attStmt": {}}), formats=formats)
    assert isinstance(err, UnsupportedFormatError)
    assert err.check == "D5"


def test_d5_unimplemented_names_ignored() -> None:
    # "packed" is ignored; "apple" is enabled, so dispatch proceeds to D6.
    err = call(cbor2.dumps({"fmt": "apple"}), formats=("packed", "apple", "future"))
    assert err.check == "D6"
    assert err.format == "apple"


@pytest.mark.parametrize("fmt", ["apple", "step", "tpm"])
@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(lambda f: cbor2.dumps({"fmt": f}), id="missing"),
        pytest.param(lambda f: cbor2.dumps({"fmt": f, "attStmt": None}), id="null"),
        pytest.param(lambda f: cbor2.dumps({"fmt": f, "attStmt": [1]}), id="array"),
        pytest.param(lambda f: cbor2.dumps({"fmt": f, "attStmt": b"\xa0"}), id="bytes"),
        pytest.param(lambda f: cbor2.dumps({"fmt": f, "attStmt": "x"}), id="text"),
        pytest.param(lambda f: {"fmt": f, "attStmt": {1: b"x"}}, id="mapping-int-key"),
        pytest.param(lambda f: {"fmt": f, "attStmt": {"x5c": [], b"sig": b"x"}}, id="mapping-bytes-key"),
        pytest.param(lambda f: {"fmt": f, "attStmt": {("x5c",): b"x"}}, id="mapping-tuple-key"),
        pytest.param(lambda f: {"fmt": f, "attStmt": [("x5c", b"")]}, id="mapping-list"),
    ],
)
def test_d6(fmt: str, statement: Any) -> None:
    err = call(statement(fmt))
    assert isinstance(err, MalformedError)
    assert err.code == "malformed"
    assert err.check == "D6"
    assert err.format == fmt


def test_d6_cbor_int_keys_fail_earlier_as_d3() -> None:
    err = call(b"\xa2\x63fmt\x63tpm\x67attStmt\xa1\x01\x40")
    assert err.check == "D3"


# ---------------------------------------------------------------- the exit-free invariant


def expect_attestation_error(statement: object, **kwargs: Any) -> AttestationError | None:
    kwargs.setdefault("key_authorization", KEY_AUTHORIZATION)
    kwargs.setdefault("now", NOW)
    try:
        attestverify.verify(statement, **kwargs)  # type: ignore[arg-type]
    except AttestationError as err:
        # The api.py fallback (an unexpected exception wrapped, check None) counts as a bug.
        assert err.check is not None, f"internal error reached: {err!r} from {err.__cause__!r}"
        return err
    return None  # only a real, verifiable statement gets here


_hashable = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.binary(max_size=8), st.floats()
)
_leaves = st.one_of(
    _hashable,
    st.integers(min_value=2**64, max_value=2**4000),
    st.binary(max_size=64).map(bytearray),
    st.binary(max_size=64).map(memoryview),  # type: ignore[arg-type]
    st.just(b"\x30\x00"),
)
_python_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(_hashable, inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["x5c", "alg", "sig", "ver", "certInfo", "pubArea", "receipt"]), inner, max_size=5
        ),
    ),
    max_leaves=20,
)
_fmts = st.sampled_from(["apple", "step", "tpm", "Apple", "none"])


@SETTINGS
@given(st.binary(max_size=300))
def test_invariant_bytes(data: bytes) -> None:
    expect_attestation_error(data)


@SETTINGS
@given(st.text(max_size=300))
def test_invariant_text(text: str) -> None:
    expect_attestation_error(text)


@SETTINGS
@given(_fmts, _python_values)
def test_invariant_python_statements(fmt: str, att_stmt: object) -> None:
    expect_attestation_error({"fmt": fmt, "attStmt": att_stmt})
    expect_attestation_error({"fmt": fmt, "attStmt": att_stmt, "authData": att_stmt})
    expect_attestation_error(att_stmt)


@SETTINGS
@given(_fmts, _python_values)
def test_invariant_cbor_statements(fmt: str, att_stmt: object) -> None:
    try:
        raw = cbor2.dumps({"fmt": fmt, "attStmt": att_stmt})
    except Exception:  # noqa: BLE001 - values cbor2 cannot encode are not CBOR inputs
        return
    expect_attestation_error(raw)
    expect_attestation_error(base64.urlsafe_b64encode(raw).decode().rstrip("="))


_arguments = st.one_of(_python_values, st.just(KEY_AUTHORIZATION), st.just(NOW), st.just(()))


@SETTINGS
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "key_authorization": _arguments,
            "roots": _arguments,
            "now": _arguments,
            "identifier": _arguments,
            "formats": _arguments,
            "identifier_type": _arguments,
            "intermediates": _arguments,
            "apple_require_nonce": _arguments,
            "tpm_allow_sha1_chain": _arguments,
        },
    )
)
def test_invariant_arbitrary_arguments(kwargs: dict[str, Any]) -> None:
    expect_attestation_error(UNSUPPORTED, **kwargs)


@pytest.mark.parametrize("fmt", ["apple", "step", "tpm"])
def test_invariant_cyclic_and_deep_values(fmt: str) -> None:
    loop: dict[str, object] = {"fmt": fmt}
    loop["attStmt"] = loop
    assert expect_attestation_error(loop) is not None
    cyclic_list: list[object] = []
    cyclic_list.append(cyclic_list)
    deep_list: list[object] = [b"\x30\x00"]
    deep_dict: dict[str, object] = {}
    for _ in range(10**5):
        deep_list = [deep_list]
        deep_dict = {"x5c": deep_dict, "fmt": fmt, "attStmt": deep_dict}
    for value in (cyclic_list, deep_list, deep_dict, loop):
        fields = {"x5c": value, "sig": value, "alg": value, "ver": value, "certInfo": value, "pubArea": value}
        assert expect_attestation_error({"fmt": fmt, "attStmt": fields}) is not None
        assert expect_attestation_error({"fmt": fmt, "attStmt": {"x5c": [value], "alg": -7, "sig": b"x"}})
    assert expect_attestation_error(deep_dict) is not None


@pytest.mark.parametrize("fmt", ["apple", "step", "tpm"])
def test_invariant_bool_and_huge_ints(fmt: str) -> None:
    der = b"\x30\x03\x02\x01\x01"
    for alg in (True, False, 2**80, -(2**80), 2**4000):
        att = {"alg": alg, "x5c": [der], "sig": b"x", "ver": "2.0", "certInfo": b"x", "pubArea": b"x"}
        assert expect_attestation_error({"fmt": fmt, "attStmt": att}) is not None
        att = {"alg": -7, "x5c": [bytearray(der), memoryview(der)], "sig": memoryview(b"x"), "ver": True}
        assert expect_attestation_error({"fmt": fmt, "attStmt": att}) is not None


def test_invariant_deep_cbor() -> None:
    assert call(b"\x81" * 10**5).check == "D2"
    assert call(b"\x81" * 65535 + b"\x00").check == "D3"
    assert call(b"\xa1\x63fmt" * 13000 + b"\x00").check == "D3"
