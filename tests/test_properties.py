"""Property tests of the promise of SPEC §2.3 / §7 "Invariant".

Any input to `verify` yields a `DeviceIdentity` or an `AttestationError`, never another exception,
never the API-boundary fallback (a `malformed` error without a check id, `__cause__` set), and never
an accepted forgery: a mutated valid statement is either rejected or accepted as exactly the
original identity (same format, fingerprint, key, identifiers and chain).

Valid statements of every format come from tests/statements.py (apple, step 3- and 5-level, tpm
from software AKs and from the committed swtpm fixtures).
"""

from __future__ import annotations

import base64
import os
import traceback
from collections.abc import Callable
from typing import Any

import cbor2
import pki
import pytest
import statements
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attestverify
from attestverify import AttestationError, DeviceIdentity, MalformedError

CASES = statements.all_cases()
# ATTESTVERIFY_PROPERTY_SCALE=20 multiplies every example budget (a longer local or nightly run).
_SCALE = max(1, int(os.environ.get("ATTESTVERIFY_PROPERTY_SCALE", "1")))
FAST = settings(max_examples=150 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the property ---------------------------------------------------------------------------


def outcome(call: Callable[[], DeviceIdentity]) -> DeviceIdentity | AttestationError:
    """Run `call`; any exception but a checked AttestationError fails the test (with traceback)."""
    try:
        return call()
    except AttestationError as err:
        if err.check is None:
            cause = "".join(traceback.format_exception(err.__cause__)) if err.__cause__ else "no cause"
            pytest.fail(f"API-boundary fallback reached (a bug): {err!r}\n{cause}")
        return err


def _chain_der(identity: DeviceIdentity) -> list[bytes]:
    return [c.public_bytes(Encoding.DER) for c in identity.chain]


def assert_same_identity(found: DeviceIdentity, original: DeviceIdentity) -> None:
    """An accepted mutation must not change who or what was attested."""
    assert found.format == original.format
    assert found.fingerprint == original.fingerprint
    assert found.public_key_der == original.public_key_der
    assert found.identifiers == original.identifiers
    assert found.acme_identifiers == original.acme_identifiers
    assert found.serial_number == original.serial_number
    assert found.udid == original.udid
    assert _chain_der(found) == _chain_der(original)


_BASELINE: dict[str, DeviceIdentity] = {}


def baseline(case: statements.Case) -> DeviceIdentity:
    if case.name not in _BASELINE:
        _BASELINE[case.name] = case.verify()
    return _BASELINE[case.name]


def check_mutant(case: statements.Case, statement: object) -> DeviceIdentity | AttestationError:
    result = outcome(lambda: case.verify(statement))
    if isinstance(result, DeviceIdentity):
        assert_same_identity(result, baseline(case))
    return result


# --- raw CBOR helpers -----------------------------------------------------------------------


def _map_header(n: int) -> bytes:
    return bytes([0xA0 | n]) if n < 24 else bytes([0xB8, n])


def raw_map(items: list[tuple[bytes, bytes]]) -> bytes:
    """A CBOR map from already encoded keys and values (so keys may repeat)."""
    return _map_header(len(items)) + b"".join(k + v for k, v in items)


def encode_with_duplicate(obj: dict[str, Any], where: str, key: str, value: object) -> bytes:
    """CBOR of `obj` with `key` appearing twice (second time with `value`) in the top map or attStmt."""
    att = obj["attStmt"]
    att_items = [(cbor2.dumps(k), cbor2.dumps(v)) for k, v in att.items()]
    if where == "attStmt":
        att_items.append((cbor2.dumps(key), cbor2.dumps(value)))
    top_items = [(cbor2.dumps("fmt"), cbor2.dumps(obj["fmt"])), (cbor2.dumps("attStmt"), raw_map(att_items))]
    if where == "top":
        top_items.append((cbor2.dumps(key), cbor2.dumps(value)))
    return raw_map(top_items)


# --- strategies -----------------------------------------------------------------------------

cbor_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.binary(max_size=48)
    | st.text(max_size=12)
    | st.floats()
)
cbor_values = st.recursive(
    cbor_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.integers(-5, 5), inner, max_size=4)
    ),
    max_leaves=24,
)


