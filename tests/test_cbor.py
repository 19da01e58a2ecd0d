"""Input forms and strict CBOR decoding (SPEC §3.2, checks D2 and D3; §7 CBOR negatives)."""

from __future__ import annotations

import array
import base64
import itertools
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workcount import CborWork, count_cbor_reads

from attestverify import cbor
from attestverify.cbor import decode_inner_bstr, decode_statement
from attestverify.errors import MalformedError

SETTINGS = settings(
    derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

VALID = {"fmt": "tpm", "attStmt": {"ver": "2.0", "alg": -257, "x5c": [b"\x30\x00"], "sig": b"s"}}


def h(major: int, arg: int, width: int | None = None) -> bytes:
    """A CBOR head; `width` forces 0 (inline) or 1/2/4/8 argument bytes (non-minimal allowed)."""
    if width is None:
        width = 0 if arg < 24 else 1 if arg < 256 else 2 if arg < 65536 else 4 if arg < 2**32 else 8
    if width == 0:
        return bytes([major << 5 | arg])
    ai = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | ai]) + arg.to_bytes(width, "big")


def t(text: str) -> bytes:
    raw = text.encode()
    return h(3, len(raw)) + raw


def b(raw: bytes) -> bytes:
    return h(2, len(raw)) + raw


def stmt(att_stmt_body: bytes, entries: int) -> bytes:
    """{"fmt": "tpm", "attStmt": {<entries pairs in att_stmt_body>}} with hand-written bytes."""
    return h(5, 2) + t("fmt") + t("tpm") + t("attStmt") + h(5, entries) + att_stmt_body


def reject(data: object) -> MalformedError:
    with pytest.raises(MalformedError) as exc:
        decode_statement(data)
    return exc.value


def nested(depth: int, *, leaf: bytes = b"\x80", map_level: bool = False) -> bytes:
    """`depth` nested containers: arrays, or single-entry maps keyed 1 when `map_level`."""
    head = (h(5, 1) + h(0, 1)) if map_level else h(4, 1)
    return head * (depth - 1) + leaf


# ---------------------------------------------------------------- input forms (D2)


def test_valid_statement_decodes_from_every_input_form() -> None:
    raw = cbor2.dumps(VALID)
    text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    for form in (raw, bytearray(raw), memoryview(raw), text):
        assert decode_statement(form) == VALID


def test_byte_strings_come_back_as_bytes() -> None:
    out = decode_statement(bytearray(cbor2.dumps(VALID)))
    assert isinstance(out, dict)
    assert type(out["attStmt"]["sig"]) is bytes
    assert type(out["attStmt"]["x5c"][0]) is bytes


@pytest.mark.parametrize("value", [None, 0, 1.5, True, ["a"], ("a",), object(), b"".join])
def test_other_input_types_rejected(value: object) -> None:
    assert reject(value).check == "D2"


@pytest.mark.parametrize("data", [b"", bytearray(), memoryview(b"")])
def test_empty_input_rejected(data: object) -> None:
    assert reject(data).check == "D2"


def test_size_limit_is_inclusive() -> None:
    head = h(5, 2) + t("fmt") + t("x") + t("attStmt") + h(5, 1) + t("a")
    pad = 65536 - len(head) - 3
    raw = head + h(2, pad, 2) + b"\0" * pad
    assert len(raw) == 65536
    assert decode_statement(raw)["attStmt"]["a"] == b"\0" * pad  # type: ignore[index]
    assert reject(raw + b"\0").check == "D2"
    assert reject(bytearray(raw + b"\0")).check == "D2"


def test_memoryview_size_counts_bytes_not_items() -> None:
    items = array.array("Q", [0] * 8193)  # 8 193 items, 65 544 bytes
    assert reject(memoryview(items)).check == "D2"


def test_released_memoryview_rejected() -> None:
    view = memoryview(cbor2.dumps(VALID))
    view.release()
    assert reject(view).check == "D2"


_HUGE_INPUTS: list[object] = [b"\x81" * 10**7, "A" * 10**7, b"\x81" * 10**5, memoryview(b"\0" * 10**7)]


def test_huge_inputs_rejected_before_any_size_dependent_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """10 MB inputs (and 100 KB of nesting) are D2 on their length alone: no alphabet check,
    base64url decode, CBOR scan or cbor2 decode ever sees them."""
    work = CborWork(monkeypatch)
    for data in _HUGE_INPUTS:
        assert reject(data).check == "D2"
    assert work.calls == {"alphabet": 0, "b64decode": 0, "scan": 0, "cbor2": 0}


