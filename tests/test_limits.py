"""The limits of SPEC §3.2, each at its boundary, and hostile sizes rejected fast.

Every "ok" side is a complete valid statement (tests/statements.py) grown to the limit with an
unknown `attStmt` key (ignored by every format) or extra x5c entries, so it must still verify to
the same identity; every "too much" side is the same thing one step further and must be
`malformed` with the check of the rule. The hostile inputs are checked by counting the work done
(tests/workcount.py), which is deterministic; the remaining clock bound is only a hang guard.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
import statements
import yubikey_pki as yk
from cryptography.hazmat.primitives.serialization import Encoding
from pki import KEY_AUTHORIZATION, NOW, raw_ext
from workcount import CborWork, count_cbor_reads, count_format_verifiers

import attestverify
from attestverify import AttestationError, DeviceIdentity, MalformedError
from attestverify.cbor import MAX_BYTES, MAX_DEPTH, MAX_ENTRIES, MAX_TEXT

# A hang guard, not a performance assertion (performance is measured in benchmarks/): each call
# here takes milliseconds, this only turns an endless loop into a failure rather than a stuck CI.
# Far above anything a loaded 2-core machine can add; the DoS regressions are caught by counts.
HANG_GUARD_S = 10.0


def same(found: DeviceIdentity, case: statements.Case) -> None:
    original = case.verify()
    assert (found.format, found.fingerprint, found.identifiers) == (
        original.format, original.fingerprint, original.identifiers,
    )  # fmt: skip
    assert [c.public_bytes(Encoding.DER) for c in found.chain] == [
        c.public_bytes(Encoding.DER) for c in original.chain
    ]


def malformed(call: Callable[[], object], check: str | None = None) -> MalformedError:
    with pytest.raises(MalformedError) as exc:
        call()
    assert exc.value.code == "malformed"
    assert exc.value.check is not None, exc.value.__cause__
    if check is not None:
        assert exc.value.check == check
    return exc.value


def timed(call: Callable[[], object]) -> tuple[BaseException | None, float]:
    start = time.perf_counter()
    try:
        call()
        error: BaseException | None = None
    except AttestationError as err:
        error = err
    return error, time.perf_counter() - start


def padded(case: statements.Case, size: int) -> dict[str, Any]:
    """The case's object with an ignored `attStmt` byte string making its CBOR exactly `size` bytes."""
    obj = case.fresh()
    pad = 0
    for _ in range(4):  # the byte-string header grows with the pad length; converge on it
        obj["attStmt"]["zz-padding"] = b"\x00" * pad
        pad += size - len(cbor2.dumps(obj))
    obj["attStmt"]["zz-padding"] = b"\x00" * pad
    assert len(cbor2.dumps(obj)) == size
    return obj


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


CASE = statements.step()


# --- input size (D2) ------------------------------------------------------------------------


def test_bytes_65536_ok() -> None:
    data = cbor2.dumps(padded(CASE, MAX_BYTES))
    assert len(data) == 65536
    same(CASE.verify(data), CASE)
    same(CASE.verify(bytearray(data)), CASE)
    same(CASE.verify(memoryview(data)), CASE)


def test_bytes_65537_rejected() -> None:
    data = cbor2.dumps(padded(CASE, MAX_BYTES + 1))
    assert len(data) == 65537
    err = malformed(lambda: CASE.verify(data), "D2")
    assert err.check == "D2"
    assert malformed(lambda: CASE.verify(memoryview(data))).check == "D2"


def test_str_87382_ok() -> None:
    text = b64(cbor2.dumps(padded(CASE, MAX_BYTES)))
    assert len(text) == MAX_TEXT == 87382
    same(CASE.verify(text), CASE)


def test_str_87383_rejected() -> None:
    text = b64(cbor2.dumps(padded(CASE, MAX_BYTES))) + "A"
    assert len(text) == 87383
    assert malformed(lambda: CASE.verify(text)).check == "D2"


