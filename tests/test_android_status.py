"""`android.StatusList` (Google's attestation status document) and `STATUS_UNCHECKED` (SPEC §2.6, K5)."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from pki import issue, name, rsa_key

from attestverify import UsageError, android
from attestverify.android.status import MAX_STATUS_BYTES, StatusUnchecked, normalize_serial

# Shape of https://android.googleapis.com/attestation/status (values shortened).
DOCUMENT = {
    "entries": {
        "2c8cdddfd5e03bfc": {"status": "REVOKED", "expires": "2020-11-13", "reason": "KEY_COMPROMISE"},
        "C35747A084470C3135AEEFE2B8D40CD6": {"status": "SUSPENDED", "reason": "SOFTWARE_FLAW"},
        "00000000000000000000000000000A1B": {"status": "REVOKED"},
        "ff": {"reason": "UNSPECIFIED"},
    }
}


def _cert(serial: int) -> Any:
    return issue(name("x"), rsa_key(2048, "status"), None, ca=True, serial=serial).cert


@pytest.mark.parametrize("form", ["bytes", "str", "mapping", "bytearray"])
def test_parses_every_input_form(form: str) -> None:
    text = json.dumps(DOCUMENT)
    data: Any = {
        "bytes": text.encode(),
        "str": text,
        "mapping": DOCUMENT,
        "bytearray": bytearray(text.encode()),
    }[form]
    status = android.StatusList.from_json(data)
    assert dict(status.entries) == {
        "2c8cdddfd5e03bfc": "REVOKED",
        "c35747a084470c3135aeefe2b8d40cd6": "SUSPENDED",
        "a1b": "REVOKED",
        "ff": "",
    }
    assert len(status) == 4 and "4 entries" in repr(status)


def test_lookup_normalises_upper_case_and_leading_zeros() -> None:
    status = android.StatusList.from_json(DOCUMENT)
    assert status.lookup(_cert(0x2C8CDDDFD5E03BFC)) == "REVOKED"
    assert status.lookup(_cert(0xC35747A084470C3135AEEFE2B8D40CD6)) == "SUSPENDED"
    assert status.lookup(_cert(0xA1B)) == "REVOKED"
    assert status.lookup(_cert(0xFF)) == ""  # listed without a status: still listed
    assert status.lookup(_cert(0xA1C)) is None


@pytest.mark.parametrize(
    ("key", "expected"), [("0", "0"), ("000", "0"), ("00Ab", "ab"), ("ABCDEF", "abcdef")]
)
def test_normalize_serial(key: str, expected: str) -> None:
    assert normalize_serial(key) == expected


def test_entries_are_read_only_and_the_list_is_independent_of_its_source() -> None:
    source = copy.deepcopy(DOCUMENT)
    status = android.StatusList.from_json(source)
    source["entries"].clear()
    assert len(status) == 4
    with pytest.raises(TypeError):
        status.entries["00"] = "REVOKED"  # type: ignore[index]


class _Exploding(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("boom")

    def __iter__(self) -> Iterator[str]:
        return iter(["entries"])

    def __len__(self) -> int:
        return 1


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"{not json", id="invalid-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param("[]", id="top-not-object"),
        pytest.param("{}", id="no-entries"),
        pytest.param('{"entries": []}', id="entries-not-object"),
        pytest.param('{"entries": {"xyz": {"status": "REVOKED"}}}', id="non-hex-key"),
        pytest.param('{"entries": {"": {"status": "REVOKED"}}}', id="empty-key"),
        pytest.param('{"entries": {"0x1f": {"status": "REVOKED"}}}', id="0x-prefix"),
        pytest.param('{"entries": {" 1f": {"status": "REVOKED"}}}', id="space-in-key"),
        pytest.param('{"entries": {"1f": "REVOKED"}}', id="entry-not-object"),
        pytest.param('{"entries": {"1f": {"status": 1}}}', id="status-not-string"),
        pytest.param('{"entries": {"1f": {"status": null}}}', id="status-null"),
        pytest.param('{"entries": {"1f": {"status": NaN}}}', id="nan"),
        pytest.param('{"entries": {"' + "1" * 300 + '": {}}}', id="key-too-long"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="deep-nesting"),
        pytest.param({"entries": {1: {}}}, id="mapping-int-key"),
        pytest.param(_Exploding(), id="hostile-mapping"),
        pytest.param(None, id="none"),
        pytest.param(42, id="int"),
    ],
)
def test_invalid_documents_are_usage_errors(data: Any) -> None:
    with pytest.raises(UsageError) as info:
        android.StatusList.from_json(data)
    assert info.value.check == "D1"


def test_documents_larger_than_16_mib_are_refused() -> None:
    padding = " " * (MAX_STATUS_BYTES - len('{"entries": {}}') + 1)
    big = '{"entries": {}}' + padding
    with pytest.raises(UsageError):
        android.StatusList.from_json(big)
    with pytest.raises(UsageError):
        android.StatusList.from_json(big.encode())
    assert len(android.StatusList.from_json(big[:-1])) == 0  # exactly 16 MiB is fine


def test_status_unchecked_is_a_distinct_typed_singleton() -> None:
    assert isinstance(android.STATUS_UNCHECKED, StatusUnchecked)
    assert list(StatusUnchecked) == [android.STATUS_UNCHECKED]
    assert pickle.loads(pickle.dumps(android.STATUS_UNCHECKED)) is android.STATUS_UNCHECKED
    assert copy.deepcopy(android.STATUS_UNCHECKED) is android.STATUS_UNCHECKED
    assert repr(android.STATUS_UNCHECKED) == "attestverify.android.STATUS_UNCHECKED"
    assert android.STATUS_UNCHECKED is not None and not isinstance(
        android.STATUS_UNCHECKED, android.StatusList
    )
