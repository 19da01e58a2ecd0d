"""parse_challenge_payload: the ACME challenge response payload (SPEC §2.6, §3.1, check J1)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attestverify import jsonlimits
from attestverify import payload as payload_module
from attestverify.errors import AttestationError, MalformedError, UsageError
from attestverify.payload import MAX_JSON_DEPTH, MAX_PAYLOAD_BYTES, parse_challenge_payload

ATT_OBJ = "o2NmbXRlYXBwbGVnYXR0U3RtdKA"


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({"attObj": ATT_OBJ}).encode(),
        json.dumps({"attObj": ATT_OBJ}),
        bytearray(json.dumps({"attObj": ATT_OBJ}).encode()),
        memoryview(json.dumps({"attObj": ATT_OBJ}).encode()),
        {"attObj": ATT_OBJ},
        f' \n{{"attObj": "{ATT_OBJ}"}}\n',
    ],
)
def test_returns_att_obj_for_every_input_form(payload: object) -> None:
    assert parse_challenge_payload(payload) == ATT_OBJ  # type: ignore[arg-type]


def test_other_members_are_ignored() -> None:
    payload = {"attObj": ATT_OBJ, "errors": "not the error member", "extra": [1, 2], "Error": None}
    assert parse_challenge_payload(json.dumps(payload)) == ATT_OBJ


# --- the "error" member (SPEC v2 §2.6): an Apple client reports a failed attestation ----------

DEVICE_ERROR = "The operation couldn't be completed. (MDMErrorDomain error 12067.)"


@pytest.mark.parametrize("with_att_obj", [False, True], ids=["alone", "beside-attObj"])
@pytest.mark.parametrize("form", ["json", "mapping"])
def test_error_string_is_j1_quoting_it(with_att_obj: bool, form: str) -> None:
    obj: dict[str, object] = {"error": DEVICE_ERROR}
    if with_att_obj:
        obj["attObj"] = ATT_OBJ
    error = _j1(json.dumps(obj) if form == "json" else obj)
    assert error.check == "J1"
    assert not isinstance(error, UsageError)
    assert "could not attest" in error.message
    assert repr(DEVICE_ERROR.encode()[:64].decode()) in error.message
    assert error.acme_problem()["type"] == "urn:ietf:params:acme:error:badAttestationStatement"


def test_error_text_is_quoted_at_most_64_bytes() -> None:
    text = "é" * 40 + "TAIL"  # 84 UTF-8 bytes; the cut falls inside no character
    message = _j1({"error": text, "attObj": ATT_OBJ}).message
    assert repr("é" * 32) + "..." in message
    assert "TAIL" not in message


def test_error_control_characters_are_escaped() -> None:
    message = _j1('{"error": "line1\\nline2\\u0000"}').message
    assert "line1\\nline2\\x00" in message  # repr() escapes, so the message stays one line
    assert "\n" not in message and "\x00" not in message


@pytest.mark.parametrize(
    "value",
    [None, 0, True, [], ["x"], {"detail": "device says no"}, ""],
    ids=["null", "int", "bool", "empty-list", "list", "object", "empty-string"],
)
@pytest.mark.parametrize("with_att_obj", [False, True], ids=["alone", "beside-attObj"])
def test_error_of_any_value_is_j1(value: object, with_att_obj: bool) -> None:
    obj: dict[str, object] = {"error": value}
    if with_att_obj:
        obj["attObj"] = ATT_OBJ
    message = _j1(json.dumps(obj)).message
    assert _j1(obj).message == message
    assert "could not attest" in message
    assert (repr("") if value == "" else f"of type {type(value).__name__}") in message


def test_error_bytes_from_a_mapping_is_quoted_as_hex() -> None:
    message = _j1({"error": b"\xff" * 80}).message
    assert "ff" * 64 + "... (hex)" in message


def test_att_obj_is_returned_unchecked() -> None:
    # The base64url rules are verify()'s (D2); the payload parser only extracts the string.
    assert parse_challenge_payload('{"attObj": "not base64url!"}') == "not base64url!"


def test_unicode_escapes_are_decoded() -> None:
    assert parse_challenge_payload('{"att\\u004fbj": "ab\\u0063"}') == "abc"


def _j1(payload: object) -> MalformedError:
    with pytest.raises(MalformedError) as exc:
        parse_challenge_payload(payload)  # type: ignore[arg-type]
    assert exc.value.code == "malformed"
    return exc.value


@pytest.mark.parametrize(
    "payload",
    [
        "{}",
        '{"attobj": "abc"}',
        '{"attObj": null}',
        '{"attObj": 1}',
        '{"attObj": ["abc"]}',
        '{"attObj": {"x": "abc"}}',
        '{"attObj": true}',
        '{"error": "bad"}',
        {"attObj": b"abc"},
        {"other": "abc"},
    ],
)
def test_missing_or_non_string_att_obj_is_j1(payload: object) -> None:
    assert _j1(payload).check == "J1"


@pytest.mark.parametrize("payload", ["[]", '"abc"', "1", "null", '["attObj"]'])
def test_top_level_not_an_object_is_j1(payload: str) -> None:
    assert _j1(payload).check == "J1"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"attObj": "\xff"}',
        b"\xef\xbb\xbf" + b'{"attObj": "abc"}',  # BOM
        '{"attObj": "abc"',
        '{"attObj": "abc"} x',
        '{"attObj": "abc", "n": NaN}',
        '{"attObj": "abc", "n": Infinity}',
        "{'attObj': 'abc'}",
        "",
        b"",
        '{"attObj": "abc", "n": 1' + "0" * 5000 + "}",  # beyond int digit limit
    ],
)
def test_invalid_json_or_encoding_is_j1(payload: object) -> None:
    assert _j1(payload).check == "J1"


def test_duplicate_att_obj_member_is_j1() -> None:
    # json keeps the last duplicate; another parser (the ACME server's) may keep the first.
    err = _j1('{"attObj": "abc", "attObj": "def"}')
    assert err.check == "J1"


def test_duplicate_att_obj_in_a_nested_member_is_ignored() -> None:
    assert parse_challenge_payload('{"attObj": "abc", "x": {"attObj": 1, "attObj": 2}}') == "abc"


def test_size_bound_is_j1() -> None:
    padding = " " * (MAX_PAYLOAD_BYTES - len('{"attObj":"abc"}') + 1)
    payload = '{"attObj":"abc"}' + padding
    assert _j1(payload).check == "J1"
    assert _j1(payload.encode()).check == "J1"
    assert parse_challenge_payload(payload[:-1]) == "abc"


def _count_json_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calls of the recursive `json` decoder made by the payload parser."""
    calls = [0]

    def loads(text: str, **kwargs: Any) -> object:
        calls[0] += 1
        return json.loads(text, **kwargs)

    monkeypatch.setattr(payload_module, "json", SimpleNamespace(loads=loads))
    return calls


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deep_nesting_is_j1_before_json_recurses(opener: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """300 000 levels are refused by the size bound or the linear depth pre-scan, before the
    recursive `json` decoder (one C stack frame per level) ever sees them. Counted, not timed."""
    decodes = _count_json_decodes(monkeypatch)
    payload = '{"attObj": "abc", "x": ' + opener * 300_000
    assert _j1(payload).check == "J1"
    assert decodes[0] == 0


def test_deep_nesting_counter_sees_a_parser_without_the_pre_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The count above is not vacuous: without the depth pre-scan the deep text reaches `json`."""
    decodes = _count_json_decodes(monkeypatch)
    monkeypatch.setattr(payload_module, "nests_deeper_than", lambda text, limit: False)
    assert _j1('{"attObj": "abc", "x": ' + "[" * 300_000).check == "J1"
    assert decodes[0] == 1


def test_nesting_at_the_limit_is_accepted() -> None:
    inner = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    assert parse_challenge_payload('{"attObj": "abc", "x": ' + inner + "}") == "abc"
    deeper = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert _j1('{"attObj": "abc", "x": ' + deeper + "}").check == "J1"


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    payload = json.dumps({"attObj": "abc", "note": "[" * 10_000 + '\\"{' * 100})
    assert parse_challenge_payload(payload) == "abc"


@pytest.mark.parametrize("payload", [None, 1, 1.5, ["attObj"], object()])
def test_wrong_input_type_is_j1(payload: object) -> None:
    assert _j1(payload).check == "J1"


class _Hostile(Mapping[object, object]):
    def __getitem__(self, key: object) -> object:
        raise RuntimeError("boom")

    def __iter__(self) -> Iterator[object]:
        raise RuntimeError("boom")

    def __len__(self) -> int:
        return 1

    def __contains__(self, key: object) -> bool:
        raise TypeError("boom")


def test_hostile_mapping_becomes_malformed() -> None:
    err = _j1(_Hostile())
    assert err.check == "J1"
    assert isinstance(err.__cause__, TypeError)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_any_bytes_or_text_gives_a_string_or_attestation_error(payload: bytes | str) -> None:
    try:
        assert isinstance(parse_challenge_payload(payload), str)
    except AttestationError as err:
        assert err.check == "J1"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["attObj", "error", "x"]), _JSON, max_size=3))
def test_any_json_object_follows_the_rule(obj: dict[str, object]) -> None:
    text = json.dumps(obj)
    if "error" not in obj and isinstance(obj.get("attObj"), str):
        assert parse_challenge_payload(text) == obj["attObj"]
        assert parse_challenge_payload(cast("Mapping[object, object]", obj)) == obj["attObj"]
    else:
        assert _j1(text).check == "J1"


# --- from the second review, F1: payload depth scan


def test_f1_payload_depth_scan_is_linear_on_unterminated_strings() -> None:
    """F1 (SPEC §2.6 J1, §2.3 "never ... a hang"): the JSON depth pre-scan removed strings with
    a regex that, on an unterminated string made of escaped quotes (`"\\"\\"\\"...`), restarted
    at every quote and rescanned to the end: quadratic, ~17 s for 80 kB and about 40 minutes
    for a 1 MiB payload. The scan must stay linear; the payload is still rejected with J1."""
    payload = "[" * 65 + '"' + '\\"' * 30_000
    with pytest.raises(MalformedError) as exc:
        parse_challenge_payload(payload)
    assert exc.value.code == "malformed"
    assert exc.value.check == "J1"
    # Linear by construction, checked without a clock (CI runs loaded): the string pattern takes
    # the whole unterminated string in one match, so `sub` never restarts at a later quote.
    assert _one_match_to_the_end(jsonlimits._JSON_STRING, payload, payload.index('"'))


def _one_match_to_the_end(pattern: re.Pattern[str], text: str, start: int) -> bool:
    found = pattern.match(text, start)
    return found is not None and found.end() == len(text)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet='"\\ab[', max_size=60))
def test_f1_string_pattern_never_fails_at_a_quote(rest: str) -> None:
    """What makes the depth scan linear: started at any quote, the string pattern matches (a
    closed string, or an unterminated one to the end), so no position is scanned twice."""
    assert jsonlimits._JSON_STRING.match('"' + rest) is not None


def test_f1_checks_see_the_quadratic_pattern() -> None:
    """The two checks above catch F1: the pattern before the fix (a string must be closed) fails
    at every quote of an unterminated string, which is what made `sub` rescan to the end."""
    old = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
    payload = "[" * 65 + '"' + '\\"' * 30_000
    assert not _one_match_to_the_end(old, payload, payload.index('"'))
    assert old.match('"' + '\\"' * 3) is None


def test_f1_payload_depth_still_counted_after_an_unterminated_string_fix() -> None:
    """F1 regression guard (SPEC §2.6 J1): strings are still skipped by the depth scan (brackets
    inside a string do not count), a trailing lone backslash ends the scan cleanly, and real
    nesting beyond the limit is still J1."""
    inside = {"attObj": "x", "pad": "[" * 500 + "{" * 500}
    assert parse_challenge_payload(json.dumps(inside)) == "x"
    with pytest.raises(MalformedError) as exc:
        parse_challenge_payload("[" * 100 + '"abc\\')
    assert exc.value.check == "J1"
    with pytest.raises(MalformedError) as deep:
        parse_challenge_payload('{"attObj": "x", "a": ' + "[" * 100 + "]" * 100 + "}")
    assert deep.value.check == "J1"