def test_empty_inputs_rejected() -> None:
    for empty in (b"", "", bytearray(), memoryview(b"")):
        assert malformed(lambda e=empty: CASE.verify(e)).check == "D2"  # type: ignore[misc]


def test_mapping_byte_budget() -> None:
    obj = CASE.fresh()
    used = sum(len(v) for v in obj["attStmt"].values() if isinstance(v, bytes))
    used += sum(len(c) for c in obj["attStmt"]["x5c"])
    obj["attStmt"]["zz-padding"] = b"\x00" * (MAX_BYTES - used)
    same(CASE.verify(obj), CASE)
    obj["attStmt"]["zz-padding"] += b"\x00"
    assert malformed(lambda: CASE.verify(obj)).check == "D2"


# --- CBOR nesting and container sizes (D3) --------------------------------------------------


def nested_arrays(levels: int) -> object:
    value: object = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_depth_16_ok_17_rejected() -> None:
    # top map = level 1, attStmt = level 2, so 14 nested arrays make 16 levels.
    obj = CASE.fresh()
    obj["attStmt"]["zz-deep"] = nested_arrays(MAX_DEPTH - 2)
    same(CASE.verify(cbor2.dumps(obj)), CASE)
    obj["attStmt"]["zz-deep"] = nested_arrays(MAX_DEPTH - 1)
    err = malformed(lambda: CASE.verify(cbor2.dumps(obj)), "D3")
    assert "nesting" in err.message


def test_depth_17_of_maps_rejected() -> None:
    value: dict[str, object] = {}
    for _ in range(MAX_DEPTH - 2):
        value = {"k": value}
    obj = CASE.fresh()
    obj["attStmt"]["zz-deep"] = value
    assert malformed(lambda: CASE.verify(cbor2.dumps(obj))).check == "D3"


@pytest.mark.parametrize("indefinite", [False, True])
def test_256_array_entries_ok_257_rejected(indefinite: bool) -> None:
    def encode(n: int) -> bytes:
        obj = CASE.fresh()
        obj["attStmt"]["zz-list"] = "MARK"
        data = cbor2.dumps(obj)
        items = b"\x00" * n
        array = b"\x9f" + items + b"\xff" if indefinite else b"\x99" + n.to_bytes(2, "big") + items
        return data.replace(cbor2.dumps("MARK"), array)

    same(CASE.verify(encode(MAX_ENTRIES)), CASE)
    assert malformed(lambda: CASE.verify(encode(MAX_ENTRIES + 1))).check == "D3"


def test_256_map_entries_ok_257_rejected() -> None:
    obj = CASE.fresh()
    for k in range(MAX_ENTRIES - len(obj["attStmt"])):
        obj["attStmt"][f"zz{k}"] = k
    assert len(obj["attStmt"]) == 256
    same(CASE.verify(cbor2.dumps(obj)), CASE)
    same(CASE.verify(obj), CASE)
    obj["attStmt"]["one-more"] = 0
    assert malformed(lambda: CASE.verify(cbor2.dumps(obj))).check == "D3"
    assert malformed(lambda: CASE.verify(obj)).check == "D2"


# --- x5c count and certificate size ---------------------------------------------------------

_X5C_CHECK = {"apple": "A1", "step": "S1", "tpm": "T3"}
_COUNT_CASES = [statements.apple(), statements.step(), statements.tpm_generated(), statements.tpm_swtpm()]


@pytest.mark.parametrize("case", _COUNT_CASES, ids=lambda c: c.name)
def test_x5c_10_ok_11_rejected(case: statements.Case) -> None:
    """Unused extra certificates are allowed (P2), up to 10 items in all."""
    obj = case.fresh()
    extras = [der for other in statements.all_cases() for der in other.att_stmt["x5c"][1:]]
    obj["attStmt"]["x5c"] = obj["attStmt"]["x5c"] + extras[: 10 - len(obj["attStmt"]["x5c"])]
    assert len(obj["attStmt"]["x5c"]) == 10
    same(case.verify(obj), case)
    obj["attStmt"]["x5c"].append(extras[0])
    err = malformed(lambda: case.verify(obj))
    assert err.check == _X5C_CHECK[case.fmt]


