"""The shared D1 pieces: `arguments.py` (flags, identifiers, trust resolution), `trust.Trust`,
`chain.certificate_items`, `context.Context` and the per-format `Options`."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pki import KEY_AUTHORIZATION, NOW, root

from attestverify import apple, arguments, chain, step, tpm
from attestverify.context import Context
from attestverify.errors import MalformedError, UsageError
from attestverify.roots import bundled, bundled_intermediates
from attestverify.trust import Trust


@pytest.mark.parametrize("value", [1, 0, "yes", None, "True"])
def test_check_flag_wants_a_real_bool(value: object) -> None:
    with pytest.raises(UsageError) as exc:
        arguments.check_flag("some_flag", value)
    assert exc.value.check == "D1"
    assert "some_flag" in exc.value.message


def test_check_flag_returns_the_bool() -> None:
    assert arguments.check_flag("f", True) is True
    assert arguments.check_flag("f", False) is False


@pytest.mark.parametrize(
    ("identifier", "identifier_type"),
    [(b"x", None), (1, None), ("x", "dns"), ("x", 1), ("x", "Permanent-Identifier")],
)
def test_check_identifier_rejects(identifier: object, identifier_type: object) -> None:
    with pytest.raises(UsageError) as exc:
        arguments.check_identifier(identifier, identifier_type)
    assert exc.value.check == "D1"


def test_check_identifier_accepts() -> None:
    assert arguments.check_identifier(None, None) == (None, None)
    assert arguments.check_identifier("x", "hardware-module") == ("x", "hardware-module")


def test_resolve_trust_bundled_adds_bundled_intermediates() -> None:
    trust = arguments.resolve_trust("step", None, None, NOW)
    assert trust == Trust(bundled("step"), bundled_intermediates("step"), NOW)
    assert trust.intermediates  # the Yubico 5.7.4+ intermediates


def test_resolve_trust_given_anchors_add_no_intermediates() -> None:
    anchor = root("ArgumentsRoot").cert
    assert arguments.resolve_trust("step", (anchor,), None, NOW) == Trust((anchor,), (), NOW)


def test_resolve_trust_given_intermediates_replace_the_bundled_ones() -> None:
    extra = root("ArgumentsExtra").cert
    trust = arguments.resolve_trust("step", None, (extra,), NOW)
    assert trust.intermediates == (extra,)
    assert trust.anchors == bundled("step")


def test_trust_from_arguments_checks_roots_and_intermediates() -> None:
    with pytest.raises(UsageError):
        arguments.trust_from_arguments("tpm", [b"not a certificate"], None, NOW)
    with pytest.raises(UsageError):
        arguments.trust_from_arguments("tpm", None, "intermediates", NOW)
    assert arguments.trust_from_arguments("tpm", None, None, NOW) == Trust(bundled("tpm"), (), NOW)


def test_trust_is_frozen() -> None:
    trust = Trust((), (), NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trust.now = NOW  # type: ignore[misc]


def test_certificate_items_accepts_der_and_objects() -> None:
    cert = root("ArgumentsItems").cert
    der = cert.public_bytes(Encoding.DER)
    assert chain.certificate_items([cert, bytearray(der)], what="x5c", check="S1") == (der, der)


@pytest.mark.parametrize("value", [b"der", "text", {"a": 1}, 5])
def test_certificate_items_not_a_sequence_is_d1(value: object) -> None:
    with pytest.raises(UsageError) as exc:
        chain.certificate_items(value, what="x5c", check="S1")
    assert exc.value.check == "D1"


@pytest.mark.parametrize("value", [[], [b"x"] * 11, [b""]])
def test_certificate_items_count_or_empty_item_is_the_format_check(value: object) -> None:
    with pytest.raises(MalformedError) as exc:
        chain.certificate_items(value, what="x5c", check="S1")
    assert exc.value.check == "S1"


def test_certificate_items_foreign_item_error_is_chosen_by_the_caller() -> None:
    with pytest.raises(MalformedError) as exc:
        chain.certificate_items([1], what="x5c", check="S1")
    assert type(exc.value) is MalformedError and exc.value.check == "S1"
    with pytest.raises(UsageError) as usage:
        chain.certificate_items([1], what="certificates", check="A1", bad_item=UsageError)
    assert usage.value.check == "D1"


def test_context_trust_and_flags() -> None:
    ctx = Context(KEY_AUTHORIZATION, NOW, (), (), options=MappingProxyType({"tpm_allow_rs1": False}))
    assert ctx.trust == Trust((), (), NOW)
    assert ctx.flag("tpm_allow_rs1", True) is False
    assert ctx.flag("absent", True) is True


def test_format_options_read_only_their_own_flags_with_defaults() -> None:
    empty = Context(KEY_AUTHORIZATION, NOW, ())
    assert apple.Options.from_context(empty) == apple.Options(require_nonce=True)
    assert step.Options.from_context(empty) == step.Options(allow_legacy_f9=True)
    assert tpm.Options.from_context(empty) == tpm.Options(allow_rs1=True, allow_sha1_chain=False)
    flipped = Context(
        KEY_AUTHORIZATION,
        NOW,
        (),
        options={
            "apple_require_nonce": False,
            "step_allow_legacy_f9": False,
            "tpm_allow_rs1": False,
            "tpm_allow_sha1_chain": True,
        },
    )
    assert apple.Options.from_context(flipped) == apple.Options(require_nonce=False)
    assert step.Options.from_context(flipped) == step.Options(allow_legacy_f9=False)
    assert tpm.Options.from_context(flipped) == tpm.Options(allow_rs1=False, allow_sha1_chain=True)
