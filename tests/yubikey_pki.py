"""YubiKey-like test PKI for the `step` format: PIV root -> F9 -> slot leaf, and the 5.7.4 tree.

Shapes follow real Yubico certificates (see testdata/vectors/step): RSA-2048 issuers, an F9
"device" certificate carrying the firmware extension, and a slot leaf "YubiKey PIV Attestation <slot>"
with firmware, serial, policy and form-factor extensions and no basicConstraints.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from pki import KEY_AUTHORIZATION, NOT_AFTER, NOT_BEFORE, Issued, PrivateKey, issue, name, raw_ext, rsa_key

OID_FIRMWARE = "1.3.6.1.4.1.41482.3.3"
OID_SERIAL = "1.3.6.1.4.1.41482.3.7"
OID_POLICY = "1.3.6.1.4.1.41482.3.8"
OID_FORM_FACTOR = "1.3.6.1.4.1.41482.3.9"
OID_FIPS_CERTIFIED = "1.3.6.1.4.1.41482.3.10"
OID_CSPN_CERTIFIED = "1.3.6.1.4.1.41482.3.11"
OID_MANAGED_DEVICE = "1.3.6.1.4.1.37476.9000.64.4"

Ext = tuple[x509.ExtensionType, bool]


def der_integer(value: int) -> bytes:
    """Minimal DER INTEGER (non-negative)."""
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes([0x02, len(body)]) + body


def utf8_sequence(text: str) -> bytes:
    """DER `SEQUENCE { UTF8String text }` (short lengths only)."""
    inner = text.encode()
    return bytes([0x30, len(inner) + 2, 0x0C, len(inner)]) + inner


def firmware(major: int, minor: int, patch: int) -> Ext:
    return raw_ext(OID_FIRMWARE, bytes([major, minor, patch]))


def yubico_leaf_extensions(
    *,
    fw: tuple[int, int, int] | None = (5, 4, 3),
    serial: int | bytes | None = 15732500,
    policy: bytes | None = b"\x02\x01",
    form_factor: bytes | None = b"\x04",
) -> list[Ext]:
    """The Yubico slot-leaf extensions in the order real leaves carry them (3.3, 3.7, 3.8, 3.9)."""
    exts: list[Ext] = []
    if fw is not None:
        exts.append(firmware(*fw))
    if serial is not None:
        exts.append(raw_ext(OID_SERIAL, serial if isinstance(serial, bytes) else der_integer(serial)))
    if policy is not None:
        exts.append(raw_ext(OID_POLICY, policy))
    if form_factor is not None:
        exts.append(raw_ext(OID_FORM_FACTOR, form_factor))
    return exts


def piv_root(label: str = "piv-root") -> Issued:
    """A Yubico-like "PIV Root CA" (RSA-2048, cA=TRUE)."""
    return issue(name(f"Test Yubico PIV Root CA {label}"), rsa_key(2048, label), None, ca=True)


def f9(
    issuer: Issued, *, legacy: bool = False, fw: tuple[int, int, int] = (5, 4, 3), label: str = "f9"
) -> Issued:
    """The per-batch F9 certificate; `legacy=True` omits basicConstraints (firmware 4.3.x / 5.2.4)."""
    return issue(
        name("Yubico PIV Attestation"),
        rsa_key(2048, label),
        issuer,
        ca=None if legacy else True,
        path_length=None if legacy else 0,
        key_usage=not legacy,
        extensions=[firmware(*fw)],
    )


def slot_key(kind: str) -> PrivateKey:
    from pki import ec_key, ed25519_key

    if kind == "p256":
        return ec_key("p256", "slot")
    if kind == "rsa2048":
        return rsa_key(2048, "slot")
    if kind == "ed25519":
        return ed25519_key("slot")
    raise ValueError(kind)


def leaf(
    issuer: Issued,
    key: PrivateKey | None = None,
    *,
    public_key: object | None = None,
    slot: str = "9a",
    cn: str | None = None,
    extensions: Sequence[Ext] | None = None,
    ca: bool | None = None,
) -> Issued:
    """A slot attestation leaf signed by `issuer` (the F9). `public_key` overrides the key in the cert."""
    exts = yubico_leaf_extensions() if extensions is None else list(extensions)
    key = key or slot_key("p256")
    if public_key is None:
        return issue(
            name(cn or f"YubiKey PIV Attestation {slot}"), key, issuer, ca=ca, extensions=exts, ski=False
        )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(cn or f"YubiKey PIV Attestation {slot}"))
        .issuer_name(issuer.cert.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
    )
    for ext, critical in exts:
        builder = builder.add_extension(ext, critical=critical)
    return Issued(builder.sign(issuer.key, hashes.SHA256()), key)


@dataclass
class Tree:
    """Issued certificates of one hierarchy; `x5c` is what a device sends (leaf first)."""

    root: Issued
    f9: Issued
    leaf: Issued
    intermediates: tuple[Issued, ...] = ()

    @property
    def x5c(self) -> list[bytes]:
        return [self.leaf.der, self.f9.der]


def legacy_tree(key_kind: str = "p256", *, legacy_f9: bool = False, **leaf_kw: object) -> Tree:
    """Root -> F9 -> leaf (pre-5.7 hierarchy)."""
    root = piv_root()
    f9_cert = f9(root, legacy=legacy_f9, label="f9-legacy" if legacy_f9 else "f9")
    return Tree(root, f9_cert, leaf(f9_cert, slot_key(key_kind), **leaf_kw))  # type: ignore[arg-type]


def tree_574(key_kind: str = "p256") -> Tree:
    """Attestation Root 1 -> Attestation Intermediate B 1 -> PIV Attestation B 1 -> F9 -> leaf."""
    root = issue(name("Test Yubico Attestation Root 1"), rsa_key(2048, "att-root"), None, ca=True)
    inter = issue(
        name("Test Yubico Attestation Intermediate B 1"),
        rsa_key(2048, "att-inter"),
        root,
        ca=True,
        path_length=2,
    )
    piv = issue(
        name("Test Yubico PIV Attestation B 1"), rsa_key(2048, "piv-att"), inter, ca=True, path_length=1
    )
    f9_cert = issue(
        name("YubiKey PIV Attestation"), rsa_key(2048, "f9-574"), piv, ca=True, path_length=0,
        extensions=[firmware(5, 7, 4)],
    )  # fmt: skip
    leaf_cert = leaf(f9_cert, slot_key(key_kind), extensions=yubico_leaf_extensions(fw=(5, 7, 4)))
    return Tree(root, f9_cert, leaf_cert, (inter, piv))


def managed_device_tree(device_id: bytes | str = "device-0001", *, key_kind: str = "p256") -> Tree:
    """A customer CA -> intermediate -> step-managed-device leaf with OID 37476.9000.64.4."""
    root = issue(name("Customer Root"), rsa_key(2048, "customer-root"), None, ca=True)
    inter = issue(
        name("Customer Intermediate"), rsa_key(2048, "customer-inter"), root, ca=True, path_length=0
    )
    value = utf8_sequence(device_id) if isinstance(device_id, str) else device_id
    leaf_cert = leaf(inter, slot_key(key_kind), cn="device", extensions=[raw_ext(OID_MANAGED_DEVICE, value)])
    return Tree(root, inter, leaf_cert)


def sign(key: PrivateKey, message: bytes = KEY_AUTHORIZATION.encode()) -> bytes:
    """What the step client does: sign the key authorization with the slot key."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key.sign(message)