def test_huge_certificate_inside_the_limit() -> None:
    """A 60 KB leaf (a large ignored extension) verifies, within the 64 KiB statement limit."""
    tree = yk.legacy_tree("p256")
    blob = raw_ext("1.3.6.1.4.1.99999.7", b"\x04\x82\xea\x60" + b"\xab" * 60000)  # OCTET STRING, 60000 bytes
    big = yk.leaf(tree.f9, tree.leaf.key, extensions=[*yk.yubico_leaf_extensions(), blob])
    assert len(big.der) > 60000
    data = yk.att_obj([big.der, tree.f9.der], yk.sign(big.key))
    assert len(data) <= MAX_BYTES
    error, elapsed = timed(
        lambda: attestverify.verify(data, KEY_AUTHORIZATION, {"step": [tree.root.cert]}, now=NOW)
    )
    assert error is None
    assert elapsed < HANG_GUARD_S


# --- hostile sizes: rejected, fast ----------------------------------------------------------

_TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize("form", ["bytes", "bytearray", "memoryview", "str"])
def test_ten_megabytes_rejected_fast(form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = b"\xa2" + b"\x00" * (_TEN_MB - 1)
    statement: object = {
        "bytes": raw, "bytearray": bytearray(raw), "memoryview": memoryview(raw), "str": "A" * _TEN_MB,
    }[form]  # fmt: skip
    work = CborWork(monkeypatch)
    error, elapsed = timed(lambda: attestverify.verify(statement, KEY_AUTHORIZATION, now=NOW))  # type: ignore[arg-type]
    assert isinstance(error, MalformedError) and error.check == "D2"
    assert work.calls == {"alphabet": 0, "b64decode": 0, "scan": 0, "cbor2": 0}  # refused on its size
    assert elapsed < HANG_GUARD_S, elapsed


def test_ten_megabyte_byte_string_in_a_mapping_rejected_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    obj = CASE.fresh()
    obj["attStmt"]["sig"] = b"\x00" * _TEN_MB
    verifiers = count_format_verifiers(monkeypatch)
    error, elapsed = timed(lambda: CASE.verify(obj))
    assert isinstance(error, MalformedError) and error.check == "D2"
    assert verifiers[0] == 0  # refused by the mapping budget, before any format code runs
    assert elapsed < HANG_GUARD_S, elapsed


@pytest.mark.parametrize("opener", [b"\x81", b"\x9f", b"\xa1\x00"], ids=["array", "indefinite", "map"])
def test_deep_cbor_rejected_fast(opener: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """10^5 levels (over the size limit: D2, never scanned) and as deep as fits in 64 KiB (the
    scan: D3, which stops reading at level MAX_DEPTH + 1; cbor2, which recurses, never runs)."""
    work, reads = CborWork(monkeypatch), count_cbor_reads(monkeypatch)
    for depth, check in ((10**5, "D2"), ((MAX_BYTES - 1) // len(opener), "D3")):
        data = opener * depth + b"\x00"
        if len(data) > MAX_BYTES and check == "D3":
            data = data[: MAX_BYTES - 1] + b"\x00"
        error, elapsed = timed(lambda d=data: attestverify.verify(d, KEY_AUTHORIZATION, now=NOW))  # type: ignore[misc]
        assert isinstance(error, MalformedError) and error.check == check, error
        assert elapsed < HANG_GUARD_S, elapsed
    assert work.calls["scan"] == 1
    assert reads[0] <= len(opener) * (MAX_DEPTH + 1), reads[0]
    assert work.calls["cbor2"] == 0


def test_deep_cbor_inside_a_valid_statement_rejected_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    obj = CASE.fresh()
    obj["attStmt"]["zz-deep"] = "MARK"
    data = cbor2.dumps(obj)
    depth = MAX_BYTES - len(data) - 8
    mark = data.index(cbor2.dumps("MARK"))
    data = data.replace(cbor2.dumps("MARK"), b"\x81" * depth + b"\x00")
    assert len(data) <= MAX_BYTES
    work, reads = CborWork(monkeypatch), count_cbor_reads(monkeypatch)
    error, elapsed = timed(lambda: CASE.verify(data))
    assert isinstance(error, MalformedError) and error.check == "D3"
    # The scan stops within MAX_DEPTH levels of the deep value; cbor2 never sees it.
    assert reads[0] <= mark + MAX_DEPTH, (reads[0], mark)
    assert work.calls["cbor2"] == 0
    assert elapsed < HANG_GUARD_S, elapsed


def _deep_dict(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth):
        value = {"fmt": "step", "attStmt": value, "x5c": value}
    return value


def _deep_list(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


_DEEP = 10**5


@pytest.mark.parametrize(
    "build",
    [
        lambda: _deep_dict(_DEEP),
        lambda: {"fmt": "step", "attStmt": _deep_dict(_DEEP)},
        lambda: {"fmt": _deep_list(_DEEP), "attStmt": {}},
        lambda: {"fmt": "step", "attStmt": {"x5c": _deep_list(_DEEP), "sig": _deep_list(_DEEP)}},
        lambda: {
            "fmt": "tpm",
            "attStmt": {k: _deep_list(_DEEP) for k in ("ver", "alg", "x5c", "sig", "certInfo", "pubArea")},
        },
        lambda: {"fmt": "apple", "attStmt": {"x5c": [_deep_list(_DEEP)]}},
    ],
    ids=["top-dicts", "attstmt-dicts", "fmt-list", "step-fields", "tpm-fields", "apple-x5c-item"],
)
def test_deep_python_mapping_rejected_fast(build: Callable[[], Any]) -> None:
    statement = build()
    error, elapsed = timed(lambda: attestverify.verify(statement, KEY_AUTHORIZATION, now=NOW))
    assert isinstance(error, AttestationError) and error.check is not None, error
    assert elapsed < HANG_GUARD_S, elapsed


def _cycles() -> list[dict[str, Any]]:
    top: dict[str, Any] = {"fmt": "step"}
    top["attStmt"] = top
    att: dict[str, Any] = {}
    att["x5c"] = [att, att]
    att["sig"] = att
    att["alg"] = att
    loop: list[Any] = []
    loop.append(loop)
    out = [top, {"fmt": "step", "attStmt": att}, {"fmt": "apple", "attStmt": {"x5c": loop}}]
    for fmt in ("tpm", "apple", "step"):
        inner: dict[str, Any] = {}
        inner.update({k: inner for k in ("ver", "alg", "x5c", "sig", "certInfo", "pubArea")})
        out.append({"fmt": fmt, "attStmt": inner})
    case = statements.tpm_generated().fresh()
    case["attStmt"]["self"] = case
    case["attStmt"]["x5c"].append(case["attStmt"]["x5c"])
    out.append(case)
    return out


@pytest.mark.parametrize("statement", _cycles(), ids=lambda s: f"{s['fmt']}-{sorted(map(str, s))}")
def test_cyclic_mappings_rejected_fast(statement: dict[str, Any]) -> None:
    error, elapsed = timed(lambda: attestverify.verify(statement, KEY_AUTHORIZATION, now=NOW))
    assert isinstance(error, AttestationError) and error.check is not None, error
    assert elapsed < HANG_GUARD_S, elapsed


def test_cyclic_unknown_key_does_not_disturb_a_valid_statement() -> None:
    obj = CASE.fresh()
    obj["attStmt"]["zz-self"] = obj
    obj["authData"] = obj
    same(CASE.verify(obj), CASE)
