"""Chains with one fault each, optionally showing one relaxation trigger (issue 12, SPEC v2 §5.3).

`build(trigger, ...)` makes root -> mid -> leaf: a 2048-bit RSA root, an RSA mid (a CA, or for trigger
"a" a legacy YubiKey F9 without basicConstraints), an EC P-256 leaf. The trigger is put into the
**signed** TBS of the mid certificate: "c" = RSA PKCS#1 v1.5 without NULL (outside as well), "b" =
sha1WithRSAEncryption, "a" = the F9 profile, "none" = nothing. Each entry of `FAULTS` changes exactly
one thing; `edit_tbs` rewrites TBS fields with asn1crypto and re-signs with the algorithm the TBS
names, so the trigger survives the edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pki import (
    NOT_AFTER,
    NOT_BEFORE,
    NOW,
    Issued,
    PrivateKey,
    ec_key,
    ed25519_key,
    issue,
    name,
    raw_ext,
    rsa_key,
)
from x509_helpers import ECDSA_SHA256, RSA_SHA1, RSA_SHA256_ABSENT, assemble, flip_signature_bit, sign_raw
from x509_helpers import build as build_free

FW_EXT = raw_ext("1.3.6.1.4.1.41482.3.3", b"\x05\x07\x04")
TRIGGERS = ("none", "a", "b", "c")
RELAXATION = {
    "none": (),
    "a": ("yubikey-legacy-f9",),
    "b": ("tpm-sha1-chain",),
    "c": ("rsa-sig-params-absent",),
}

_HASH_BY_ALG: dict[str, type[hashes.SHA256 | hashes.SHA1 | hashes.MD5]] = {
    "1.2.840.113549.1.1.11": hashes.SHA256,
    "1.2.840.113549.1.1.5": hashes.SHA1,
    "1.2.840.113549.1.1.4": hashes.MD5,
    "1.2.840.10045.4.3.2": hashes.SHA256,
}
Edit = Callable[[asn1_x509.TbsCertificate], None]


def edit_tbs(cert: x509.Certificate, signer: PrivateKey, edit: Edit) -> x509.Certificate:
    """`cert` with `edit` applied to its TBS, re-signed by `signer` with the TBS's own algorithm."""
    tbs = asn1_x509.TbsCertificate.load(cert.tbs_certificate_bytes)
    edit(tbs)
    der = tbs.dump()
    alg = tbs["signature"]
    hash_cls = _HASH_BY_ALG[alg["algorithm"].dotted]
    return assemble(der, alg.dump(), sign_raw(der, signer, hash_cls()))


def with_alg(alg_der: bytes) -> Edit:
    def edit(tbs: asn1_x509.TbsCertificate) -> None:
        tbs["signature"] = asn1_x509.SignedDigestAlgorithm.load(alg_der)

    return edit


def set_serial(value: int) -> Edit:
    def edit(tbs: asn1_x509.TbsCertificate) -> None:
        tbs["serial_number"] = value

    return edit


def v1(tbs: asn1_x509.TbsCertificate) -> None:
    tbs["version"] = "v1"


def generalized(field_name: str) -> Edit:
    def edit(tbs: asn1_x509.TbsCertificate) -> None:
        value = NOT_BEFORE if field_name == "not_before" else NOT_AFTER
        tbs["validity"][field_name] = asn1_x509.Time(name="general_time", value=value)

    return edit


def pss_spki(tbs: asn1_x509.TbsCertificate) -> None:
    # The same RSA key, declared id-RSASSA-PSS (no parameters): it may sign with PSS only.
    tbs["subject_public_key_info"]["algorithm"] = asn1_keys.PublicKeyAlgorithm({"algorithm": "rsassa_pss"})


@dataclass
class Chain:
    leaf: x509.Certificate
    candidates: list[x509.Certificate]
    anchors: list[x509.Certificate]
    root: Issued
    mid: Issued
    extra: dict[str, Any] = field(default_factory=dict)


def _signed_trigger(trigger: str, cert: x509.Certificate, signer: PrivateKey) -> x509.Certificate:
    if trigger == "c":
        return edit_tbs(cert, signer, with_alg(RSA_SHA256_ABSENT))
    if trigger == "b":
        return edit_tbs(cert, signer, with_alg(RSA_SHA1))
    return cert