def test_huge_input_counter_sees_a_decoder_without_the_size_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The count above is not vacuous: with the size bounds lifted, every huge input is worked on."""
    work = CborWork(monkeypatch)
    monkeypatch.setattr(cbor, "MAX_BYTES", 10**8)
    monkeypatch.setattr(cbor, "MAX_TEXT", 10**8)
    for data in _HUGE_INPUTS:
        reject(data)
    assert work.calls["alphabet"] == work.calls["b64decode"] == 1
    assert work.calls["scan"] == 4


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 31, 32, 33])
def test_base64url_lengths_round_trip(length: int) -> None:
    payload = bytes(range(length))
    raw = b(payload)
    assert decode_inner_bstr(raw, check="S3") == payload
    assert decode_statement(b64(raw)) == payload


def test_base64url_longest_accepted() -> None:
    head = h(5, 1) + t("fmt")
    raw = head + h(3, 65536 - len(head) - 3, 2)
    raw += b"a" * (65536 - len(raw))
    text = b64(raw)
    assert len(text) == 87382
    assert decode_statement(text) == {"fmt": "a" * (65536 - len(head) - 3)}
    assert reject(text + "AA").check == "D2"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda s: s + "=", id="padding"),
        pytest.param(lambda s: s[:-2] + "==", id="padding-replacing"),
        pytest.param(lambda s: s.replace("-", "+"), id="plus"),
        pytest.param(lambda s: s.replace("_", "/"), id="slash"),
        pytest.param(lambda s: s[:4] + " " + s[4:], id="space"),
        pytest.param(lambda s: s + "\n", id="newline"),
        pytest.param(lambda s: s + "\r\n", id="crlf"),
        pytest.param(lambda s: s[:4] + "\t" + s[4:], id="tab"),
        pytest.param(lambda s: s[:-1] + "\u0661", id="arabic-digit"),
        pytest.param(lambda s: s[:-1] + "\uff21", id="fullwidth-letter"),
        pytest.param(lambda s: s + "AAA", id="length-1-mod-4"),
        pytest.param(lambda s: "", id="empty"),
        pytest.param(lambda s: "A", id="single-char"),
    ],
)
def test_base64url_form_rejected(mutate: Callable[[str], str]) -> None:
    payload = b"\xd1?\xf8_\xf0\x98"  # 7 CBOR bytes -> 10 characters holding both '-' and '_'
    text = b64(b(payload))
    assert "-" in text and "_" in text and len(text) % 4 == 2
    assert decode_statement(text) == payload
    assert reject(mutate(text)).check == "D2"


def test_base64url_nonzero_unused_bits_rejected() -> None:
    two = b64(b(b"\x00"))  # 2 bytes -> 3 chars, 2 unused bits
    three = b64(b(b"\x00\x00"))  # 3 bytes -> 4 chars (no unused bits)
    one_extra = b64(b(b"\x00\x00\x00"))  # 4 bytes -> 6 chars, 4 unused bits
    assert len(two) == 3 and len(three) == 4 and len(one_extra) == 6
    assert decode_statement(two) == b"\x00"
    assert reject(two[:-1] + "B").check == "D2"  # "B" = 1: the low unused bit
    assert reject(two[:-1] + "C").check == "D2"
    assert decode_statement(one_extra) == b"\x00\x00\x00"
    assert reject(one_extra[:-1] + "B").check == "D2"
    assert reject(one_extra[:-1] + "I").check == "D2"  # 8: the highest unused bit


def test_base64url_bad_cbor_is_d3() -> None:
    assert reject(b64(cbor2.dumps(VALID) + b"\0")).check == "D3"


# ---------------------------------------------------------------- Mapping input (D2 budget)


def test_mapping_returned_unchanged() -> None:
    value = {"fmt": "tpm", "attStmt": {"alg": True, "big": 2**1000, "sig": memoryview(b"x" * 70000)}}
    assert decode_statement(value) is value


def test_mapping_byte_budget_is_inclusive() -> None:
    ok = {"fmt": "tpm", "attStmt": {"a": b"x" * 60000, "x5c": [bytearray(5536)]}}
    assert decode_statement(ok) is ok
    over = {"fmt": "tpm", "attStmt": {"a": b"x" * 60000, "x5c": [bytearray(5537)]}}
    assert reject(over).check == "D2"
    assert reject({"attStmt": {"sig": bytearray(65537)}}).check == "D2"
    assert reject({"attStmt": {"x5c": (b"x" * 40000, b"y" * 40000)}}).check == "D2"


def test_mapping_uninterpreted_values_not_traversed() -> None:
    deep: list[object] = []
    for _ in range(10**5):
        deep = [deep]
    value = {
        "fmt": "tpm",
        "attStmt": {"nested": {"a": b"x" * 70000}, "deep": deep, "view": memoryview(b"y" * 70000)},
        "authData": b"z" * 70000,
    }
    # Accepted, which is the proof of no traversal: counting the nested 70 000 bytes would exceed
    # the 65 536-byte budget (D2), recursing into the 10^5-deep list would raise RecursionError.
    assert decode_statement(value) is value


def test_mapping_cyclic_returns() -> None:
    loop: dict[str, object] = {"fmt": "tpm"}
    loop["attStmt"] = loop
    inner: list[object] = []
    inner.append(inner)
    value = {"fmt": "tpm", "attStmt": {"x5c": inner, "self": loop}}
    assert decode_statement(loop) is loop
    assert decode_statement(value) is value


def test_mapping_container_limits() -> None:
    assert reject({"attStmt": {str(i): 0 for i in range(257)}}).check == "D2"
    assert reject({"attStmt": {"x5c": [b"x"] * 257}}).check == "D2"
    ok = {"attStmt": {"x5c": [b"x"] * 256}}
    assert decode_statement(ok) is ok


# ---------------------------------------------------------------- one item, nothing after it


def test_base_statement_accepted() -> None:
    raw = stmt(t("alg") + h(1, 256) + t("sig") + b(b"s"), 2)
    assert decode_statement(raw) == {"fmt": "tpm", "attStmt": {"alg": -257, "sig": b"s"}}


@pytest.mark.parametrize("suffix", [b"\0", b"\xff", b"\xf6", cbor2.dumps(VALID)])
def test_trailing_bytes_rejected(suffix: bytes) -> None:
    assert reject(cbor2.dumps(VALID) + suffix).check == "D3"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x18", id="uint8-arg"),
        pytest.param(b"\x1b\0\0\0", id="uint64-arg"),
        pytest.param(b"\x43ab", id="bstr"),
        pytest.param(b"\x63ab", id="tstr"),
        pytest.param(b"\x82\x01", id="array"),
        pytest.param(b"\xa1\x61a", id="map-value"),
        pytest.param(b"\x9f\x01", id="indefinite-array"),
        pytest.param(b"\x5f\x41a", id="indefinite-bstr"),
        pytest.param(b"\x5b" + b"\xff" * 8 + b"ab", id="huge-length"),
    ],
)
def test_truncated_rejected(data: bytes) -> None:
    assert reject(data).check == "D3"


def test_every_prefix_of_a_statement_rejected() -> None:
    raw = cbor2.dumps(VALID)
    for cut in range(1, len(raw)):
        assert reject(raw[:cut]).check == "D3"


# ---------------------------------------------------------------- nesting and sizes


@pytest.mark.parametrize("map_level", [False, True])
@pytest.mark.parametrize("leaf", [b"\x80", b"\xa0", b"\x9f\xff", b"\x01"])
def test_nesting_limit(map_level: bool, leaf: bytes) -> None:
    container_leaf = leaf != b"\x01"
    depth_ok = 16 if container_leaf else 17  # a scalar leaf adds no level
    ok = h(4, 1) + nested(depth_ok - 1, leaf=leaf, map_level=map_level)
    assert decode_statement(ok) is not None
    assert reject(h(4, 1) + nested(depth_ok, leaf=leaf, map_level=map_level)).check == "D3"


def test_indefinite_containers_count_as_levels() -> None:
    ok = b"\x9f" * 16 + b"\xff" * 16
    assert decode_statement(ok) == [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]
    assert reject(b"\x9f" * 17 + b"\xff" * 17).check == "D3"


def test_deep_nesting_within_size_rejected_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """64 KiB of nesting: the scan stops at level MAX_DEPTH + 1, reading no further, and cbor2
    (which recurses) never sees it. Counted, not timed (CI runs loaded)."""
    work, reads = CborWork(monkeypatch), count_cbor_reads(monkeypatch)
    for data in (b"\x81" * 65535 + b"\x00", b"\x9f" * 65536):
        reads[0] = 0
        assert reject(data).check == "D3"
        assert reads[0] == cbor.MAX_DEPTH + 1, reads[0]
    assert work.calls["cbor2"] == 0


def test_deep_nesting_counter_sees_a_scan_without_the_depth_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts above are not vacuous: without the depth limit the whole input is read."""
    work, reads = CborWork(monkeypatch), count_cbor_reads(monkeypatch)
    monkeypatch.setattr(cbor, "MAX_DEPTH", 10**6)
    reject(b"\x81" * 65535 + b"\x00")
    assert reads[0] == 65536
    assert work.calls["cbor2"] == 1