def att_obj(x5c: Sequence[bytes], signature: bytes, *, alg: int = -7, wrap: bool = True) -> bytes:
    """The CBOR attestation object; `sig` is the CBOR-encoded byte string holding the signature."""
    sig = cbor2.dumps(signature) if wrap else signature
    return cbor2.dumps({"fmt": "step", "attStmt": {"alg": alg, "sig": sig, "x5c": list(x5c)}})


def statement(tree: Tree) -> bytes:
    return att_obj(tree.x5c, sign(tree.leaf.key))


# --- ROCA -------------------------------------------------------------------------------------

_SMALL_PRIMES = (
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
)  # fmt: skip


def roca_modulus(bits: int = 2048, seed: int = 2017) -> int:
    """A modulus with the ROCA fingerprint: the product of two numbers p = k*M + (65537^a mod M).

    M is the primorial of the small primes the detector uses, so N mod r lies in the subgroup
    generated by 65537 for each of them. p and q need not be prime for the fingerprint (it is
    not a real key, it only has to look like one).
    """
    rng = random.Random(seed)
    primorial = 2
    for p in _SMALL_PRIMES:
        primorial *= p
    half = bits // 2
    while True:
        factors = []
        for _ in range(2):
            residue = pow(65537, rng.randrange(1, 10_000), primorial)
            k = rng.randrange(2 ** (half - 1) // primorial, 2**half // primorial)
            factors.append(k * primorial + residue)
        n = factors[0] * factors[1]
        if n.bit_length() == bits:
            return n