def build(
    trigger: str,
    *,
    root_ca: bool = True,
    root_kw: dict[str, Any] | None = None,
    mid_key: PrivateKey | None = None,
    mid_kw: dict[str, Any] | None = None,
    mid_edit: Edit | None = None,
    mid_subject: x509.Name | None = None,
    leaf_kw: dict[str, Any] | None = None,
    leaf_edit: Edit | None = None,
) -> Chain:
    """root -> mid -> leaf with `trigger` in the mid's TBS and the given single change."""
    root_key = rsa_key(2048, "diff-root")
    root = issue(name("DiffRoot"), root_key, None, ca=root_ca, **(root_kw or {}))
    mid_defaults: dict[str, Any] = {"ca": None, "extensions": [FW_EXT]} if trigger == "a" else {"ca": True}
    mid_defaults.update(mid_kw or {})
    mid_name = mid_subject if mid_subject is not None else name("DiffMid")
    mid = issue(mid_name, mid_key or rsa_key(2048, "diff-mid"), root, **mid_defaults)
    mid_cert = _signed_trigger(trigger, mid.cert, root.key)
    if mid_edit is not None:
        mid_cert = edit_tbs(mid_cert, root.key, mid_edit)
    mid = Issued(mid_cert, mid.key)
    leaf = issue(name("DiffLeaf"), ec_key("p256", "diff-leaf"), mid, **(leaf_kw or {}))
    leaf_cert = leaf.cert
    if leaf_edit is not None:
        leaf_cert = edit_tbs(leaf_cert, mid.key, leaf_edit)
    return Chain(leaf_cert, [mid.cert], [root.cert], root, mid)


def _day(days: int) -> dt.datetime:
    return NOW + dt.timedelta(days=days)


def _wrong_issuer_name(trigger: str) -> Chain:
    chain = build(trigger)
    leaf_key = ec_key("p256", "diff-leaf")
    chain.leaf = build_free(name("DiffLeaf"), name("NotTheMid"), leaf_key.public_key(), chain.mid.key)
    return chain


def _self_signed_leaf(trigger: str) -> Chain:
    chain = build(trigger)
    chain.leaf = issue(name("DiffLeaf"), ec_key("p256", "diff-leaf"), None).cert
    return chain


def _leaf_is_anchor(trigger: str) -> Chain:
    chain = build(trigger)
    chain.anchors = [*chain.anchors, chain.leaf]
    return chain


def _flipped(trigger: str) -> Chain:
    chain = build(trigger)
    chain.leaf = flip_signature_bit(chain.leaf)
    return chain


def _name_constraints(trigger: str) -> Chain:
    constraint = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None
    )
    san = x509.SubjectAlternativeName([x509.DNSName("evil.example.org")])
    return build(trigger, mid_kw={"extensions": [*_mid_exts(trigger), (constraint, True)]},
                 leaf_kw={"extensions": [(san, False)]})  # fmt: skip


def _mid_exts(trigger: str) -> list[tuple[x509.ExtensionType, bool]]:
    return [FW_EXT] if trigger == "a" else []


def _unknown_critical(where: str) -> Callable[[str], Chain]:
    ext = raw_ext("1.3.6.1.4.1.55555.1", b"\x05\x00", critical=True)

    def make(trigger: str) -> Chain:
        if where == "leaf":
            return build(trigger, leaf_kw={"extensions": [ext]})
        return build(trigger, mid_kw={"extensions": [*_mid_exts(trigger), ext]})

    return make


def _long_path(trigger: str) -> Chain:
    # P2: nine intermediates (the trigger on the first) between leaf and anchor; eight is the limit.
    chain = build(trigger)
    issuer, certs = chain.mid, [chain.mid.cert]
    for depth in range(8):
        issuer = issue(name(f"DiffDeep{depth}"), ec_key("p256", f"diff-deep-{depth}"), issuer, ca=True)
        certs.append(issuer.cert)
    chain.leaf = issue(name("DiffLeaf"), ec_key("p256", "diff-leaf"), issuer).cert
    chain.candidates = certs
    return chain


