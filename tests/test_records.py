"""Identity records (SPEC v2 §2.2, check R1): round trips for every identity, strict validation.

Every identity the test suite can produce (generated apple, step, tpm and android-key statements,
the committed swtpm fixtures, the real YubiKey chains, Windows TPM statements and Android chains)
survives `to_record` -> `json` -> `from_record`, pickle and `copy.deepcopy` unchanged, and every
record matches the pinned JSON Schema. Each record field has a negative test: missing, extra, wrongly typed.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import pathlib
import pickle
from collections.abc import Callable
from typing import Any

import android_pki
import cbor2
import pki
import pytest
import statements
import tpm_pki
import vectors
import yubikey_pki
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_check import validate
from test_android import HARDWARE as ANDROID_REAL
from test_android import SONY, UNVERIFIED_BOOT
from test_step_vectors import ACCEPTED as STEP_REAL
from test_step_vectors import device_x5c
from test_tpm_vectors import WINDOWS, windows

import attestverify
from attestverify import android, step, tpm
from attestverify.errors import MalformedError
from attestverify.records import to_record

SCHEMA = json.loads(
    (pathlib.Path(attestverify.__file__).parent / "data" / "record-1.schema.json").read_text()
)


def _generated() -> dict[str, Callable[[], attestverify.DeviceIdentity]]:
    cases: dict[str, Callable[[], attestverify.DeviceIdentity]] = {
        case.name: case.verify for case in statements.all_cases()
    }

    def managed() -> attestverify.DeviceIdentity:
        tree = yubikey_pki.managed_device_tree()
        return statements._case(
            "managed", cbor2.loads(yubikey_pki.statement(tree)), (tree.root.cert,)
        ).verify()

    cases["step-managed-device"] = managed

    def tpm_with_names() -> attestverify.DeviceIdentity:
        san = [
            *tpm_pki.tpm_directory(),
            tpm_pki.permanent_identifier_san("EK-1234", "1.2.3.4"),
            tpm_pki.permanent_identifier_san("EK-5678"),
            tpm_pki.hardware_module_san("1.3.6.1.4.1.99999.1", b"HSM-42"),
        ]
        st = tpm_pki.statement(san=san)
        return attestverify.verify(
            st.attobj(), pki.KEY_AUTHORIZATION, {"tpm": [st.root]}, now=pki.NOW, formats="tpm"
        )

    cases["tpm-permanent-and-hardware-module"] = tpm_with_names

    def android_case(tree: android_pki.Tree, status: Any) -> attestverify.DeviceIdentity:
        return attestverify.verify(
            android_pki.statement(tree),
            pki.KEY_AUTHORIZATION,
            {"android-key": tree.roots},
            now=pki.NOW,
            formats="android-key",
            android_status=status,
        )

    checked = android.StatusList.from_json({"entries": {}})
    for kind in ("p256", "p384", "p521", "rsa2048", "ed25519"):
        cases[f"android-{kind}"] = functools.partial(
            android_case, android_pki.batch_tree(kind), android.STATUS_UNCHECKED
        )
    cases["android-rkp-status-checked"] = functools.partial(android_case, android_pki.rkp_tree(), checked)
    return cases


GENERATED = _generated()


def _real(vid: str) -> attestverify.DeviceIdentity:
    if vid.startswith("android-key/"):
        v = vectors.load_vector(vid)
        challenge = base64.b64decode(v.decoded["attestationChallenge_b64"])
        return android.verify_chain(
            v.x5c_der,
            challenge=challenge,
            roots=[v.anchor],
            now=v.now,
            allow_unverified_boot=vid in UNVERIFIED_BOOT,
        )
    if vid.startswith("step/"):
        v = vectors.load_vector(vid)
        return step.verify_chain(device_x5c(v), now=v.now)
    att_stmt, extra, v = windows(vid)
    return tpm.verify_certify(att_stmt, extra, now=v.now)


# The fido2 copy of the Nuvoton statement lacks "ver" (it fails T1 on purpose).
IDENTITIES: dict[str, Callable[[], attestverify.DeviceIdentity]] = {
    **GENERATED,
    **{
        vid: functools.partial(_real, vid)
        for vid in [*STEP_REAL, *WINDOWS, *ANDROID_REAL, SONY]
        if "fido2" not in vid
    },
}


@pytest.fixture(scope="module")
def apple_record() -> dict[str, Any]:
    return statements.apple().verify().to_record()


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_round_trip(name: str) -> None:
    identity = IDENTITIES[name]()
    record = identity.to_record()
    assert next(iter(record)) == "record" and record["record"] == 1
    text = json.dumps(record)
    restored = attestverify.DeviceIdentity.from_record(json.loads(text))
    assert restored == identity
    assert restored.fingerprint == identity.fingerprint
    assert (restored.apple, restored.step, restored.tpm, restored.android) == (
        identity.apple,
        identity.step,
        identity.tpm,
        identity.android,
    )
    assert restored.to_record() == record
    validate(record, SCHEMA)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_pickle_and_deepcopy(name: str) -> None:
    identity = GENERATED[name]()
    assert pickle.loads(pickle.dumps(identity)) == identity
    assert copy.deepcopy(identity) == identity
    assert copy.copy(identity) == identity


def test_verify_csr_on_a_restored_identity() -> None:
    from attestverify.testing import make_csr

    case = statements.step("p256")
    tree = yubikey_pki.legacy_tree("p256")
    identity = case.verify()
    restored = attestverify.DeviceIdentity.from_record(json.loads(json.dumps(identity.to_record())))
    serial = identity.identifiers[0]
    csr = make_csr(tree.leaf.key, serial)
    attestverify.verify_csr(restored, csr, identifier=serial)
    with pytest.raises(attestverify.KeyMismatchError):
        attestverify.verify_csr(restored, make_csr(pki.ec_key("p256", "other"), serial), identifier=serial)


def test_enumerations_are_lowercase_names() -> None:
    record = statements.step("p256").verify().to_record()
    assert record["step"]["pin_policy"] in ("never", "once", "always")
    assert record["android"] is None and record["apple"] is None and record["tpm"] is None


def test_unknown_enumerated_values_stay_integers() -> None:
    identity = statements.step("p256").verify()
    assert identity.step is not None
    odd = attestverify.DeviceIdentity.build(
        format="step",
        public_key=identity.public_key,
        chain=identity.chain,
        step=attestverify.StepDetails(pin_policy=9, touch_policy=attestverify.TouchPolicy.NEVER),
    )
    record = odd.to_record()
    assert record["step"]["pin_policy"] == 9 and record["step"]["touch_policy"] == "never"
    assert attestverify.DeviceIdentity.from_record(record) == odd
    validate(record, SCHEMA)


# -- negative: one change per test ----------------------------------------------------------------


def _fails(record: object, match: str | None = None) -> None:
    with pytest.raises(MalformedError, match=match) as exc:
        attestverify.DeviceIdentity.from_record(record)
    assert exc.value.check == "R1"


def _schema_accepts(record: dict[str, Any]) -> bool:
    try:
        validate(record, SCHEMA)
    except ValueError:
        return False
    return True


def _records() -> dict[str, dict[str, Any]]:
    return {
        "apple": statements.apple().verify().to_record(),
        "step": statements.step("p256").verify().to_record(),
        "tpm": GENERATED["tpm-permanent-and-hardware-module"]().to_record(),
        "android": GENERATED["android-rsa2048"]().to_record(),
    }


RECORDS = _records()


def _paths() -> list[tuple[str, tuple[str, ...]]]:
    out: list[tuple[str, tuple[str, ...]]] = []
    for fmt, record in RECORDS.items():
        for key, value in record.items():
            if fmt != "step" and key not in (fmt, "apple", "step", "tpm", "android"):
                continue  # top-level keys once (from the step record)
            out.append((fmt, (key,)))
            if isinstance(value, dict):
                out.extend((fmt, (key, sub)) for sub in value)
    return out


PATHS = _paths()


def _at(record: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]


@pytest.mark.parametrize(("fmt", "path"), PATHS, ids=[f"{f}:{'.'.join(p)}" for f, p in PATHS])
def test_missing_member(fmt: str, path: tuple[str, ...]) -> None:
    record = copy.deepcopy(RECORDS[fmt])
    parent, key = _at(record, path)
    del parent[key]
    _fails(record)
    assert not _schema_accepts(record)


@pytest.mark.parametrize(("fmt", "path"), PATHS, ids=[f"{f}:{'.'.join(p)}" for f, p in PATHS])
def test_wrong_type(fmt: str, path: tuple[str, ...]) -> None:
    record = copy.deepcopy(RECORDS[fmt])
    parent, key = _at(record, path)
    value = parent[key]
    # A type that no record field of this name may hold: an object for scalars and arrays, a
    # list for objects, and for nullable detail objects of other formats an (invalid) object.
    parent[key] = [] if isinstance(value, dict) else {"x": 1}
    _fails(record)
    assert not _schema_accepts(record)


@pytest.mark.parametrize("where", ["top", "apple", "step", "tpm", "android", "acme_identifier"])
def test_extra_member(where: str) -> None:
    fmt = {"top": "step", "acme_identifier": "step"}.get(where, where)
    record = copy.deepcopy(RECORDS[fmt])
    target: Any = {"top": record, "acme_identifier": (record["acme_identifiers"] or [{}])[0]}.get(
        where, record.get(where)
    )
    target["extra"] = None
    _fails(record, "unknown member")
    assert not _schema_accepts(record)


def test_fingerprint_not_matching_the_key() -> None:
    record = copy.deepcopy(RECORDS["step"])
    other = statements.step("rsa2048").verify()
    record["fingerprint"] = other.fingerprint
    _fails(record, "fingerprint")


def test_key_swapped_keeps_fingerprint() -> None:
    record = copy.deepcopy(RECORDS["step"])
    record["public_key_der"] = RECORDS["tpm"]["public_key_der"]
    _fails(record, "fingerprint")


@pytest.mark.parametrize("version", [0, 2, "1", True, 1.0, None])
def test_unknown_version(version: object) -> None:
    record = copy.deepcopy(RECORDS["apple"])
    record["record"] = version
    _fails(record, "version")


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda r: r.__setitem__("format", "Apple"), "unknown format"),
        (lambda r: r.__setitem__("step", {}), "must be null"),
        (lambda r: r.__setitem__("android", {}), "must be null"),
        (lambda r: r.__setitem__("public_key_der", "AAAA"), "SubjectPublicKeyInfo"),
        (lambda r: r.__setitem__("public_key_der", r["public_key_der"] + "="), "base64url"),
        (lambda r: r["chain"].__setitem__(0, "AAAA"), "certificate"),
        (lambda r: r.__setitem__("chain", []), "at least one"),
        (lambda r: r.__setitem__("identifiers", ["forged"]), "identifiers"),
        (lambda r: r.__setitem__("relaxations", ["a", "a"]), "duplicate"),
        (lambda r: r["apple"].__setitem__("binding", "account"), "binding"),
        (lambda r: r["apple"].__setitem__("sip_status", True), "integer"),
        (lambda r: r["apple"]["extensions"].__setitem__("1.2", "!"), "base64url"),
        (lambda r: r["acme_identifiers"][0].__setitem__("type", "dns"), "type"),
    ],
)
def test_apple_record_rules(mutate: Callable[[dict[str, Any]], None], match: str) -> None:
    record = copy.deepcopy(RECORDS["apple"])
    mutate(record)
    _fails(record, match)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("pin_policy", 1, "name"),
        ("pin_policy", "Never", "one of"),
        ("firmware_version", [5, 7], "three"),
        ("serial_source", "other", "serial_source"),
        ("fips", 1, "boolean"),
    ],
)
def test_step_record_rules(field: str, value: object, match: str) -> None:
    record = copy.deepcopy(RECORDS["step"])
    record["step"][field] = value
    _fails(record, match)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("attestation_security_level", "TRUSTED_ENVIRONMENT", "one of"),
        ("keymint_security_level", 1, "string"),
        ("verified_boot_state", "Verified", "one of"),
        ("challenge", "a=", "base64url"),
        ("purposes", [2, True], "integer"),
        ("purposes", list(range(33)), "more than"),
        ("status_checked", 0, "boolean"),
        ("brand", 7, "string"),
    ],
)
def test_android_record_rules(field: str, value: object, match: str) -> None:
    record = copy.deepcopy(RECORDS["android"])
    record["android"][field] = value
    _fails(record, match)
    assert not _schema_accepts(record)


def test_android_record_uses_lowercase_names() -> None:
    details = RECORDS["android"]["android"]
    assert details["attestation_security_level"] == "trusted-environment"
    assert details["verified_boot_state"] == "verified"
    assert RECORDS["android"]["format"] == "android-key"
    assert RECORDS["android"]["apple"] is RECORDS["android"]["tpm"] is None


def test_tpm_record_rules() -> None:
    record = copy.deepcopy(RECORDS["tpm"])
    record["tpm"]["key_type"] = "ecc"
    _fails(record, "key_type")
    record = copy.deepcopy(RECORDS["tpm"])
    record["hardware_module_names"][0]["hw_serial_num"] = 42
    _fails(record, "string")


@pytest.mark.parametrize("value", [None, [], "record", 1, b"{}"])
def test_not_an_object(value: object) -> None:
    _fails(value, "object")


def test_record_is_json_and_matches_to_record(apple_record: dict[str, Any]) -> None:
    assert json.loads(json.dumps(apple_record)) == apple_record
    assert to_record(attestverify.DeviceIdentity.from_record(apple_record)) == apple_record


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(sorted(RECORDS["tpm"])), value=_JSON)
def test_any_value_in_any_field_is_r1_or_accepted(key: str, value: object) -> None:
    record = copy.deepcopy(RECORDS["tpm"])
    record[key] = value
    try:
        attestverify.DeviceIdentity.from_record(record)
    except MalformedError as err:
        assert err.check == "R1"


@pytest.mark.parametrize("version", [10**5000, -1, [1], {"v": 1}], ids=["huge", "negative", "list", "object"])
def test_odd_versions(version: object) -> None:
    record = copy.deepcopy(RECORDS["step"])
    record["record"] = version
    _fails(record, "version")


def test_unsupported_curve_key_is_r1() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    record = copy.deepcopy(RECORDS["step"])
    key = ec.generate_private_key(ec.SECP256K1()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    record["public_key_der"] = base64.urlsafe_b64encode(der).rstrip(b"=").decode()
    _fails(record)
