"""`apple.verify_device_properties` with nonce collections (SPEC v2 §2.6): MDM cached attestations.

Within 7 days of its last attestation a device answers a DeviceInformation query for
`DevicePropertiesAttestation` with that cached attestation, carrying the nonce of the earlier
query. An MDM server passes the nonces it issued to this enrollment in the last 7 days; the
freshness code must equal one of them. The chains come from `attestverify.testing` (validity
relative to the instant each attestation was made), wrapped in a plist DeviceInformation
response as an MDM server receives it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import pathlib
import plistlib
import re
import secrets
import sys
import types
from typing import Any

import pytest
from cryptography import x509

from attestverify import DeviceIdentity, apple, testing
from attestverify.errors import ChallengeMismatchError, UsageError

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
KEY_AUTHORIZATION = "mdm-token." + "A" * 43  # the kit needs one; MDM attestations do not use it
SERIAL = "C02MDMTEST01"
PROVISIONING_UDID = "00008103-001A2B3C4D5E001E"  # what a Mac attests (8.9.2)
HARDWARE_UDID = "564DB6A4-2B7E-5C91-8F3A-9E0D7C1B2A34"  # what the Mac's MDM check-in reports
NONCE = bytes(range(1, 17))


def _attestation(nonce: bytes, made: dt.datetime = NOW) -> testing.TestStatement:
    """A DevicePropertiesAttestation made at `made`, the raw `nonce` in OID 8.11.1."""
    return testing.make_statement(
        "apple", KEY_AUTHORIZATION, identifier=SERIAL, now=made, udid=PROVISIONING_UDID, nonce=nonce
    )


def _chain(statement: testing.TestStatement) -> list[bytes]:
    return list(statement.att_obj["attStmt"]["x5c"])


def _dp(statement: testing.TestStatement, nonce: Any, **kw: Any) -> DeviceIdentity:
    kw.setdefault("roots", list(statement.roots["apple"]))
    kw.setdefault("now", NOW)
    return apple.verify_device_properties(_chain(statement), nonce, **kw)


@pytest.fixture(scope="module")
def fresh() -> testing.TestStatement:
    return _attestation(NONCE)


def _nonces(count: int, tag: int) -> list[bytes]:
    return [bytes([tag]) + i.to_bytes(2, "big") + bytes(13) for i in range(count)]


# --- which types count -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "nonce",
    [
        NONCE,
        bytearray(NONCE),
        memoryview(NONCE),
        [NONCE],
        (NONCE,),
        {NONCE},
        frozenset({NONCE}),
        [bytearray(NONCE)],
        (memoryview(NONCE),),
        [b"other", NONCE],
    ],
    ids=[
        "bytes", "bytearray", "memoryview", "list", "tuple", "set", "frozenset",
        "list-of-bytearray", "tuple-of-memoryview", "list-of-two",
    ],
)  # fmt: skip
def test_accepted_nonce_types(fresh: testing.TestStatement, nonce: Any) -> None:
    identity = _dp(fresh, nonce)
    assert identity.apple is not None
    assert identity.apple.nonce == NONCE
    assert type(identity.apple.nonce) is bytes


@pytest.mark.parametrize(
    "nonce",
    [
        None,
        "0102030405060708",
        NONCE.hex(),
        1234,
        {NONCE: True},
        iter([NONCE]),
        (n for n in [NONCE]),
        range(3),
        [NONCE, "text"],
        [NONCE, None],
        [[NONCE]],
        (NONCE, 7),
    ],
    ids=[
        "none", "str", "hex-str", "int", "dict", "iterator", "generator", "range",
        "str-entry", "none-entry", "nested-list", "int-entry",
    ],
)  # fmt: skip
def test_rejected_nonce_types(fresh: testing.TestStatement, nonce: Any) -> None:
    with pytest.raises(UsageError) as exc:
        _dp(fresh, nonce)
    assert exc.value.check == "D1"
    assert exc.value.format == "apple"


# --- bounds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 32])
def test_nonce_size_bounds_accepted(size: int) -> None:
    nonce = b"\x5a" * size
    statement = _attestation(nonce)
    assert _dp(statement, nonce).apple.nonce == nonce  # type: ignore[union-attr]
    assert _dp(statement, [b"\x01" * 32, nonce]).apple.nonce == nonce  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", [b"", b"\x00" * 33], ids=["empty", "33-bytes"])
@pytest.mark.parametrize(
    "container", [lambda n: n, lambda n: [NONCE, n], lambda n: (n, NONCE)], ids=["one", "last", "first"]
)
def test_nonce_size_bounds_rejected(fresh: testing.TestStatement, bad: bytes, container: Any) -> None:
    with pytest.raises(UsageError) as exc:
        _dp(fresh, container(bad))
    assert exc.value.check == "D1"


@pytest.mark.parametrize("count", [1, 1024])
def test_collection_size_bounds_accepted(fresh: testing.TestStatement, count: int) -> None:
    history = [*_nonces(count - 1, 0xEE), NONCE]
    assert len(history) == count
    assert _dp(fresh, history).apple.nonce == NONCE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "history", [[], (), set(), frozenset(), [NONCE] * 1025], ids=["list", "tuple", "set", "frozenset", "1025"]
)
def test_collection_size_bounds_rejected(fresh: testing.TestStatement, history: Any) -> None:
    with pytest.raises(UsageError) as exc:
        _dp(fresh, history)
    assert exc.value.check == "D1"


# --- any match ---------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_match_at_any_position(fresh: testing.TestStatement, position: str) -> None:
    others = _nonces(6, 0xAB)
    index = {"first": 0, "middle": 3, "last": 6}[position]
    history = [*others[:index], NONCE, *others[index:]]
    identity = _dp(fresh, history)
    assert identity.apple is not None and identity.apple.nonce == NONCE


def test_no_match_fails_a6(fresh: testing.TestStatement) -> None:
    history = [*_nonces(5, 0xAB), NONCE[:-1] + b"\x00", NONCE[:-1]]
    with pytest.raises(ChallengeMismatchError) as exc:
        _dp(fresh, history)
    assert exc.value.check == "A6"
    assert "any of the 7 MDM nonces" in exc.value.message


def test_duplicates_are_harmless(fresh: testing.TestStatement) -> None:
    assert _dp(fresh, [NONCE, NONCE, NONCE]).apple.nonce == NONCE  # type: ignore[union-attr]


def test_every_entry_is_compared(fresh: testing.TestStatement, monkeypatch: pytest.MonkeyPatch) -> None:
    # No early exit: a match in first place still compares all entries, in constant time.
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls.append((bytes(a), bytes(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    history = [NONCE, *_nonces(9, 0xCD)]
    _dp(fresh, history)
    assert [expected for _, expected in calls] == history
    assert all(found == NONCE for found, _ in calls)


def test_absent_freshness_code_with_a_collection() -> None:
    statement = _attestation(b"")  # the kit leaves out an empty freshness code
    with pytest.raises(ChallengeMismatchError) as exc:
        _dp(statement, [NONCE, b"\x01"])
    assert exc.value.check == "A6"
    relaxed = _dp(statement, [NONCE, b"\x01"], require_nonce=False)
    assert relaxed.relaxations == ("apple-nonce-absent",)
    assert relaxed.apple is not None and relaxed.apple.nonce is None


def test_acme_verify_is_unchanged_by_collections() -> None:
    # verify() still binds SHA-256(token) only; the collection is an MDM-only input.
    statement = testing.make_statement("apple", KEY_AUTHORIZATION, identifier=SERIAL, now=NOW)
    identity = statement.verify()
    assert identity.apple is not None and len(identity.apple.nonce or b"") == 32


# --- a DeviceInformation response, fresh and cached --------------------------------------------


def _device_information(statement: testing.TestStatement) -> bytes:
    """The plist a Mac sends back for DeviceInformation with `DevicePropertiesAttestation`."""
    return plistlib.dumps(
        {
            "CommandUUID": "0B7C2B1E-4B1A-4E53-9C55-3D2F3F1C9A11",
            "QueryResponses": {"DevicePropertiesAttestation": _chain(statement)},
            "Status": "Acknowledged",
            "UDID": HARDWARE_UDID,
        }
    )


def _received(body: bytes) -> list[bytes]:
    """What an MDM server reads from the response: the DER certificates, leaf first."""
    response = plistlib.loads(body)
    chain = response["QueryResponses"]["DevicePropertiesAttestation"]
    assert all(isinstance(item, bytes) for item in chain)
    return list(chain)


class Enrollment:
    """The nonces an MDM server issued to one enrollment, with the time it issued each."""

    def __init__(self) -> None:
        self.issued: list[tuple[dt.datetime, bytes]] = []

    def issue(self, at: dt.datetime) -> bytes:
        nonce = secrets.token_bytes(32)
        self.issued.append((at, nonce))
        return nonce

    def last_7_days(self, now: dt.datetime) -> list[bytes]:
        return [nonce for at, nonce in self.issued if now - at <= dt.timedelta(days=7)]

    def newest(self) -> list[bytes]:
        return [max(self.issued)[1]]


def test_fresh_attestation_from_a_plist_response() -> None:
    enrollment = Enrollment()
    enrollment.issue(NOW - dt.timedelta(days=10))  # outside the window, never passed
    nonce = enrollment.issue(NOW)
    statement = _attestation(nonce, NOW)
    certificates = _received(_device_information(statement))
    roots = list(statement.roots["apple"])
    identity = apple.verify_device_properties(certificates, enrollment.last_7_days(NOW), roots=roots, now=NOW)
    assert identity.apple is not None and identity.apple.nonce == nonce
    assert identity.serial_number == SERIAL
    # On a Mac the attested UDID is the Provisioning UDID, not the UDID of the MDM protocol.
    assert identity.udid == PROVISIONING_UDID != plistlib.loads(_device_information(statement))["UDID"]
    newest = apple.verify_device_properties(certificates, enrollment.newest(), roots=roots, now=NOW)
    assert newest.apple is not None and newest.apple.nonce == nonce


def test_cached_attestation_from_a_plist_response() -> None:
    enrollment = Enrollment()
    earlier = NOW - dt.timedelta(days=3)
    old_nonce = enrollment.issue(earlier)
    # The device attested 3 days ago; today's query gets that cached attestation back.
    cached = _attestation(old_nonce, earlier)
    enrollment.issue(NOW)
    certificates = _received(_device_information(cached))
    roots = list(cached.roots["apple"])
    history = enrollment.last_7_days(NOW)
    assert len(history) == 2
    identity = apple.verify_device_properties(certificates, history, roots=roots, now=NOW)
    assert identity.apple is not None and identity.apple.nonce == old_nonce
    assert identity.udid == PROVISIONING_UDID
    with pytest.raises(ChallengeMismatchError) as exc:
        apple.verify_device_properties(certificates, enrollment.newest(), roots=roots, now=NOW)
    assert exc.value.check == "A6"
    with pytest.raises(ChallengeMismatchError):
        apple.verify_device_properties(certificates, enrollment.newest()[0], roots=roots, now=NOW)


def test_another_enrollments_history_does_not_answer() -> None:
    # Why the history is per enrollment: a nonce issued to device B must not accept A's answer.
    device_a, device_b = Enrollment(), Enrollment()
    nonce_a = device_a.issue(NOW - dt.timedelta(days=1))
    device_b.issue(NOW - dt.timedelta(days=2))
    answer = _attestation(nonce_a, NOW - dt.timedelta(days=1))
    certificates = _received(_device_information(answer))
    roots = list(answer.roots["apple"])
    with pytest.raises(ChallengeMismatchError):
        apple.verify_device_properties(certificates, device_b.last_7_days(NOW), roots=roots, now=NOW)
    assert apple.verify_device_properties(certificates, device_a.last_7_days(NOW), roots=roots, now=NOW)


def test_certificate_objects_and_a_set_of_nonces(fresh: testing.TestStatement) -> None:
    certs = [x509.load_der_x509_certificate(item) for item in _chain(fresh)]
    identity = apple.verify_device_properties(
        certs, frozenset(_nonces(3, 1)) | {NONCE}, roots=list(fresh.roots["apple"]), now=NOW
    )
    assert identity.apple is not None and identity.apple.nonce == NONCE


# --- docs/integrations/mdm.md runs as written ----------------------------------------------------

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "integrations" / "mdm.md"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
    assert blocks
    module = types.ModuleType("docs_mdm")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    for index, block in enumerate(blocks):
        exec(compile(block, f"mdm.md[block {index}]", "exec", dont_inherit=True), module.__dict__)
    return module.__dict__


def test_doc_nonce_history_accepts_a_cached_answer(doc: dict[str, Any]) -> None:
    mac, other = doc["NonceHistory"](), doc["NonceHistory"]()
    doc["histories"].update({"mac": mac, "other": other})
    earlier = NOW - dt.timedelta(days=3)
    old_nonce = mac.issue(earlier)
    other.issue(earlier)
    cached = _attestation(old_nonce, earlier)
    mac.issue(NOW)  # today's query, answered with the cached attestation
    body = _device_information(cached)
    roots = list(cached.roots["apple"])
    answer = doc["device_information_answer"]("mac", body, roots=roots, now=NOW)
    assert answer["attested_at_or_after"] == earlier
    assert answer["serial_number"] == SERIAL and answer["provisioning_udid"] == PROVISIONING_UDID
    # Another enrollment's history does not accept this Mac's answer.
    with pytest.raises(ChallengeMismatchError):
        doc["device_information_answer"]("other", body, roots=roots, now=NOW)
    # Five days later (eight after the earlier nonce) it has left the window.
    with pytest.raises(ChallengeMismatchError):
        doc["device_information_answer"]("mac", body, roots=roots, now=NOW + dt.timedelta(days=5))


def test_doc_history_prunes_old_nonces(doc: dict[str, Any]) -> None:
    history = doc["NonceHistory"]()
    first = history.issue(NOW - dt.timedelta(days=8))
    history.issue(NOW)
    assert first not in history.window(NOW)
    assert len(history.issued) == 1
