"""Android-like test PKI for `android-key`: a KeyDescription DER encoder and Google-like chains.

The encoder is written by hand from the KeyDescription schema (Android key attestation docs,
SPEC §4.4), independently of `attestverify.android.keydescription`: tests must not check the
reader against itself. An AuthorizationList is given as `{tag: inner DER}` so a test can replace,
drop or add exactly one field.

Hierarchies: an RSA root -> EC batch intermediate -> leaf (the pre-RKP factory shape), an EC
P-384 root -> intermediate -> leaf, and a remote-provisioning-like four levels (root -> "Droid
CA2" -> "Droid CA3" -> per-device RKP certificate -> leaf). The leaf is "Android Keystore Key"
without basicConstraints, as on real devices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from pki import KEY_AUTHORIZATION, NOW, Issued, PrivateKey, ec_key, ed25519_key, issue, name, raw_ext, rsa_key

OID_KEY_DESCRIPTION = "1.3.6.1.4.1.11129.2.1.17"
SERIAL = "ANDROID-SERIAL-0042"

# Keymaster tag numbers (AuthorizationList [n]).
PURPOSE, ALGORITHM, KEY_SIZE, DIGEST, PADDING, EC_CURVE = 1, 2, 3, 5, 6, 10
RSA_PUBLIC_EXPONENT = 200
NO_AUTH_REQUIRED, ALL_APPLICATIONS = 503, 600
CREATION_DATE_TIME, ORIGIN, ROLLBACK_RESISTANT, ROOT_OF_TRUST = 701, 702, 703, 704
OS_VERSION, OS_PATCH_LEVEL, ATTESTATION_APPLICATION_ID = 705, 706, 709
ID_BRAND, ID_DEVICE, ID_PRODUCT, ID_SERIAL, ID_IMEI, ID_MEID, ID_MANUFACTURER, ID_MODEL = range(710, 718)
VENDOR_PATCH_LEVEL, BOOT_PATCH_LEVEL, DEVICE_UNIQUE_ATTESTATION = 718, 719, 720
ID_SECOND_IMEI, MODULE_HASH = 723, 724


# --- hand-written DER ---------------------------------------------------------------------------


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag_bytes: bytes, content: bytes) -> bytes:
    return tag_bytes + der_len(len(content)) + content


def integer(value: int) -> bytes:
    """DER INTEGER (two's complement, minimal)."""
    length = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return tlv(b"\x02", value.to_bytes(length, "big", signed=True))


def enumerated(value: int) -> bytes:
    return b"\x0a" + integer(value)[1:]


def octets(value: bytes) -> bytes:
    return tlv(b"\x04", value)


def boolean(value: bool) -> bytes:
    return b"\x01\x01" + (b"\xff" if value else b"\x00")


def null() -> bytes:
    return b"\x05\x00"


def sequence(*items: bytes) -> bytes:
    return tlv(b"\x30", b"".join(items))


def set_of(*items: bytes, sort: bool = True) -> bytes:
    return tlv(b"\x31", b"".join(sorted(items) if sort else items))


def int_set(*values: int) -> bytes:
    return set_of(*(integer(v) for v in values))


def context_tag(number: int) -> bytes:
    """Identifier octets of `[number]` context-specific constructed."""
    if number < 31:
        return bytes([0xA0 | number])
    digits = []
    while True:
        digits.append(number & 0x7F)
        number >>= 7
        if not number:
            break
    digits.reverse()
    return bytes([0xBF]) + bytes([d | 0x80 for d in digits[:-1]] + [digits[-1]])


def explicit(number: int, inner: bytes) -> bytes:
    return tlv(context_tag(number), inner)


def authorization_list(fields: Mapping[int, bytes], *, order: Sequence[int] | None = None) -> bytes:
    """AuthorizationList from `{tag: inner DER}`, in tag order unless `order` says otherwise."""
    tags = sorted(fields) if order is None else list(order)
    return sequence(*(explicit(t, fields[t]) for t in tags))


def root_of_trust(
    *, key: bytes = b"\x11" * 32, locked: bool = True, state: int = 0, boot_hash: bytes | None = b"\x22" * 32
) -> bytes:
    items = [octets(key), boolean(locked), enumerated(state)]
    if boot_hash is not None:
        items.append(octets(boot_hash))
    return sequence(*items)


def application_id() -> bytes:
    """A small AttestationApplicationId (package name, version, signature digest)."""
    package = sequence(octets(b"com.example.acme"), integer(7))
    return sequence(set_of(package), set_of(octets(b"\x33" * 32)))


def software_fields() -> dict[int, bytes]:
    return {
        CREATION_DATE_TIME: integer(1_780_000_000_000),
        ATTESTATION_APPLICATION_ID: octets(application_id()),
    }


def hardware_fields(key_kind: str = "p256", *, serial: str | bytes | None = SERIAL) -> dict[int, bytes]:
    """A hardware-enforced list that passes K9/K10/K13 for a key of `key_kind`."""
    algorithm, size, curve = {
        "p256": (3, 256, 1),
        "p384": (3, 384, 2),
        "p521": (3, 521, 3),
        "rsa2048": (1, 2048, None),
        "ed25519": (3, 256, 4),
    }[key_kind]
    fields = {
        PURPOSE: int_set(2),
        ALGORITHM: integer(algorithm),
        KEY_SIZE: integer(size),
        DIGEST: int_set(4),
        NO_AUTH_REQUIRED: null(),
        ORIGIN: integer(0),
        ROOT_OF_TRUST: root_of_trust(),
        OS_VERSION: integer(160000),
        OS_PATCH_LEVEL: integer(202605),
        ID_BRAND: octets(b"acme"),
        ID_DEVICE: octets(b"roadrunner"),
        ID_PRODUCT: octets(b"roadrunner_pro"),
        ID_MANUFACTURER: octets(b"ACME Corp"),
        ID_MODEL: octets(b"Roadrunner Pro"),
        VENDOR_PATCH_LEVEL: integer(20260505),
        BOOT_PATCH_LEVEL: integer(20260505),
    }
    if curve is not None:
        fields[EC_CURVE] = integer(curve)
    else:
        fields[PADDING] = int_set(5)
        fields[RSA_PUBLIC_EXPONENT] = integer(65537)
    if serial is not None:
        fields[ID_SERIAL] = octets(serial.encode() if isinstance(serial, str) else serial)
    return fields


def key_description(
    *,
    version: int = 400,
    attestation_level: int = 1,
    keymint_version: int = 400,
    keymint_level: int = 1,
    challenge: bytes = KEY_AUTHORIZATION.encode(),
    unique_id: bytes = b"",
    software: Mapping[int, bytes] | None = None,
    hardware: Mapping[int, bytes] | None = None,
    key_kind: str = "p256",
) -> bytes:
    """The KeyDescription DER (SEQUENCE of the eight fields, SPEC §4.4)."""
    return sequence(
        integer(version),
        enumerated(attestation_level),
        integer(keymint_version),
        enumerated(keymint_level),
        octets(challenge),
        octets(unique_id),
        authorization_list(software_fields() if software is None else software),
        authorization_list(hardware_fields(key_kind) if hardware is None else hardware),
    )


# --- certificates -------------------------------------------------------------------------------


def leaf_key(kind: str, label: str = "leaf") -> PrivateKey:
    if kind in ("p256", "p384", "p521"):
        return ec_key(kind, f"android-{label}")
    if kind == "rsa2048":
        return rsa_key(2048, f"android-{label}")
    if kind == "ed25519":
        return ed25519_key(f"android-{label}")
    raise ValueError(kind)


def android_leaf(
    issuer: Issued,
    key: PrivateKey,
    kd: bytes | None,
    *,
    ca: bool | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> Issued:
    """An "Android Keystore Key" leaf carrying `kd` (None: no KeyDescription)."""
    exts = list(extensions)
    if kd is not None:
        exts.append(raw_ext(OID_KEY_DESCRIPTION, kd))
    return issue(
        name("Android Keystore Key"),
        key,
        issuer,
        ca=ca,
        extensions=exts,
        not_before=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc),
        not_after=dt.datetime(2048, 1, 1, tzinfo=dt.timezone.utc),
        ski=False,
    )


@dataclass
class Tree:
    """An issued hierarchy; `x5c` is what the device sends (leaf first, root not included)."""

    root: Issued
    intermediates: list[Issued]  # issuer of the leaf first
    leaf: Issued
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def x5c(self) -> list[bytes]:
        return [self.leaf.der, *(i.der for i in self.intermediates)]

    @property
    def roots(self) -> tuple[x509.Certificate, ...]:
        return (self.root.cert,)

    @property
    def chain(self) -> list[Issued]:
        return [self.leaf, *self.intermediates, self.root]


def rsa_root() -> Issued:
    return issue(
        name(None, serial_number="f92009e8deadbeef"), rsa_key(2048, "android-rsa-root"), None, ca=True
    )


def ec_root() -> Issued:
    return issue(
        name("Test Key Attestation CA1", organization_name="Test"),
        ec_key("p384", "android-ec-root"),
        None,
        ca=True,
    )


def batch_tree(
    key_kind: str = "p256", *, kd: bytes | None = None, root: str = "rsa", **kd_kw: object
) -> Tree:
    """root -> batch intermediate (EC P-256, cA=TRUE) -> leaf: the factory-provisioned shape."""
    anchor = rsa_root() if root == "rsa" else ec_root()
    batch = issue(
        name("Test Android Attestation Batch", organization_name="Test"),
        ec_key("p256", f"android-batch-{root}"),
        anchor,
        ca=True,
    )
    if kd is None:
        kd = key_description(key_kind=key_kind, **kd_kw)  # type: ignore[arg-type]
    return Tree(anchor, [batch], android_leaf(batch, leaf_key(key_kind), kd))


def rkp_tree(key_kind: str = "p256", *, kd: bytes | None = None, **kd_kw: object) -> Tree:
    """Remote key provisioning-like: root -> Droid CA2 -> Droid CA3 -> device RKP cert -> leaf."""
    anchor = ec_root()
    ca2 = issue(
        name("Test Droid CA2", organization_name="Test"), ec_key("p384", "droid-ca2"), anchor, ca=True
    )
    ca3 = issue(name("Test Droid CA3", organization_name="Test"), ec_key("p256", "droid-ca3"), ca2, ca=True)
    device = issue(
        name("0123456789abcdef0123456789abcdef", organization_name="TEE"),
        ec_key("p256", "droid-rkp"),
        ca3,
        ca=True,
        not_before=NOW - dt.timedelta(days=2),
        not_after=NOW + dt.timedelta(days=20),
    )
    if kd is None:
        kd = key_description(key_kind=key_kind, **kd_kw)  # type: ignore[arg-type]
    return Tree(anchor, [device, ca3, ca2], android_leaf(device, leaf_key(key_kind), kd))


def sign(key: PrivateKey, message: bytes = KEY_AUTHORIZATION.encode()) -> bytes:
    """What the ACME client does with the Keystore key (digest SHA-256, PKCS#1 for RSA)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key.sign(message)


def statement(tree: Tree, *, signature: bytes | None = None, alg: int = -7) -> dict[str, Any]:
    """The decoded attestation object `{"fmt": "android-key", "attStmt": {...}}`."""
    sig = sign(tree.leaf.key) if signature is None else signature
    return {"fmt": "android-key", "attStmt": {"alg": alg, "sig": sig, "x5c": tree.x5c}}


def att_obj(tree: Tree) -> bytes:
    """The CBOR attestation object of `statement(tree)`."""
    return cbor2.dumps(statement(tree))
