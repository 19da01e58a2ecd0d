"""attestverify.testing: every builder verifies against a live clock, its variations break one
rule each, make_csr passes verify_csr, and `attestverify testing make` writes files that verify."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

import pki
import pytest

import attestverify
from attestverify import testing
from attestverify.cli import main
from attestverify.errors import (
    BadSignatureError,
    ChallengeMismatchError,
    IdentifierMismatchError,
    KeyMismatchError,
    PolicyError,
    UntrustedChainError,
    UsageError,
)

KA = pki.KEY_AUTHORIZATION
NOW = dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)  # any instant: validity follows it

SHAPES = [
    ("apple", {}),
    ("step", {}),
    ("step", {"key_kind": "rsa2048"}),
    ("step", {"key_kind": "ed25519"}),
    ("step", {"identifier": "managed-device-7"}),
    ("tpm", {}),
    ("tpm", {"identifier": "EK-42/1.3.6.1.4.1.311"}),
    ("tpm", {"identifier_type": "hardware-module"}),
    ("tpm", {"key_kind": "rsa2048", "ak_kind": "rsa2048"}),
    ("android-key", {}),
    ("android-key", {"key_kind": "p384"}),
    ("android-key", {"key_kind": "rsa2048"}),
    ("android-key", {"key_kind": "ed25519"}),
]
FORMATS = ["apple", "step", "tpm", "android-key"]


def _android(fmt: str) -> dict[str, Any]:
    """`verify()` needs an explicit status choice once android-key is enabled (SPEC §2.1)."""
    return (
        {"formats": (fmt,), "android_status": attestverify.android.STATUS_UNCHECKED}
        if fmt == "android-key"
        else {}
    )


@pytest.mark.parametrize(
    ("fmt", "kw"), SHAPES, ids=[f"{f}-{'-'.join(map(str, k.values()))}" for f, k in SHAPES]
)
def test_statement_verifies_and_matches_expected(fmt: str, kw: dict[str, str]) -> None:
    st = testing.make_statement(fmt, KA, now=NOW, **kw)
    identity = attestverify.verify(st.att_obj_b64, KA, roots=st.roots, now=NOW, identifier=st.identifier,
                                   identifier_type=st.identifier_type, **_android(fmt))  # fmt: skip
    st.expected.check(identity)
    assert identity.matches(st.identifier, st.identifier_type)
    assert attestverify.DeviceIdentity.from_record(json.loads(json.dumps(identity.to_record()))) == identity
    csr = testing.make_csr(st.device_key, st.identifier, identifier_type=st.identifier_type)
    attestverify.verify_csr(identity, csr, identifier=st.identifier, identifier_type=st.identifier_type,
                            require_identifier_in_csr=True)  # fmt: skip


def test_payload_is_what_acme_sends() -> None:
    st = testing.make_statement("step", KA, now=NOW)
    assert attestverify.parse_challenge_payload(st.payload_json) == st.att_obj_b64
    assert json.loads(st.payload_json) == {"attObj": st.att_obj_b64}


@pytest.mark.parametrize("fmt", FORMATS)
def test_validity_follows_now(fmt: str) -> None:
    st = testing.make_statement(fmt, KA, now=NOW)
    st.verify(now=NOW + dt.timedelta(days=29))
    with pytest.raises(UntrustedChainError):
        st.verify(now=NOW + dt.timedelta(days=31))
    with pytest.raises(UntrustedChainError):
        st.verify(now=NOW - dt.timedelta(days=2))


def test_default_now_is_the_current_time() -> None:
    testing.make_statement("step", KA).verify(now=None)


@pytest.mark.parametrize("fmt", FORMATS)
def test_never_trusted_by_default(fmt: str) -> None:
    st = testing.make_statement(fmt, KA, now=NOW)
    with pytest.raises(UntrustedChainError):
        attestverify.verify(st.cbor, KA, now=NOW, **_android(fmt))


@pytest.mark.parametrize(
    ("fmt", "kw", "error"),
    [
        ("apple", {"nonce": b"\x00" * 32}, ChallengeMismatchError),
        ("step", {"signed_message": b"another key authorization"}, BadSignatureError),
        ("tpm", {"extra_data": b"\x00" * 32}, ChallengeMismatchError),
        ("android-key", {"challenge": b"another key authorization"}, ChallengeMismatchError),
        ("android-key", {"signed_message": b"another key authorization"}, BadSignatureError),
        ("android-key", {"security_level": 0}, PolicyError),
        ("android-key", {"verified_boot_state": 1}, PolicyError),
        ("android-key", {"device_locked": False}, PolicyError),
    ],
)
def test_variations_break_one_rule(fmt: str, kw: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        testing.make_statement(fmt, KA, now=NOW, **kw).verify()


def test_other_identifier_and_other_key() -> None:
    st = testing.make_statement("tpm", KA, now=NOW)
    with pytest.raises(IdentifierMismatchError):
        st.verify(identifier="EK-other")
    identity = st.verify()
    with pytest.raises(KeyMismatchError):
        attestverify.verify_csr(
            identity, testing.make_csr(testing.new_key(), st.identifier), identifier=st.identifier
        )


def test_usage_errors() -> None:
    with pytest.raises(UsageError):
        testing.make_statement("android-safetynet", KA)
    with pytest.raises(UsageError):
        testing.make_statement("step", KA, now=dt.datetime(2030, 1, 1))


def test_register_is_the_extension_point() -> None:
    calls = []

    def builder(key_authorization: str, **kw: object) -> testing.TestStatement:
        calls.append(kw)
        return testing.BUILDERS["step"](key_authorization, **kw)

    testing.register("step-copy", builder)
    try:
        assert testing.make_statement("step-copy", KA, now=NOW).fmt == "step"
        assert calls == [{"identifier": None, "now": NOW}]
    finally:
        del testing.BUILDERS["step-copy"]


@pytest.mark.parametrize("fmt", ["apple", "step", "tpm"])  # android-key: with the CLI's android options
def test_cli_testing_make(fmt: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["testing", "make", fmt, "--key-authorization", KA, "--identifier", "12345678",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    capsys.readouterr()
    args = ["verify", str(tmp_path / "payload.json"), "--key-authorization", KA,
            "--roots", f"{fmt}={tmp_path / 'roots.pem'}", "--identifier", "12345678", "--json"]  # fmt: skip
    assert main(args) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["identity"]["record"] == 1
    assert attestverify.DeviceIdentity.from_record(body["identity"]).fingerprint == body["fingerprint"]


def test_cli_testing_make_usage(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["testing", "make", "step", "--key-authorization", "bare-token", "--out", str(tmp_path)]) == 2
    assert "D1" in capsys.readouterr().err
    assert main(["testing", "make", "step", "--key-authorization", KA, "--identifier-type", "hardware-module",
                 "--out", str(tmp_path)]) == 2  # fmt: skip
    assert main(["testing", "make", "nope", "--key-authorization", KA]) == 2
