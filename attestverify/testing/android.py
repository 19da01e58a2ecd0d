"""The `android-key` builder of `attestverify.testing`: a Google-like test PKI and a KeyDescription.

Root (EC P-384) -> batch intermediate (EC P-256, cA=TRUE) -> "Android Keystore Key" leaf carrying
a KeyDescription (1.3.6.1.4.1.11129.2.1.17, attestationVersion 400) encoded here by hand from the
KeyDescription schema: TrustedEnvironment levels, the key authorization as attestationChallenge,
origin GENERATED, purpose SIGN, a verified boot with a locked bootloader, and the identifier as
hardware-enforced attestationIdSerial. The leaf key signs the key authorization (`sig`, no CBOR
wrapper). Nothing here is a Google certificate; verify the result with `roots=st.roots` and an
explicit `android_status` (`TestStatement.verify` passes `android.STATUS_UNCHECKED`).
"""

from __future__ import annotations

import datetime as dt
import secrets

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from .pki import PrivateKey, issue, name, new_key, sign
from .statement import TestStatement

__all__ = ["OID_KEY_DESCRIPTION", "android_key", "key_description"]

OID_KEY_DESCRIPTION = "1.3.6.1.4.1.11129.2.1.17"
_ALGORITHM = {"rsa": 1, "ec": 3}


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: bytes, content: bytes) -> bytes:
    return tag + _length(len(content)) + content


def _integer(value: int) -> bytes:
    return _tlv(b"\x02", value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _explicit(number: int, inner: bytes) -> bytes:
    if number < 31:
        return _tlv(bytes([0xA0 | number]), inner)
    digits = [number & 0x7F]
    number >>= 7
    while number:
        digits.append(0x80 | (number & 0x7F))
        number >>= 7
    return _tlv(bytes([0xBF, *reversed(digits)]), inner)


def _authorization_list(fields: dict[int, bytes]) -> bytes:
    return _tlv(b"\x30", b"".join(_explicit(tag, fields[tag]) for tag in sorted(fields)))


def key_description(
    challenge: bytes,
    *,
    serial: str | None,
    algorithm: str = "ec",
    security_level: int = 1,
    verified_boot_state: int = 0,
    device_locked: bool = True,
    creation_ms: int = 0,
) -> bytes:
    """A DER KeyDescription (attestationVersion 400) for a generated, signing, hardware key.

    Args:
        challenge: attestationChallenge (for ACME the UTF-8 key authorization).
        serial: hardware-enforced attestationIdSerial, or `None` for none.
        algorithm: `"ec"` or `"rsa"` (informational).
        security_level: attestation and KeyMint security level (0 Software, 1 TEE, 2 StrongBox).
        verified_boot_state: RootOfTrust verifiedBootState (0 Verified ... 3 Failed).
        device_locked: RootOfTrust deviceLocked.
        creation_ms: softwareEnforced creationDateTime.
    """
    root_of_trust = _tlv(
        b"\x30",
        _tlv(b"\x04", b"\x11" * 32)
        + _tlv(b"\x01", b"\xff" if device_locked else b"\x00")
        + _tlv(b"\x0a", bytes([verified_boot_state]))
        + _tlv(b"\x04", b"\x22" * 32),
    )
    hardware = {
        1: _tlv(b"\x31", _integer(2)),  # purpose SIGN
        2: _integer(_ALGORITHM[algorithm]),
        5: _tlv(b"\x31", _integer(4)),  # digest SHA-256
        503: _tlv(b"\x05", b""),  # noAuthRequired
        702: _integer(0),  # origin GENERATED
        704: root_of_trust,
        705: _integer(150000),
        706: _integer(202601),
    }
    if serial is not None:
        hardware[713] = _tlv(b"\x04", serial.encode("utf-8"))
    software = {701: _integer(creation_ms)}
    level = _tlv(b"\x0a", bytes([security_level]))
    return _tlv(
        b"\x30",
        _integer(400)
        + level
        + _integer(400)
        + level
        + _tlv(b"\x04", challenge)
        + _tlv(b"\x04", b"")
        + _authorization_list(software)
        + _authorization_list(hardware),
    )


def android_key(
    key_authorization: str,
    *,
    identifier: str | None = None,
    now: dt.datetime,
    key_kind: str = "p256",
    device_key: PrivateKey | None = None,
    challenge: bytes | None = None,
    signed_message: bytes | None = None,
    security_level: int = 1,
    verified_boot_state: int = 0,
    device_locked: bool = True,
) -> TestStatement:
    """An Android Key Attestation-like statement (format `android-key`).

    `identifier` is the hardware-attested serial (default: random); `key_kind` the leaf key
    (p256, p384, rsa2048, ed25519); `challenge` replaces the attestationChallenge (K11) and
    `signed_message` the signed key authorization (K12); `security_level`, `verified_boot_state`
    and `device_locked` go into the KeyDescription (K8, K10).
    """
    serial = identifier or "ANDROID" + secrets.token_hex(5).upper()
    root = issue(name("Test Google-like Hardware Attestation Root"), new_key("p384"), None, now, ca=True)
    batch = issue(name("Test Android-like Attestation Batch"), new_key("p256"), root, now, ca=True)
    key = device_key or new_key(key_kind)
    kd = key_description(
        key_authorization.encode() if challenge is None else challenge,
        serial=serial,
        algorithm="rsa" if isinstance(key, rsa.RSAPrivateKey) else "ec",
        security_level=security_level,
        verified_boot_state=verified_boot_state,
        device_locked=device_locked,
        creation_ms=int(now.timestamp()) * 1000,
    )
    extension = x509.UnrecognizedExtension(x509.ObjectIdentifier(OID_KEY_DESCRIPTION), kd)
    leaf = issue(
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Android Keystore Key")]),
        key,
        batch,
        now,
        ca=None,
        extensions=[(extension, False)],
    )
    message = key_authorization.encode() if signed_message is None else signed_message
    alg = (
        -257
        if isinstance(key, rsa.RSAPrivateKey)
        else -8
        if isinstance(key, ed25519.Ed25519PrivateKey)
        else -7
    )
    obj = {
        "fmt": "android-key",
        "attStmt": {"alg": alg, "sig": sign(key, message), "x5c": [leaf.der, batch.der]},
    }
    return TestStatement.of(
        obj, key_authorization, now, root=root.cert, key=key, identifiers=[serial], serial=serial
    )
