"""DeviceIdentity, value types, fingerprint and the error family."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from pki import ec_key, ed25519_key, issue, name, root, rsa_key

import attestverify
from attestverify import (
    AcmeIdentifier,
    DeviceIdentity,
    HardwareModuleName,
    IdentifierMismatchError,
    MalformedError,
    PermanentIdentifier,
    PolicyError,
    UsageError,
)
from attestverify.identity import permanent_identifier_acme


def _identity(**kw: object) -> DeviceIdentity:
    key = ec_key("p256", "identity")
    ca = root("Identity Test Root")
    leaf = issue(name("leaf"), key, ca)
    args: dict[str, object] = {
        "format": "step",
        "public_key": key.public_key(),
        "chain": (leaf.cert, ca.cert),
    }
    args.update(kw)
    return DeviceIdentity.build(**args)  # type: ignore[arg-type]


def test_fingerprint_matches_step_ca_definition_for_each_key_type() -> None:
    ec_pub = ec_key("p256", "fp").public_key()
    point = ec_pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert (
        attestverify.fingerprint(ec_pub)
        == "SHA256:" + base64.b64encode(hashlib.sha256(point).digest()).decode()
    )
    rsa_pub = rsa_key(2048, "fp").public_key()
    pkcs1 = rsa_pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert (
        attestverify.fingerprint(rsa_pub)
        == "SHA256:" + base64.b64encode(hashlib.sha256(pkcs1).digest()).decode()
    )
    ed_pub = ed25519_key("fp").public_key()
    raw = ed_pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert (
        attestverify.fingerprint(ed_pub)
        == "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode()
    )


def test_fingerprint_rejects_other_key_types() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed448, x448

    with pytest.raises(MalformedError):
        attestverify.fingerprint(x448.X448PrivateKey.generate().public_key())  # type: ignore[arg-type]
    with pytest.raises(MalformedError):
        attestverify.fingerprint(ed448.Ed448PrivateKey.generate().public_key())  # type: ignore[arg-type]


def test_fingerprint_of_x25519_is_over_the_raw_key() -> None:
    """SPEC v2 §2.2: raw X25519 (a YubiKey slot key, possible only from `step.verify_chain`)."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import x25519
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = x25519.X25519PrivateKey.generate().public_key()
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    digest = hashlib.sha256(raw).digest()
    assert attestverify.fingerprint(key) == "SHA256:" + base64.b64encode(digest).decode()


def test_build_derives_fields_and_deduplicates() -> None:
    a = AcmeIdentifier("permanent-identifier", "123")
    b = AcmeIdentifier("hardware-module", "123/1.2.3")
    ident = _identity(acme_identifiers=(a, b, a), relaxations=("x", "x"))
    assert ident.identifiers == ("123", "123/1.2.3")
    assert ident.acme_identifiers == (a, b)
    assert ident.relaxations == ("x",)
    assert ident.public_key_der == ident.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert ident.not_after == min(c.not_valid_after_utc for c in ident.chain)


def test_identity_is_frozen() -> None:
    ident = _identity()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ident.format = "tpm"  # type: ignore[misc]


def test_matches_is_exact_and_type_aware() -> None:
    ident = _identity(
        acme_identifiers=(
            AcmeIdentifier("permanent-identifier", "Abc"),
            AcmeIdentifier("hardware-module", "s/1.2"),
        )
    )
    assert ident.matches("Abc")
    assert not ident.matches("abc")
    assert not ident.matches("Abc ")
    assert ident.matches("s/1.2", "hardware-module")
    assert not ident.matches("s/1.2", "permanent-identifier")
    assert not ident.matches(b"Abc")  # type: ignore[arg-type]


def test_acme_values() -> None:
    assert PermanentIdentifier("dev", None).acme_value() == "dev"
    assert PermanentIdentifier("dev", "1.2.3").acme_value() == "dev/1.2.3"
    assert PermanentIdentifier(None, "1.2.3").acme_value() is None
    assert PermanentIdentifier("", None).acme_value() is None
    assert PermanentIdentifier("a/b", None).acme_value() is None
    assert HardwareModuleName("1.2.3", b"SN1").acme_value() == "SN1/1.2.3"
    assert HardwareModuleName("1.2.3", b"\xff").acme_value() is None
    assert HardwareModuleName("1.2.3", b"a/b").acme_value() is None
    assert HardwareModuleName("1.2.3", b"").acme_value() is None
    assert permanent_identifier_acme("X/Y") is None
    assert permanent_identifier_acme("XY") == AcmeIdentifier("permanent-identifier", "XY")


def test_error_string_code_and_message_cap() -> None:
    err = PolicyError("x" * 1000, check="T13")
    assert err.code == "policy" and err.check == "T13"
    assert len(err.message) <= 300
    assert str(err).startswith("policy: ")
    assert isinstance(UsageError("bad", check="D1"), MalformedError)
    assert UsageError("bad").code == "malformed"


def test_acme_problem_documents() -> None:
    assert MalformedError("m", check="D3").acme_problem() == {
        "type": "urn:ietf:params:acme:error:badAttestationStatement",
        "detail": "m",
    }
    assert MalformedError("m", check="C1").acme_problem()["type"] == "urn:ietf:params:acme:error:badCSR"
    problem = IdentifierMismatchError("no", check="D7", identifier_value="123").acme_problem()
    assert problem["type"].endswith(":badAttestationStatement")
    (sub,) = problem["subproblems"]
    assert sub["type"] == "urn:ietf:params:acme:error:rejectedIdentifier"
    assert sub["identifier"] == {"type": "permanent-identifier", "value": "123"}


def test_messages_quote_at_most_64_bytes_of_an_identifier() -> None:
    """SPEC §2.3: a long identifier is cut to 64 UTF-8 bytes in the message (D7)."""
    from attestverify.errors import shown

    assert shown("abc") == "'abc'"
    long = "é" * 100  # 2 bytes per character
    assert shown(long) == repr("é" * 32) + "..."
    ident = _identity(acme_identifiers=(AcmeIdentifier("permanent-identifier", "SN1"),))
    assert not ident.matches(long)
