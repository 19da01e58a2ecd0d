"""The error family (`errors.py`): codes, message bounds, ACME problems and the API boundary."""

from __future__ import annotations

import pytest

from attestverify import errors
from attestverify.errors import (
    AttestationError,
    BadSignatureError,
    ChallengeMismatchError,
    IdentifierMismatchError,
    KeyMismatchError,
    MalformedError,
    PolicyError,
    UnsupportedFormatError,
    UntrustedChainError,
    UsageError,
    internal_error,
    public_boundary,
    quote,
    shown,
)

ACME = "urn:ietf:params:acme:error:"


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (MalformedError, "malformed"),
        (UsageError, "malformed"),
        (UnsupportedFormatError, "unsupported-format"),
        (UntrustedChainError, "untrusted-chain"),
        (ChallengeMismatchError, "challenge-mismatch"),
        (BadSignatureError, "bad-signature"),
        (KeyMismatchError, "key-mismatch"),
        (PolicyError, "policy"),
        (IdentifierMismatchError, "identifier-mismatch"),
    ],
)
def test_each_class_has_its_stable_code(cls: type[AttestationError], code: str) -> None:
    err = cls("boom", check="X1")
    assert err.code == code
    assert str(err) == f"{code}: boom"
    assert isinstance(err, AttestationError)
    assert repr(err) == f"{cls.__name__}('boom', check='X1', format=None)"


def test_usage_error_is_a_malformed_error() -> None:
    assert issubclass(UsageError, MalformedError)


def test_message_is_one_bounded_line() -> None:
    err = MalformedError("a\nb\t c " + "x" * 1000)
    assert err.message.startswith("a b c x")
    assert len(err.message) == 300
    assert err.message.endswith("...")
    assert MalformedError("x" * 300).message == "x" * 300


def test_quote_shows_at_most_limit_bytes_in_hex() -> None:
    assert quote(b"\x00\xff") == "00ff"
    assert quote("é") == "c3a9"
    assert quote(b"a" * 65) == "61" * 64 + "..."
    assert quote(b"abc", limit=2) == "6162..."


def test_shown_cuts_on_utf8_bytes_without_splitting_a_character() -> None:
    assert shown("abc") == "'abc'"
    assert shown("é" * 40, limit=5) == repr("éé") + "..."
    assert shown("a" * 64) == repr("a" * 64)


def test_acme_problem_kinds() -> None:
    assert MalformedError("m", check="D3").acme_problem() == {
        "type": ACME + "badAttestationStatement",
        "detail": "m",
    }
    assert PolicyError("p", check="C7").acme_problem()["type"] == ACME + "badCSR"
    assert MalformedError("m").acme_problem()["type"] == ACME + "badAttestationStatement"


def test_identifier_mismatch_problem_names_the_rejected_identifier() -> None:
    err = IdentifierMismatchError("no", check="D7", identifier_type="hardware-module", identifier_value="v")
    assert err.acme_problem()["subproblems"] == [
        {
            "type": ACME + "rejectedIdentifier",
            "detail": "no",
            "identifier": {"type": "hardware-module", "value": "v"},
        }
    ]
    unknown = IdentifierMismatchError("no", check="C4").acme_problem()["subproblems"][0]
    assert "identifier" not in unknown
    default_type = IdentifierMismatchError("no", identifier_value="v").acme_problem()["subproblems"][0]
    assert default_type["identifier"]["type"] == "permanent-identifier"


def test_public_boundary_passes_our_errors_and_tags_the_format() -> None:
    with pytest.raises(PolicyError) as exc, public_boundary("tpm"):
        raise PolicyError("p", check="T6")
    assert exc.value.format == "tpm"
    assert exc.value.check == "T6"


def test_public_boundary_keeps_a_format_already_set() -> None:
    with pytest.raises(PolicyError) as exc, public_boundary("tpm"):
        raise PolicyError("p", check="A4", format="apple")
    assert exc.value.format == "apple"


def test_public_boundary_wraps_anything_else_as_a_checkless_malformed() -> None:
    cause = KeyError("bug")
    with pytest.raises(MalformedError) as exc, public_boundary("step"):
        raise cause
    assert type(exc.value) is MalformedError
    assert exc.value.check is None
    assert exc.value.format == "step"
    assert exc.value.__cause__ is cause
    assert "KeyError" in exc.value.message


def test_public_boundary_without_error_is_transparent() -> None:
    with public_boundary():
        value = 1
    assert value == 1


def test_internal_error_keeps_the_cause() -> None:
    cause = ValueError("x")
    err = internal_error(cause)
    assert err.format is None and err.check is None
    assert err.__cause__ is cause


def test_errors_exports() -> None:
    assert {"public_boundary", "internal_error"} <= set(errors.__all__)


def test_public_boundary_wrap_chooses_the_replacement_error() -> None:
    def wrap(exc: BaseException, fmt: str | None) -> MalformedError:
        return MalformedError(f"wrapped {type(exc).__name__} for {fmt}", check="J1")

    cause = RuntimeError("hostile mapping")
    with pytest.raises(MalformedError) as exc, public_boundary("apple", wrap=wrap):
        raise cause
    assert exc.value.check == "J1"
    assert exc.value.message == "wrapped RuntimeError for apple"
    assert exc.value.__cause__ is cause
    with pytest.raises(PolicyError) as ours, public_boundary(wrap=wrap):
        raise PolicyError("p", check="T6")
    assert ours.value.check == "T6"