def _loop(trigger: str) -> Chain:
    # P2/P3: X and Y issue each other (the trigger in Y's TBS), the leaf hangs below X, no anchor above.
    chain = build(trigger)
    kx, ky = rsa_key(2048, "diff-loop-x"), rsa_key(2048, "diff-loop-y")
    ca = (x509.BasicConstraints(ca=True, path_length=None), True)
    x = build_free(name("LoopX"), name("LoopY"), kx.public_key(), ky, extensions=(ca,))
    y = _signed_trigger(
        trigger, build_free(name("LoopY"), name("LoopX"), ky.public_key(), kx, extensions=(ca,)), kx
    )
    chain.leaf = issue(name("DiffLeaf"), ec_key("p256", "diff-leaf"), Issued(x, kx)).cert
    chain.candidates = [x, y, chain.mid.cert]
    return chain


def _simple(**kw: Any) -> Callable[[str], Chain]:
    return lambda trigger: build(trigger, **kw)


# name -> (builder, the trigger whose relaxation *is* this fault, or None)
FAULTS: dict[str, tuple[Callable[[str], Chain], str | None]] = {
    # SPEC v2 §5.3's closed list
    "leaf-v1": (_simple(leaf_edit=v1), None),
    "mid-v1": (_simple(mid_edit=v1), None),
    "leaf-serial-negative": (_simple(leaf_edit=set_serial(-5)), None),
    "mid-serial-negative": (_simple(mid_edit=set_serial(-(2**64))), None),
    "leaf-serial-21-octets": (_simple(leaf_edit=set_serial(2**167)), None),  # 00 80 ..: 22 content octets
    "leaf-serial-30-octets": (_simple(leaf_edit=set_serial(2**232)), None),
    "leaf-generalizedtime-before-2050": (_simple(leaf_edit=generalized("not_before")), None),
    "mid-generalizedtime-before-2050": (_simple(mid_edit=generalized("not_after")), None),
    "mid-empty-subject": (_simple(mid_subject=x509.Name([])), None),
    "mid-rsa-pss-key-signs-pkcs1": (_simple(mid_edit=pss_spki), None),
    "leaf-ecdsa-algorithm-under-rsa-key": (_simple(leaf_edit=with_alg(ECDSA_SHA256)), None),
    # P1-P10
    "P1-anchor-not-ca": (_simple(root_ca=False), None),
    "P2-path-of-9-intermediates": (_long_path, None),
    "P2-loop": (_loop, None),
    "P1-self-signed-leaf": (_self_signed_leaf, None),
    "P3-bad-signature": (_flipped, None),
    "P3-wrong-issuer-name": (_wrong_issuer_name, None),
    "P4-leaf-expired": (_simple(leaf_kw={"not_after": _day(-1)}), None),
    "P4-leaf-not-yet-valid": (_simple(leaf_kw={"not_before": _day(1)}), None),
    "P4-mid-expired": (_simple(mid_kw={"not_after": _day(-1)}), None),
    "P4-anchor-expired": (_simple(root_kw={"not_after": _day(-1)}), None),
    "P5-mid-ca-false": (_simple(mid_kw={"ca": False}), None),
    "P5-mid-no-basicconstraints": (_simple(mid_kw={"ca": None}), "a"),
    "P5-anchor-pathlen-0": (_simple(root_kw={"path_length": 0}), None),
    "P5-name-constraints-violated": (_name_constraints, None),
    "P6-leaf-unknown-critical": (_unknown_critical("leaf"), None),
    "P6-mid-unknown-critical": (_unknown_critical("mid"), None),
    "P7-leaf-sha1": (_simple(leaf_edit=with_alg(RSA_SHA1)), "b"),
    "P7-mid-ed25519-key": (_simple(mid_key=ed25519_key("diff-ed")), None),
    "P7-mid-rsa-1024-key": (_simple(mid_key=rsa_key(1024, "diff-1024")), None),
    "P9-leaf-is-anchor": (_leaf_is_anchor, None),
}

# Rules where the pinned validator is stricter than tier 1 (cryptography 50 accepts these). Harmless:
# the pinned validator only runs after tier 1 rejected, so it can only refuse more, never accept more.
PINNED_STRICTER: dict[str, Callable[[str], Chain]] = {
    "leaf-serial-zero": _simple(leaf_edit=set_serial(0)),
    "leaf-serial-21-value-octets": _simple(leaf_edit=set_serial(2**160)),  # 01 00 ..: no sign octet
}
