"""verify_csr with a `str` CSR (SPEC v2 §2.4): PEM text, or the ACME finalize payload's base64url DER.

An ACME finalize request carries `{"csr": "<unpadded base64url DER>"}`; a server passes that
member as it is. Every strict `str` rule of §3.2 has one negative test, each mutating exactly one
thing of the otherwise accepted string.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from attestverify import DeviceIdentity, testing, verify_csr
from attestverify.errors import KeyMismatchError, MalformedError, UsageError

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
KEY_AUTHORIZATION = "csr-text-token." + "A" * 43
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture(scope="module")
def statement() -> testing.TestStatement:
    return testing.make_statement("step", KEY_AUTHORIZATION, identifier="1234567", now=NOW)


@pytest.fixture(scope="module")
def identity(statement: testing.TestStatement) -> DeviceIdentity:
    return statement.verify()


def _der(request: x509.CertificateSigningRequest) -> bytes:
    return request.public_bytes(serialization.Encoding.DER)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _request(statement: testing.TestStatement) -> x509.CertificateSigningRequest:
    return testing.make_csr(statement.device_key, statement.identifier)


def _fails_c1(identity: DeviceIdentity, csr: str, statement: testing.TestStatement) -> MalformedError:
    with pytest.raises(MalformedError) as exc:
        verify_csr(identity, csr, identifier=statement.identifier)
    assert not isinstance(exc.value, UsageError)
    assert exc.value.check == "C1"
    assert exc.value.acme_problem()["type"] == "urn:ietf:params:acme:error:badCSR"
    return exc.value


def test_finalize_payload_member_accepted(statement: testing.TestStatement, identity: DeviceIdentity) -> None:
    text = _b64url(_der(_request(statement)))
    verify_csr(identity, text, identifier=statement.identifier)


def test_base64url_is_decoded_as_der_not_sniffed(
    statement: testing.TestStatement, identity: DeviceIdentity
) -> None:
    # A str that is not PEM text is base64url DER, even when the decoded bytes are PEM.
    pem = _request(statement).public_bytes(serialization.Encoding.PEM)
    error = _fails_c1(identity, _b64url(pem), statement)
    assert "does not parse" in error.message


def test_pem_str_accepted_after_leading_whitespace(
    statement: testing.TestStatement, identity: DeviceIdentity
) -> None:
    pem = _request(statement).public_bytes(serialization.Encoding.PEM).decode()
    verify_csr(identity, " \r\n\t" + pem, identifier=statement.identifier)


def test_the_key_binding_still_applies(statement: testing.TestStatement, identity: DeviceIdentity) -> None:
    other = testing.make_csr(testing.new_key("p256"), statement.identifier)
    with pytest.raises(KeyMismatchError) as exc:
        verify_csr(identity, _b64url(_der(other)), identifier=statement.identifier)
    assert exc.value.check == "C3"


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        (lambda t: t + "=" * (-len(t) % 4 or 4), "outside A-Z"),  # padding
        (lambda t: "+" + t[1:], "outside A-Z"),  # standard base64 alphabet
        (lambda t: "/" + t[1:], "outside A-Z"),
        (lambda t: t[:40] + "\n" + t[40:], "outside A-Z"),  # a line break inside
        (lambda t: " " + t, "outside A-Z"),  # leading whitespace is only skipped before PEM
        (lambda t: t + "\r\n", "outside A-Z"),
        (lambda t: t + "A" * ((1 - len(t)) % 4), "1 mod 4"),
        (lambda t: "é" + t[1:], "outside A-Z"),
    ],
    ids=[
        "padding",
        "plus",
        "slash",
        "inner-newline",
        "leading-space",
        "trailing-crlf",
        "1-mod-4",
        "non-ascii",
    ],
)
def test_c1_strict_base64url_rules(
    statement: testing.TestStatement, identity: DeviceIdentity, mutation: object, reason: str
) -> None:
    text = _b64url(_der(_request(statement)))
    mutated = mutation(text)  # type: ignore[operator]
    assert mutated != text
    assert reason in _fails_c1(identity, mutated, statement).message


@pytest.mark.parametrize("rest", [2, 3])
def test_c1_non_zero_unused_bits(
    statement: testing.TestStatement, identity: DeviceIdentity, rest: int
) -> None:
    # Trailing zero bytes give the text a partial last group of `rest` characters (C1 fails
    # before parsing, so the trailing bytes do not matter); setting an unused low bit of its last
    # character spells the same bytes a second way.
    der = _der(_request(statement))
    text = next(t for t in (_b64url(der + b"\x00" * pad) for pad in range(3)) if len(t) % 4 == rest)
    last = ALPHABET.index(text[-1])
    assert last & (0x0F if rest == 2 else 0x03) == 0
    mutated = text[:-1] + ALPHABET[last | 1]
    assert _decode(mutated) == _decode(text)
    assert "unused bits" in _fails_c1(identity, mutated, statement).message


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("text", ["", "A" * 87383], ids=["empty", "too-long"])
def test_c1_length(statement: testing.TestStatement, identity: DeviceIdentity, text: str) -> None:
    _fails_c1(identity, text, statement)


def test_c1_longest_text_is_checked_not_rejected_for_length(
    statement: testing.TestStatement, identity: DeviceIdentity
) -> None:
    # 87 382 characters decode to 65 536 bytes: the size limit, so C1 fails only at parsing.
    error = _fails_c1(identity, "A" * 87382, statement)
    assert "does not parse" in error.message


def test_c1_pem_str_must_be_ascii(statement: testing.TestStatement, identity: DeviceIdentity) -> None:
    pem = _request(statement).public_bytes(serialization.Encoding.PEM).decode()
    assert "ASCII" in _fails_c1(identity, pem.replace("\n", "\n\u00e9", 1), statement).message