def _as_memoryview(data: bytes) -> memoryview:
    return memoryview(data)


# Values only a Mapping input can carry (SPEC §7: bool for int, bytearray, memoryview, huge ints, ...).
python_leaves = (
    cbor_leaves
    | st.binary(max_size=32).map(bytearray)
    | st.binary(max_size=32).map(_as_memoryview)
    | st.integers(min_value=2**64, max_value=2**4000)
    | st.integers(max_value=-(2**64) - 1, min_value=-(2**4000))
    | st.tuples(st.binary(max_size=8))
    | st.frozensets(st.integers(0, 3), max_size=3)
    | st.builds(object)
    | st.builds(lambda b: cbor2.CBORTag(24, b), st.binary(max_size=8))
)
python_values = st.recursive(
    python_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=24,
)
FIELD_NAMES = ("x5c", "sig", "alg", "ver", "certInfo", "pubArea", "authData")
FMT_NAMES = ("apple", "step", "tpm", "Apple", "STEP", "packed", "", "tpm\x00")
_REAL_DER = tuple(der for case in CASES for der in case.att_stmt["x5c"])


def att_objects(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Attestation-object-shaped values (fmt + attStmt with likely keys), or anything at all."""
    att_stmt = st.dictionaries(
        st.sampled_from(FIELD_NAMES) | st.text(max_size=6),
        values | st.lists(st.sampled_from(_REAL_DER) | st.binary(max_size=16), min_size=0, max_size=12),
        max_size=7,
    )
    shaped = st.fixed_dictionaries(
        {"fmt": st.sampled_from(FMT_NAMES) | st.text(max_size=8) | values, "attStmt": att_stmt | values}
    )
    return shaped | values


def as_input(draw: Callable[..., Any], obj: object) -> object:
    form = draw(st.sampled_from(("cbor", "base64url", "mapping")))
    if form == "mapping":
        return obj
    data = cbor2.dumps(obj)
    return data if form == "cbor" else base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- arbitrary input ------------------------------------------------------------------------


def verifying(statement: Any) -> Callable[[], DeviceIdentity]:
    """`verify` of `statement` with bundled roots (nothing generated here chains to them)."""
    return lambda: attestverify.verify(statement, pki.KEY_AUTHORIZATION, now=pki.NOW)


@FAST
@given(data=st.binary(max_size=512))
def test_arbitrary_bytes(data: bytes) -> None:
    result = outcome(verifying(data))
    assert isinstance(result, AttestationError)
    assert isinstance(result, MalformedError) or result.code == "unsupported-format"


@FAST
@given(text=st.text(max_size=256))
def test_arbitrary_text(text: str) -> None:
    assert isinstance(outcome(verifying(text)), AttestationError)


@FAST
@given(data=st.data(), obj=att_objects(cbor_values))
def test_arbitrary_cbor_structures(data: st.DataObject, obj: object) -> None:
    statement = as_input(data.draw, obj)
    result = outcome(verifying(statement))
    # Nothing generated here is signed by a bundled anchor: acceptance would be a forgery.
    assert isinstance(result, AttestationError)


@FAST
@given(obj=att_objects(python_values))
def test_arbitrary_python_mappings(obj: object) -> None:
    result = outcome(verifying(obj))
    assert isinstance(result, AttestationError)


@FAST
@given(data=st.data(), value=python_values)
def test_valid_statement_with_one_field_replaced_by_anything(data: st.DataObject, value: object) -> None:
    case = data.draw(st.sampled_from(CASES), label="case")
    obj = case.fresh()
    field = data.draw(st.sampled_from([*sorted(obj["attStmt"]), "fmt", "attStmt"]), label="field")
    if field in ("fmt", "attStmt"):
        obj[field] = value
    else:
        obj["attStmt"][field] = value
    check_mutant(case, obj)


# --- structure-aware mutations of valid statements ------------------------------------------


def _byte_parts(obj: dict[str, Any]) -> list[tuple[str, int | None]]:
    """Every signed part: each x5c certificate, and sig / certInfo / pubArea when present."""
    att = obj["attStmt"]
    parts: list[tuple[str, int | None]] = [("x5c", i) for i in range(len(att["x5c"]))]
    parts += [(k, None) for k in ("sig", "certInfo", "pubArea") if isinstance(att.get(k), bytes)]
    return parts


def _get(att: dict[str, Any], part: tuple[str, int | None]) -> bytes:
    name, index = part
    return att[name] if index is None else att[name][index]  # type: ignore[no-any-return]


def _put(att: dict[str, Any], part: tuple[str, int | None], value: object) -> None:
    name, index = part
    if index is None:
        att[name] = value
    else:
        att[name][index] = value


def flip(data: bytes, position: int, bit: int) -> bytes:
    out = bytearray(data)
    out[position] ^= 1 << bit
    return bytes(out)


MUTATIONS = (
    "drop",
    "duplicate-x5c",
    "retag",
    "swap-x5c",
    "flip",
    "truncate",
    "extend",
    "fmt",
    "dup-key",
    "tag",
)


def mutate(draw: Callable[..., Any], case: statements.Case) -> tuple[str, object]:
    """One structure-aware mutation of `case`; returns (kind, statement input)."""
    obj = case.fresh()
    att = obj["attStmt"]
    kind = draw(st.sampled_from(MUTATIONS), label="mutation")
    if kind == "drop":
        del att[draw(st.sampled_from(sorted(att)), label="dropped")]
    elif kind == "duplicate-x5c":
        index = draw(st.integers(0, len(att["x5c"]) - 1))
        att["x5c"].insert(draw(st.integers(0, len(att["x5c"]))), att["x5c"][index])
    elif kind == "retag":
        field = draw(st.sampled_from(sorted(att)), label="retagged")
        att[field] = draw(st.sampled_from(_retagged(att[field])), label="as")
    elif kind == "swap-x5c":
        att["x5c"] = draw(st.permutations(att["x5c"]))
    elif kind in ("flip", "truncate", "extend"):
        part = draw(st.sampled_from(_byte_parts(obj)), label="part")
        data = _get(att, part)
        if kind == "flip":
            pos = draw(st.integers(0, len(data) - 1), label="byte")
            data = flip(data, pos, draw(st.integers(0, 7), label="bit"))
        elif kind == "truncate":
            data = data[: draw(st.integers(0, len(data) - 1), label="length")]
        else:
            data = data + draw(st.binary(min_size=1, max_size=4), label="suffix")
        _put(att, part, data)
    elif kind == "fmt":
        obj["fmt"] = draw(st.sampled_from([f for f in FMT_NAMES if f != case.fmt]), label="fmt")
    elif kind == "dup-key":
        where = draw(st.sampled_from(("top", "attStmt")))
        key = draw(st.sampled_from(sorted(att) if where == "attStmt" else ["fmt", "attStmt"]))
        value = att[key] if where == "attStmt" else obj[key]
        return kind, encode_with_duplicate(obj, where, key, value)
    else:  # "tag": a semantic tag around one attStmt value (cbor2 would turn it into an object)
        field = draw(st.sampled_from(sorted(att)))
        att[field] = cbor2.CBORTag(draw(st.sampled_from((2, 24, 55799, 1234))), att[field])
    return kind, as_input(draw, obj)


def _retagged(value: object) -> list[object]:
    """The same content under another type, plus typical wrong types."""
    out: list[object] = [None, True, 0, -7, 2**64 - 1, "", "2.0", b"", [], {}, 1.5, [value]]
    if isinstance(value, bytes):
        out += [value.hex(), bytearray(value), memoryview(value), list(value[:8])]
    if isinstance(value, list):
        out += [tuple(value), b"".join(value), {str(i): v for i, v in enumerate(value)}]
        out += [[bytearray(v) for v in value], [v.hex() for v in value]]
    if isinstance(value, int):
        out += [bool(value), str(value), float(value), -value]
    if isinstance(value, str):
        out += [value.encode(), value.upper(), value + "\x00"]
    return out


@settings(max_examples=400 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_structure_aware_mutations(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(CASES), label="case")
    kind, statement = mutate(data.draw, case)
    result = check_mutant(case, statement)
    if kind in ("dup-key", "fmt"):
        assert isinstance(result, AttestationError)
    if kind == "dup-key" or (kind == "tag" and not isinstance(statement, dict)):
        assert isinstance(result, MalformedError) and result.check == "D3"


@FAST
@given(data=st.data())
def test_bit_flips_in_the_cbor_bytes(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(CASES), label="case")
    raw = case.cbor
    mutated = flip(raw, data.draw(st.integers(0, len(raw) - 1)), data.draw(st.integers(0, 7)))
    check_mutant(case, mutated)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bit_flips_spread_over_every_signed_part(case: statements.Case) -> None:
    """Deterministic companion of the random flips: 24 positions spread over each signed part."""
    for part in _byte_parts(case.fresh()):
        original = _get(case.fresh()["attStmt"], part)
        positions = sorted({round(k * (len(original) - 1) / 23) for k in range(24)})
        for pos in positions:
            obj = case.fresh()
            _put(obj["attStmt"], part, flip(original, pos, pos % 8))
            check_mutant(case, obj)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_signature_flip_is_always_rejected(case: statements.Case) -> None:
    """Flipping the last byte of each signature (certificate signatures and the statement's own
    `sig`) must reject: those bytes are inside the signature value, which nothing may ignore."""
    for part in _byte_parts(case.fresh()):
        obj = case.fresh()
        data = _get(obj["attStmt"], part)
        if part[0] in ("certInfo", "pubArea"):
            continue  # their last byte is signed data, covered by the spread test
        _put(obj["attStmt"], part, flip(data, len(data) - 1, 0))
        assert isinstance(check_mutant(case, obj), AttestationError), part


def test_unchanged_cases_verify_in_every_input_form() -> None:
    """The baseline the properties compare against: each case verifies as CBOR, base64url and Mapping."""
    for case in CASES:
        original = baseline(case)
        text = base64.urlsafe_b64encode(case.cbor).rstrip(b"=").decode()
        for statement in (case.cbor, text, case.fresh(), bytearray(case.cbor), memoryview(case.cbor)):
            assert_same_identity(case.verify(statement), original)


# --- verify_csr -----------------------------------------------------------------------------


@FAST
@given(csr=st.binary(max_size=300) | st.text(max_size=300))
def test_verify_csr_arbitrary_input(csr: bytes | str) -> None:
    identity = baseline(CASES[0])
    with pytest.raises(AttestationError) as exc:
        attestverify.verify_csr(identity, csr)
    assert exc.value.check is not None


_KEY_OIDS = (
    bytes.fromhex("06072a8648ce3d0201"),  # id-ecPublicKey
    bytes.fromhex("06092a864886f70d010101"),  # rsaEncryption
    bytes.fromhex("06032b6570"),  # id-Ed25519
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_undecodable_public_key_in_any_x5c_position(case: statements.Case) -> None:
    """Regression (found by test_structure_aware_mutations): a certificate whose SPKI algorithm
    OID is unknown parses lazily, and `public_key()` raised ValueError / UnsupportedAlgorithm out of
    x509path (leaf SPKI comparison) and pinned.search (candidate keys) into the API fallback."""
    for index in range(len(case.att_stmt["x5c"])):
        obj = case.fresh()
        cert = obj["attStmt"]["x5c"][index]
        oid = next(o for o in _KEY_OIDS if o in cert)
        obj["attStmt"]["x5c"][index] = cert.replace(oid, oid[:-1] + bytes([oid[-1] ^ 0x01]), 1)
        result = check_mutant(case, obj)
        assert isinstance(result, AttestationError), index
