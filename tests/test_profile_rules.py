"""SPEC rules that say what is *not* required: P8 (no EKU / keyCertSign on the path), P10 (offline,
no revocation or fetching) and S8 (YubiKey details are informational and never fail).

Each test makes the one thing these rules permit and shows that verification still succeeds, next
to a control that shows the same material is otherwise really checked.
"""

from __future__ import annotations

import socket

import pki
import pytest
import yubikey_pki as yk
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

import attestverify
from attestverify import x509path

# The SPEC ids these tests cover (P8 and P10 are path rules, S8 a step check that never fails).
COVERED = ("P8", "P10", "S8")
STEP_DETAILS_CHECK = "S8"


def _chain(*, inter_extensions: list[tuple[x509.ExtensionType, bool]], leaf_extensions=()):  # type: ignore[no-untyped-def]
    anchor = pki.root("Profile Root")
    inter = pki.issue(
        pki.name("Profile Intermediate"),
        pki.ec_key("p256", "profile-inter"),
        anchor,
        ca=True,
        key_usage=False,
        extensions=inter_extensions,
    )
    leaf = pki.issue(
        pki.name("Profile Leaf"), pki.ec_key("p256", "profile-leaf"), inter, extensions=leaf_extensions
    )
    return anchor, inter, leaf


def test_p8_issuer_without_keycertsign_and_with_foreign_eku_is_accepted() -> None:
    """P8: keyUsage without keyCertSign and an unrelated EKU on an issuer do not fail the path."""
    key_usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    anchor, inter, leaf = _chain(inter_extensions=[(key_usage, True), (eku, False)])
    path = x509path.validate_path(leaf.cert, [inter.cert], [anchor.cert], pki.NOW, check="A3")
    assert path.chain == (leaf.cert, inter.cert, anchor.cert)
    assert path.relaxations == ()


def test_p8_leaf_without_any_eku_is_accepted_but_a_forged_path_is_not() -> None:
    """P8: no EKU is required anywhere; the control shows the same path is still signature-checked."""
    anchor, inter, leaf = _chain(inter_extensions=[])
    assert (
        x509path.validate_path(leaf.cert, [inter.cert], [anchor.cert], pki.NOW, check="A3").chain[0]
        == leaf.cert
    )
    impostor = pki.root("Profile Root", pki.ec_key("p384", "profile-impostor"))  # same name, other key
    with pytest.raises(attestverify.UntrustedChainError) as exc:
        x509path.validate_path(leaf.cert, [inter.cert], [impostor.cert], pki.NOW, check="A3")
    assert exc.value.check == "A3"


def test_p10_verification_is_offline_even_with_crl_and_aia_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """P10: CRL distribution points and AIA URLs are never fetched; verification opens no socket."""
    urls = [
        (
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier("http://crl.invalid/x.crl")], None, None, None
                    )
                ]
            ),
            False,
        ),
        (
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier("http://aia.invalid/ca.crt"),
                    )
                ]
            ),
            False,
        ),
    ]

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("verification tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    anchor, inter, leaf = _chain(inter_extensions=urls, leaf_extensions=urls)
    path = x509path.validate_path(leaf.cert, [inter.cert], [anchor.cert], pki.NOW, check="A3")
    assert len(path.chain) == 3
    # A missing intermediate is not fetched from the AIA URL: the path simply fails.
    with pytest.raises(attestverify.UntrustedChainError) as exc:
        x509path.validate_path(leaf.cert, [], [anchor.cert], pki.NOW, check="A3")
    assert exc.value.check == "A3"


@pytest.mark.parametrize(
    ("policy", "form_factor", "firmware"),
    [
        (b"\x09\x09", b"\x7e", b"\x05\x04\x03"),  # unknown policy and form-factor values
        (b"\x01", b"\x01\x02", b"\x05\x04"),  # wrong lengths
        (b"", b"", b"\x05\x04\x03\x00"),  # empty values, long firmware
    ],
    ids=[f"{STEP_DETAILS_CHECK}-unknown", f"{STEP_DETAILS_CHECK}-lengths", f"{STEP_DETAILS_CHECK}-empty"],
)
def test_s8_yubikey_details_never_fail(policy: bytes, form_factor: bytes, firmware: bytes) -> None:
    """S8: odd policy, form-factor and firmware values become None or stay integers; verify succeeds."""
    exts = [
        pki.raw_ext(yk.OID_FIRMWARE, firmware),
        pki.raw_ext(yk.OID_SERIAL, yk.der_integer(15732500)),
        pki.raw_ext(yk.OID_POLICY, policy),
        pki.raw_ext(yk.OID_FORM_FACTOR, form_factor),
    ]
    tree = yk.legacy_tree("p256", extensions=exts)
    identity = attestverify.verify(
        yk.statement(tree), pki.KEY_AUTHORIZATION, {"step": [tree.root.cert]}, now=pki.NOW
    )
    assert identity.serial_number == "15732500"
    assert identity.step is not None
    details = identity.step
    if len(policy) != 2:
        assert details.pin_policy is None and details.touch_policy is None
    else:
        assert details.pin_policy == 9 and details.touch_policy == 9
    if len(form_factor) != 1:
        assert details.form_factor is None and details.fips is None
    else:
        assert details.form_factor == 0x7E and details.fips is False
    assert details.firmware_version == (tuple(firmware) if len(firmware) == 3 else None)