def test_array_entry_limit() -> None:
    assert len(decode_statement(h(4, 256) + b"\0" * 256)) == 256  # type: ignore[arg-type]
    assert reject(h(4, 257) + b"\0" * 257).check == "D3"
    assert len(decode_statement(b"\x9f" + b"\0" * 256 + b"\xff")) == 256  # type: ignore[arg-type]
    assert reject(b"\x9f" + b"\0" * 257 + b"\xff").check == "D3"


def test_map_entry_limit() -> None:
    pairs = b"".join(h(0, i) + b"\xf6" for i in range(257))
    inner_ok = h(5, 256) + b"".join(h(0, i) + b"\xf6" for i in range(256))
    assert len(decode_statement(h(4, 1) + inner_ok)[0]) == 256  # type: ignore[index]
    assert reject(h(4, 1) + h(5, 257) + pairs).check == "D3"
    assert reject(h(4, 1) + b"\xbf" + pairs + b"\xff").check == "D3"


def test_huge_container_header_rejected() -> None:
    assert reject(h(4, 2**64 - 1)).check == "D3"
    assert reject(h(5, 2**32)).check == "D3"


# ---------------------------------------------------------------- tags and major type 7


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(h(6, 55799) + cbor2.dumps(VALID), id="self-describe-55799"),
        pytest.param(h(6, 24) + b(cbor2.dumps(VALID)), id="embedded-cbor-24"),
        pytest.param(h(6, 2) + b(b"\x01" * 9), id="bignum-2"),
        pytest.param(h(6, 3) + b(b"\x01" * 9), id="negative-bignum-3"),
        pytest.param(h(6, 0) + t("2026-01-01T00:00:00Z"), id="datetime-0"),
        pytest.param(h(6, 1) + h(0, 0), id="epoch-1"),
        pytest.param(stmt(t("sig") + h(6, 24) + b(b"\x41s"), 1), id="inside-attStmt"),
        pytest.param(stmt(t("x5c") + h(4, 1) + h(6, 22) + b(b"\x30\x00"), 1), id="inside-array"),
        pytest.param(h(6, 0, 8) + h(0, 0), id="uint64-tag-number"),
    ],
)
def test_tags_rejected(data: bytes) -> None:
    assert reject(data).check == "D3"


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(b"\xf9\x3c\x00", id="float16"),
        pytest.param(b"\xfa\x3f\x80\x00\x00", id="float32"),
        pytest.param(b"\xfb\x3f\xf0\x00\x00\x00\x00\x00\x00", id="float64"),
        pytest.param(b"\xf9\x7e\x00", id="nan16"),
        pytest.param(b"\xf7", id="undefined"),
        pytest.param(b"\xe0", id="simple-0"),
        pytest.param(b"\xf3", id="simple-19"),
        pytest.param(b"\xf8\x20", id="simple-32"),
        pytest.param(b"\xf8\xff", id="simple-255"),
        pytest.param(b"\xf8\x14", id="false-two-bytes"),
        pytest.param(b"\xff", id="break-outside-indefinite"),
    ],
)
def test_major7_other_than_false_true_null_rejected(item: bytes) -> None:
    assert reject(stmt(t("alg") + item, 1)).check == "D3"
    assert reject(item).check == "D3"


