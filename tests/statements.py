"""Complete, valid attestation statements of every format, in one place, for cross-cutting tests.

The reliability tests (properties, limits, concurrency, security regressions) and the benchmarks
need "a valid statement of format X" without caring how it was made. The builders here only
assemble what the per-format helpers already provide (`apple_pki`, `yubikey_pki`, `tpm_pki`,
`android_pki`, and
the committed swtpm fixtures in `testdata/swtpm-generated/`); they add no certificate logic.

Each builder returns a `Case`: the decoded attestation object, the key authorization it is bound
to, the anchors it chains to, the pinned `now`, and `verify()` with exactly those arguments.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import android_pki
import apple_pki
import cbor2
import pki
import tpm_pki
import yubikey_pki as yk
from cryptography import x509
from vectors import SWTPM_FIXTURES

import attestverify

SWTPM_VARIANTS = (
    "ak-ecc-key-ecc",
    "ak-ecc-key-rsa",
    "ak-rsa-key-ecc",
    "ak-rsa-key-rsa",
    "ak-rsa-rs1-key-rsa",
)


@dataclass(frozen=True)
class Case:
    """One valid statement and the exact `verify()` arguments that accept it.

    Attributes:
        name: a short label for test ids and benchmark rows.
        fmt: the attestation format.
        obj: the decoded attestation object `{"fmt": ..., "attStmt": {...}}` (never mutate it:
            use `fresh()`).
        key_authorization: what the statement is bound to.
        roots: anchors for `fmt` (passed as `roots={fmt: roots}`).
        now: the pinned verification instant.
        extra: further `verify()` keywords (e.g. `intermediates`).
    """

    name: str
    fmt: str
    obj: Mapping[str, Any]
    key_authorization: str
    roots: tuple[x509.Certificate, ...]
    now: dt.datetime
    extra: Mapping[str, Any] = field(default_factory=dict)

    def fresh(self) -> dict[str, Any]:
        """A deep copy of the attestation object, safe to mutate."""
        return copy.deepcopy(dict(self.obj))

    @functools.cached_property
    def cbor(self) -> bytes:
        """The attestation object as CBOR bytes (what an ACME client sends, base64url removed)."""
        return cbor2.dumps(dict(self.obj))

    @property
    def att_stmt(self) -> Mapping[str, Any]:
        return self.obj["attStmt"]  # type: ignore[no-any-return]

    def kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The `verify()` keywords of this case (roots as a per-format mapping), with overrides."""
        kw: dict[str, Any] = {"roots": {self.fmt: list(self.roots)}, "now": self.now, **self.extra}
        kw.update(overrides)
        return kw

    def verify(self, statement: object = None, **overrides: Any) -> attestverify.DeviceIdentity:
        """`attestverify.verify` on `statement` (default: this case's CBOR) with this case's arguments."""
        return attestverify.verify(
            self.cbor if statement is None else statement,  # type: ignore[arg-type]
            self.key_authorization,
            **self.kwargs(**overrides),
        )


def _case(name: str, obj: Mapping[str, Any], roots: tuple[x509.Certificate, ...], **kw: Any) -> Case:
    return Case(
        name=name,
        fmt=str(obj["fmt"]),
        obj=obj,
        key_authorization=kw.pop("key_authorization", pki.KEY_AUTHORIZATION),
        roots=roots,
        now=kw.pop("now", pki.NOW),
        extra=kw,
    )


@functools.cache
def apple() -> Case:
    """Apple-like P-384 root -> Sub CA -> leaf with every Apple extension (apple_pki)."""
    root, sub = apple_pki.hierarchy()
    leaf = apple_pki.leaf()
    obj = {"fmt": "apple", "attStmt": {"x5c": [leaf.der, sub.der]}}
    return _case("apple-p384", obj, (root.cert,))


@functools.cache
def step(key_kind: str = "p256") -> Case:
    """YubiKey-like 3-level tree: PIV root -> F9 -> slot leaf (`key_kind` p256/rsa2048/ed25519)."""
    tree = yk.legacy_tree(key_kind)
    obj = cbor2.loads(yk.statement(tree))
    return _case(f"step-{key_kind}-3level", obj, (tree.root.cert,))


@functools.cache
def step_574(key_kind: str = "p256") -> Case:
    """YubiKey 5.7.4-like 5-level tree; the client sends every intermediate."""
    tree = yk.tree_574(key_kind)
    x5c = [tree.leaf.der, tree.f9.der, *(i.der for i in reversed(tree.intermediates))]
    obj = cbor2.loads(yk.att_obj(x5c, yk.sign(tree.leaf.key)))
    return _case(f"step-{key_kind}-5level", obj, (tree.root.cert,))


@functools.cache
def tpm_generated(ak_kind: str = "ecc", key_kind: str = "ecc") -> Case:
    """A `tpm` statement signed by a software AK (tpm_pki), AK ECC/RSA x attested key ECC/RSA."""
    ak = pki.ec_key("p256", "tpm-ak") if ak_kind == "ecc" else pki.rsa_key(2048, "tpm-ak")
    attested = pki.ec_key("p256", "tpm-attested") if key_kind == "ecc" else pki.rsa_key(2048, "tpm-attested")
    st = tpm_pki.statement(ak=ak, attested=attested, alg=-7 if ak_kind == "ecc" else -257)
    return _case(f"tpm-gen-ak-{ak_kind}-key-{key_kind}", st.attobj(), (st.root,))


@functools.cache
def tpm_swtpm(variant: str = "ak-ecc-key-ecc") -> Case:
    """A real swtpm `TPM2_Certify` statement from the committed fixtures."""
    data = json.loads((SWTPM_FIXTURES / f"{variant}.json").read_text())
    obj = cbor2.loads(bytes.fromhex(data["attobj_hex"]))
    root = x509.load_pem_x509_certificate(data["root_pem"].encode())
    return _case(
        f"tpm-swtpm-{variant}",
        obj,
        (root,),
        key_authorization=data["key_authorization"],
        now=dt.datetime.fromisoformat(data["now"]),
    )


_ANDROID = {"formats": ("android-key",), "android_status": attestverify.android.STATUS_UNCHECKED}


@functools.cache
def android(key_kind: str = "p256") -> Case:
    """Google-like RSA root -> EC batch -> Android Keystore leaf (android_pki), `key_kind` leaf key."""
    tree = android_pki.batch_tree(key_kind)
    return _case(f"android-{key_kind}-batch", android_pki.statement(tree), tree.roots, **_ANDROID)


@functools.cache
def android_rkp() -> Case:
    """Remote-provisioning-like four levels under an EC P-384 root."""
    tree = android_pki.rkp_tree()
    return _case("android-p256-rkp", android_pki.statement(tree), tree.roots, **_ANDROID)


def all_cases() -> tuple[Case, ...]:
    """One representative case per format and shape (cheap after the first call: all cached)."""
    return (
        apple(),
        step("p256"),
        step("rsa2048"),
        step("ed25519"),
        step_574("p256"),
        tpm_generated("ecc", "ecc"),
        tpm_generated("rsa", "rsa"),
        *(tpm_swtpm(v) for v in SWTPM_VARIANTS),
        android("p256"),
        android("rsa2048"),
        android_rkp(),
    )
