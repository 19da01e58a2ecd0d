"""Bundled anchors: the SHA-256 values of SPEC §5.4 are pinned here, independently of MANIFEST.json."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from attestverify import UsageError, roots

SPEC_ANCHORS = {
    "apple": {"ccf59ef8fcb3017d97f8b5fa6fa90e7a3f9283f76b55ac6cf6eda8b8b949f05b"},
    "step": {
        "63ece914e54dd87915f34033c85af4c0696ba1512f8add66ced738331207b546",
        "62760c6a6ef91679f454c8902b80fd009825b3f25da90f1fbace2ec6586cd5a8",
    },
    "tpm": {"870c7a35ceab3d59979f2c6a524042d404cb71518004350925fb2ced79a999da"},
    "android-key": {
        "cedb1cb6dc896ae5ec797348bce9286753c2b38ee71ce0fbe34a9a1248800dfc",  # RSA f92009e853b6b045, 2022
        "ab6641178a36e179aa0c1cdddf9a16eb45fa20943e2b8cd7c7c05c26cf8b487a",  # same key, 2021 issue
        "1ef1a04b8ba58ab94589ac498c8982a783f24ea7307e0159a0c3a73b377d87cc",  # same key, 2019 issue
        "6d9db4ce6c5c0b293166d08986e05774a8776ceb525d9e4329520de12ba4bcc0",  # Key Attestation CA1 (P-384)
    },
}
# Never an anchor: the expired 2016 issue of the Google RSA root and the Android software attestation root.
NOT_ANDROID_ANCHORS = {
    "c1984a3ef45c1e2a918551de10603c86f7051b2249c4891cae3230eabd0c97d5",
}
SPEC_STEP_INTERMEDIATES = {
    "4698a1d3389c3ec60016c216250f1d0439922832d65142327436376dc2942b55",
    "d4cc3f456fdaf4e7812a21aab1dfe9d8e27d24e2fd2d6f21c9940109f0daa754",
    "6de693f05376f5d8ca29069261e1c8626c75d503bd2edbfd75354cad1f722870",
    "2d55b7998f4e42569d6d8fa382b6dc77d1dacf07358b19701163892922b17052",
}


def _digests(certs: tuple) -> set[str]:  # type: ignore[type-arg]
    return {hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest() for c in certs}


@pytest.mark.parametrize("fmt", ["apple", "step", "tpm", "android-key"])
def test_bundled_anchors_match_spec(fmt: str) -> None:
    assert _digests(roots.bundled(fmt)) == SPEC_ANCHORS[fmt]


def test_bundled_anchors_are_cas() -> None:
    for fmt in SPEC_ANCHORS:
        for cert in roots.bundled(fmt):
            bc = cert.extensions.get_extension_for_class(__import__("cryptography").x509.BasicConstraints)
            assert bc.value.ca


def test_step_intermediates_match_spec_and_are_not_anchors() -> None:
    assert _digests(roots.bundled_intermediates("step")) == SPEC_STEP_INTERMEDIATES
    assert not _digests(roots.bundled_intermediates("step")) & _digests(roots.bundled("step"))
    assert roots.bundled_intermediates("apple") == ()
    assert roots.bundled_intermediates("tpm") == ()
    assert roots.bundled_intermediates("android-key") == ()


def test_android_anchors_share_one_rsa_key_and_exclude_the_software_root() -> None:
    anchors = roots.bundled("android-key")
    assert not _digests(anchors) & NOT_ANDROID_ANCHORS
    for cert in anchors:
        assert "Software Attestation" not in cert.subject.rfc4514_string()
    rsa_keys = {
        c.public_key().public_numbers().n  # type: ignore[union-attr]
        for c in anchors
        if c.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.11"
    }
    assert len(rsa_keys) == 1


def test_manifest_lists_every_file_with_its_digest() -> None:
    listed = {e["sha256"] for entries in roots.MANIFEST["anchors"].values() for e in entries}
    assert listed == set().union(*SPEC_ANCHORS.values())


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as exc:
        roots.bundled("Apple")
    assert exc.value.check == "D1"


def test_bundled_is_loaded_once() -> None:
    assert roots.bundled("tpm") is roots.bundled("tpm")


def test_tampered_bundled_file_is_untrusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundled PEM that no longer matches MANIFEST.json is refused with untrusted-chain, never used."""
    import attestverify

    tampered = dict(roots.MANIFEST)
    tampered["anchors"] = {**roots.MANIFEST["anchors"], "tpm": [
        {**roots.MANIFEST["anchors"]["tpm"][0], "sha256": "00" * 32}
    ]}  # fmt: skip
    monkeypatch.setattr(roots, "MANIFEST", tampered)
    roots._load.cache_clear()
    try:
        with pytest.raises(attestverify.UntrustedChainError) as exc:
            roots.bundled("tpm")
        assert exc.value.check == "P1"
        assert exc.value.rule == "P1"
    finally:
        monkeypatch.undo()
        roots._load.cache_clear()
    assert len(roots.bundled("tpm")) == 1