def test_false_true_null_accepted() -> None:
    assert decode_statement(stmt(t("a") + b"\xf4" + t("b") + b"\xf5" + t("c") + b"\xf6", 3)) == {
        "fmt": "tpm",
        "attStmt": {"a": False, "b": True, "c": None},
    }


def test_break_inside_definite_array_rejected() -> None:
    assert reject(h(4, 2) + b"\x01\xff").check == "D3"


@pytest.mark.parametrize("ai", [28, 29, 30])
@pytest.mark.parametrize("major", range(8))
def test_reserved_additional_information_rejected(major: int, ai: int) -> None:
    assert reject(bytes([major << 5 | ai]) + b"\0" * 8).check == "D3"
    assert reject(h(4, 1) + bytes([major << 5 | ai]) + b"\0" * 8).check == "D3"


# ---------------------------------------------------------------- integers


@pytest.mark.parametrize("width", [1, 2, 4, 8])
def test_non_minimal_integers_accepted(width: int) -> None:
    assert decode_statement(h(4, 2) + h(0, 1, width) + h(1, 0, width)) == [1, -1]


def test_64bit_extremes_accepted() -> None:
    assert decode_statement(h(4, 2) + h(0, 2**64 - 1) + h(1, 2**64 - 1)) == [2**64 - 1, -(2**64)]


@pytest.mark.parametrize("major", [0, 1, 6])
def test_indefinite_integer_or_tag_rejected(major: int) -> None:
    assert reject(h(4, 1) + bytes([major << 5 | 31]) + b"\0").check == "D3"


# ---------------------------------------------------------------- map keys


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(b(b"k"), id="bytes"),
        pytest.param(h(4, 0), id="array"),
        pytest.param(h(5, 0), id="map"),
        pytest.param(b"\xf4", id="false"),
        pytest.param(b"\xf5", id="true"),
        pytest.param(b"\xf6", id="null"),
        pytest.param(b"\xfb" + b"\0" * 8, id="float"),
        pytest.param(h(6, 0) + t("k"), id="tagged-text"),
        pytest.param(b"\x5f\x41k\xff", id="indefinite-bytes"),
    ],
)
def test_map_key_types_rejected(key: bytes) -> None:
    # In a nested map (where integer keys are fine), so only the key type is at fault.
    assert reject(stmt(t("m") + h(5, 1) + key + h(0, 0), 1)).check == "D3"


def test_integer_keys_allowed_below_attstmt() -> None:
    raw = stmt(t("pub") + h(5, 3) + h(0, 1) + h(0, 2) + h(1, 0) + h(0, 1) + t("1") + h(0, 3), 1)
    assert decode_statement(raw) == {"fmt": "tpm", "attStmt": {"pub": {1: 2, -1: 1, "1": 3}}}


@pytest.mark.parametrize("key", [h(0, 1), h(1, 0), h(0, 1, 8)])
def test_integer_keys_rejected_at_top_level(key: bytes) -> None:
    assert reject(h(5, 1) + key + t("x")).check == "D3"
    assert reject(h(5, 2) + t("fmt") + t("tpm") + key + t("x")).check == "D3"


@pytest.mark.parametrize("key", [h(0, 1), h(1, 0)])
def test_integer_keys_rejected_in_attstmt(key: bytes) -> None:
    assert reject(stmt(key + b(b"x"), 1)).check == "D3"
    # also when attStmt is indefinite-length and when its key is an indefinite text string
    body = h(5, 2) + t("fmt") + t("tpm") + t("attStmt") + b"\xbf" + key + b(b"x") + b"\xff"
    assert reject(body).check == "D3"
    body = h(5, 2) + t("fmt") + t("tpm") + b"\x7f" + t("att") + t("Stmt") + b"\xff" + h(5, 1) + key + h(0, 0)
    assert reject(body).check == "D3"


def test_integer_keys_allowed_without_text_key_rule() -> None:
    # Only the top-level map and the map under "attStmt" are text-keyed.
    assert decode_statement(h(4, 1) + h(5, 1) + h(0, 1) + h(0, 2)) == [{1: 2}]
    assert decode_statement(h(5, 1) + t("attstmt") + h(5, 1) + h(0, 1) + h(0, 2)) == {"attstmt": {1: 2}}


# ---------------------------------------------------------------- duplicate keys


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(t("sig"), t("sig"), id="text"),
        pytest.param(t("sig"), h(3, 3, 1) + b"sig", id="text-non-minimal-length"),
        pytest.param(t("sig"), b"\x7f" + t("sig") + b"\xff", id="definite-vs-indefinite"),
        pytest.param(b"\x7f" + t("s") + t("ig") + b"\xff", b"\x7f" + t("si") + t("g") + b"\xff", id="chunks"),
        pytest.param(t("sig"), b"\x7f" + t("") + t("sig") + t("") + b"\xff", id="empty-chunks"),
    ],
)
def test_duplicate_text_keys_in_attstmt_rejected(first: bytes, second: bytes) -> None:
    assert reject(stmt(first + b(b"a") + second + b(b"b"), 2)).check == "D3"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(h(0, 1), h(0, 1), id="same"),
        pytest.param(h(0, 1), h(0, 1, 1), id="1-byte-vs-2-byte"),
        pytest.param(h(0, 1, 2), h(0, 1, 8), id="3-byte-vs-9-byte"),
        pytest.param(h(0, 300), h(0, 300, 4), id="uint16-vs-uint32"),
        pytest.param(h(1, 0), h(1, 0, 1), id="negative"),
        pytest.param(h(1, 2**64 - 1), h(1, 2**64 - 1), id="minus-2-64"),
    ],
)
def test_duplicate_integer_keys_rejected(first: bytes, second: bytes) -> None:
    assert reject(stmt(t("pub") + h(5, 2) + first + h(0, 0) + second + h(0, 1), 1)).check == "D3"
    assert reject(stmt(t("pub") + b"\xbf" + first + h(0, 0) + second + h(0, 1) + b"\xff", 1)).check == "D3"


def test_duplicate_top_level_keys_rejected() -> None:
    raw = h(5, 3) + t("fmt") + t("tpm") + t("attStmt") + h(5, 0) + t("fmt") + t("apple")
    assert reject(raw).check == "D3"
    # cbor2 alone would keep the last one:
    assert cbor2.loads(raw)["fmt"] == "apple"
    raw = h(5, 3) + t("fmt") + t("tpm") + t("attStmt") + h(5, 0) + t("attStmt") + h(5, 0)
    assert reject(raw).check == "D3"


def test_equal_looking_keys_of_different_types_are_distinct() -> None:
    raw = h(4, 1) + h(5, 3) + h(0, 1) + h(0, 0) + t("1") + h(0, 0) + h(1, 0) + h(0, 0)
    assert decode_statement(raw) == [{1: 0, "1": 0, -1: 0}]


def test_duplicate_keys_in_separate_maps_allowed() -> None:
    assert decode_statement(h(4, 2) + (h(5, 1) + h(0, 1) + h(0, 0)) * 2) == [{1: 0}, {1: 0}]


# ---------------------------------------------------------------- strings


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\xff", id="invalid-byte"),
        pytest.param(b"\xc0\xaf", id="overlong"),
        pytest.param(b"\xed\xa0\x80", id="surrogate"),
        pytest.param(b"\xe2\x82", id="truncated-sequence"),
        pytest.param(b"\xf4\x90\x80\x80", id="above-u10ffff"),
    ],
)
def test_invalid_utf8_rejected(raw: bytes) -> None:
    assert reject(stmt(t("ver") + h(3, len(raw)) + raw, 1)).check == "D3"  # value
    assert reject(stmt(h(3, len(raw)) + raw + h(0, 0), 1)).check == "D3"  # key
    assert reject(stmt(t("ver") + b"\x7f" + t("ok") + h(3, len(raw)) + raw + b"\xff", 1)).check == "D3"


def test_code_point_split_across_chunks_rejected() -> None:
    euro = "€".encode()
    assert decode_statement(b"\x7f" + h(3, 3) + euro + b"\xff") == "€"
    assert reject(b"\x7f" + h(3, 1) + euro[:1] + h(3, 2) + euro[1:] + b"\xff").check == "D3"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x7f" + b(b"a") + b"\xff", id="bytes-chunk-in-text"),
        pytest.param(b"\x5f" + t("a") + b"\xff", id="text-chunk-in-bytes"),
        pytest.param(b"\x5f\x5f\xff\xff", id="nested-indefinite-bytes"),
        pytest.param(b"\x7f\x7f\xff\xff", id="nested-indefinite-text"),
        pytest.param(b"\x5f\x01\xff", id="integer-chunk"),
        pytest.param(b"\x5f\x80\xff", id="array-chunk"),
        pytest.param(b"\x5f\xf6\xff", id="null-chunk"),
        pytest.param(b"\x5f" + h(6, 24) + b(b"a") + b"\xff", id="tagged-chunk"),
        pytest.param(b"\x5f" + b(b"a"), id="no-break"),
    ],
)
def test_indefinite_string_chunks_rejected(data: bytes) -> None:
    assert reject(data).check == "D3"


def test_indefinite_strings_accepted() -> None:
    assert decode_statement(b"\x5f\xff") == b""
    assert decode_statement(b"\x7f\xff") == ""
    assert decode_statement(b"\x5f" + b(b"ab") + b(b"") + b(b"c") + b"\xff") == b"abc"
    assert decode_statement(b"\x7f" + t("ab") + h(3, 1, 8) + b"c" + b"\xff") == "abc"


# ---------------------------------------------------------------- indefinite containers


def test_indefinite_containers_accepted() -> None:
    att_stmt = b"\xbf" + t("x5c") + b"\x9f" + b(b"c") + b"\xff\xff"
    raw = b"\xbf" + t("fmt") + t("tpm") + t("attStmt") + att_stmt + b"\xff"
    assert decode_statement(raw) == {"fmt": "tpm", "attStmt": {"x5c": [b"c"]}}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xbf" + t("fmt") + b"\xff", id="break-after-key"),
        pytest.param(b"\x9f\x01", id="missing-break"),
        pytest.param(b"\x9f\xff\xff", id="extra-break"),
        pytest.param(h(4, 1) + b"\x9f\xff\xff", id="break-closes-definite"),
    ],
)
def test_indefinite_container_breaks_rejected(data: bytes) -> None:
    assert reject(data).check == "D3"


# ---------------------------------------------------------------- decode_inner_bstr (S3's helper)


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"\x40", b""), (b"\x43sig", b"sig"), (h(2, 3, 8) + b"sig", b"sig"), (b"\x5f\x42si\x41g\xff", b"sig")],
)
def test_inner_bstr_accepted(data: bytes, expected: bytes) -> None:
    value = decode_inner_bstr(data, check="S3")
    assert value == expected and type(value) is bytes
    assert decode_inner_bstr(bytearray(data), check="S3") == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xf6", id="null"),
        pytest.param(b"\x01", id="integer"),
        pytest.param(b"\x63sig", id="text"),
        pytest.param(b"\x81\x43sig", id="array"),
        pytest.param(h(6, 24) + b"\x43sig", id="tagged"),
        pytest.param(b"\x43sig\x00", id="trailing-byte"),
        pytest.param(b"\x43sig\x43sig", id="two-strings"),
        pytest.param(b"\x43si", id="truncated"),
        pytest.param(b"\x5f\x42si\x61g\xff", id="text-chunk"),
        pytest.param(b"\x5c" + b"\0" * 8, id="reserved-ai"),
    ],
)
def test_inner_bstr_rejected(data: bytes) -> None:
    with pytest.raises(MalformedError) as exc:
        decode_inner_bstr(data, check="S3")
    assert exc.value.check == "S3"


@pytest.mark.parametrize("data", ["\x43sig", None, memoryview(b"\x43sig"), 3])
def test_inner_bstr_wrong_python_type(data: object) -> None:
    with pytest.raises(MalformedError) as exc:
        decode_inner_bstr(data, check="S3")  # type: ignore[arg-type]
    assert exc.value.check == "S3"


# ---------------------------------------------------------------- performance


def _worst_case_64k() -> bytes:
    row = h(4, 256) + b"\0" * 256
    count = (65536 - 3) // len(row)
    return h(4, count) + row * count


def _text_key_maps(count: int) -> bytes:
    row = h(5, 256) + b"".join(t(f"k{i:03}") + b"\xf6" for i in range(256))
    return h(4, count) + row * count


# The scan of 64 KiB of the smallest items (the worst case per byte) is linear: each input byte is
# read at most once (byte strings are skipped, not read), so twice the input is at most twice the
# work. Counted, not timed (CI runs loaded); the cbor2 decode after it is cbor2's own.


def test_64k_of_tiny_items_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _worst_case_64k()
    assert len(raw) > 65000
    reads = count_cbor_reads(monkeypatch)
    assert len(decode_statement(raw)) == 253  # type: ignore[arg-type]
    assert reads[0] <= len(raw), (reads[0], len(raw))


def test_64k_of_text_keys_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = count_cbor_reads(monkeypatch)
    count = 65000 // len(_text_key_maps(1))
    half = _text_key_maps(count // 2)
    assert len(decode_statement(half)) == count // 2  # type: ignore[arg-type]
    reads_half, reads[0] = reads[0], 0
    raw = _text_key_maps(count // 2 * 2)
    assert len(decode_statement(raw)) == count // 2 * 2  # type: ignore[arg-type]
    assert reads[0] <= len(raw), (reads[0], len(raw))
    assert reads[0] <= 2 * reads_half + 8, (reads[0], reads_half)  # linear: 2x input, 2x work


def test_read_counter_sees_a_scan_that_reads_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound above is not vacuous: a scan that reads each item header a second time (a
    lookahead gone wrong) is over it."""
    reads = count_cbor_reads(monkeypatch)
    item = cbor._Scanner._item

    def rereading(scanner: Any, ib: int, start: int) -> tuple[bool, int | str | None]:
        scanner.data[start]
        return item(scanner, ib, start)

    monkeypatch.setattr(cbor._Scanner, "_item", rereading)
    raw = _worst_case_64k()
    decode_statement(raw)
    assert reads[0] > len(raw)


# ---------------------------------------------------------------- properties

_edits = st.lists(st.tuples(st.integers(0, 2**16), st.integers(0, 255)), min_size=1, max_size=4)
_keys = st.one_of(st.text(max_size=8), st.integers(-(2**64), 2**64 - 1))
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=20),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=30,
)


@st.composite
def _encoded(draw: st.DrawFn, value: object) -> bytes:
    """Encode `value` choosing argument widths, (in)definite lengths and string chunking at random."""

    def head(major: int, arg: int) -> bytes:
        widths = [w for w in (0, 1, 2, 4, 8) if (arg < 24 if w == 0 else arg < 256**w)]
        return h(major, arg, draw(st.sampled_from(widths)))

    def string(major: int, raw: bytes, chunks: list[bytes]) -> bytes:
        if not draw(st.booleans()):
            return head(major, len(raw)) + raw
        return bytes([major << 5 | 31]) + b"".join(head(major, len(c)) + c for c in chunks) + b"\xff"

    def enc(v: object) -> bytes:
        if v is None:
            return b"\xf6"
        if isinstance(v, bool):
            return b"\xf5" if v else b"\xf4"
        if isinstance(v, int):
            return head(0, v) if v >= 0 else head(1, -1 - v)
        if isinstance(v, bytes):
            cut = sorted(draw(st.lists(st.integers(0, len(v)), max_size=3)))
            bounds = [0, *cut, len(v)]
            return string(2, v, [v[a:b] for a, b in itertools.pairwise(bounds)])
        if isinstance(v, str):
            cut = sorted(draw(st.lists(st.integers(0, len(v)), max_size=3)))
            bounds = [0, *cut, len(v)]
            return string(3, v.encode(), [v[a:b].encode() for a, b in itertools.pairwise(bounds)])
        if isinstance(v, list):
            body = b"".join(enc(x) for x in v)
            return (b"\x9f" + body + b"\xff") if draw(st.booleans()) else head(4, len(v)) + body
        assert isinstance(v, dict)
        body = b"".join(enc(k) + enc(x) for k, x in v.items())
        return (b"\xbf" + body + b"\xff") if draw(st.booleans()) else head(5, len(v)) + body

    return enc(value)


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_malformed(data: bytes) -> None:
    try:
        decode_statement(data)
    except MalformedError as err:
        assert err.check in ("D2", "D3")
        assert "cbor2 refused" not in err.message


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_decode_or_malformed(text: str) -> None:
    try:
        decode_statement(text)
    except MalformedError as err:
        assert err.check in ("D2", "D3")


@SETTINGS
@given(_values)
def test_cbor2_encodings_decode_identically(value: object) -> None:
    raw = cbor2.dumps([value])  # in an array: integer keys are fine below the top level
    assert decode_statement(raw) == cbor2.loads(raw) == [value]


@SETTINGS
@given(st.data(), _values)
def test_any_encoding_decodes_to_the_value(data: st.DataObject, value: object) -> None:
    raw = h(4, 1) + data.draw(_encoded(value))
    assert decode_statement(raw) == [value]
    assert decode_statement(raw) == cbor2.loads(raw)


@SETTINGS
@given(st.data(), _values, _edits)
def test_scan_accepted_means_cbor2_decodes(
    data: st.DataObject, value: object, edits: list[tuple[int, int]]
) -> None:
    raw = bytearray(h(4, 1) + data.draw(_encoded(value)))
    for where, byte in edits:
        at = where % (len(raw) + 1)
        op = byte % 3
        if op == 0 and at < len(raw):
            raw[at] = byte
        elif op == 1:
            raw.insert(at, byte)
        elif at < len(raw):
            del raw[at]
    blob = bytes(raw)
    try:
        cbor._scan(blob, "D3", text_keys=True)
    except MalformedError as err:
        assert err.check == "D3"
        return
    decoded = cbor2.loads(blob)  # must not raise
    assert decode_statement(blob) == decoded
