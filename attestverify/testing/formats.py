"""Per-format statement builders of `attestverify.testing` (apple, step, tpm; android-key in `android.py`).

Each builder takes the key authorization, the identifier to attest, `now` and its own keyword
variations, and returns a `TestStatement`. They follow the documented layouts closely enough for
`verify()` to accept the result with the builder's roots; they are not copies of any vendor's PKI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import struct
from collections.abc import Callable
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .android import android_key
from .pki import PrivateKey, issue, name, new_key, san_for, sign
from .statement import TestStatement

__all__ = ["apple", "step", "tpm"]

Builder = Callable[..., TestStatement]

_APPLE = "1.2.840.113635.100.8."
_YUBICO_SERIAL = "1.3.6.1.4.1.41482.3.7"
_YUBICO_FIRMWARE = "1.3.6.1.4.1.41482.3.3"
_YUBICO_POLICY = "1.3.6.1.4.1.41482.3.8"
_STEP_MANAGED = "1.3.6.1.4.1.37476.9000.64.4"


def _raw(oid: str, value: bytes) -> tuple[x509.ExtensionType, bool]:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), False


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes([0x02, len(body)]) + body


def _token(key_authorization: str) -> str:
    return key_authorization.split(".", 1)[0]


def apple(
    key_authorization: str,
    *,
    identifier: str | None = None,
    now: dt.datetime,
    udid: str | None = None,
    nonce: bytes | None = None,
    device_key: PrivateKey | None = None,
) -> TestStatement:
    """An Apple-like statement: P-384 root -> Sub CA -> leaf with the Apple OIDs.

    `identifier` is the serial number (default: random); `udid` likewise; `nonce` replaces the
    freshness code SHA-256(token) (pass `b""` or another value to test A6).
    """
    serial = identifier or "TEST" + secrets.token_hex(4).upper()
    udid = udid or "00008103-" + secrets.token_hex(8).upper()
    root = issue(name("Test Apple-like Attestation Root"), new_key("p384"), None, now, ca=True)
    sub = issue(
        name("Test Apple-like Attestation Sub CA"), new_key("p384"), root, now, ca=True, path_length=0
    )
    key = device_key or new_key("p256")
    freshness = hashlib.sha256(_token(key_authorization).encode()).digest() if nonce is None else nonce
    values = {
        "9.1": serial.encode(),
        "9.2": udid.encode(),
        "10.1": b"17.0",
        "11.1": freshness,
        "13.1": b"\x02\x01\x00",
        "13.2": b"Full Security",
    }
    extensions = [_raw(_APPLE + oid, value) for oid, value in values.items() if value]
    leaf = issue(
        name(secrets.token_hex(32), "Apple-like test device"), key, sub, now, ca=False, extensions=extensions
    )
    obj = {"fmt": "apple", "attStmt": {"x5c": [leaf.der, sub.der]}}
    return TestStatement.of(
        obj, key_authorization, now, root=root.cert, key=key, identifiers=[udid, serial], serial=serial
    )


def step(
    key_authorization: str,
    *,
    identifier: str | None = None,
    now: dt.datetime,
    key_kind: str = "p256",
    device_key: PrivateKey | None = None,
    firmware: tuple[int, int, int] = (5, 4, 3),
    signed_message: bytes | None = None,
) -> TestStatement:
    """A YubiKey-like (decimal `identifier`) or step-managed-device (any other) statement.

    Root -> F9-like intermediate -> slot leaf; the leaf key (`key_kind` p256, rsa2048, ed25519)
    signs the key authorization (or `signed_message`, to test S6).
    """
    serial = identifier or str(10_000_000 + secrets.randbelow(90_000_000))
    root = issue(name("Test YubiKey-like PIV Root CA"), new_key("p384"), None, now, ca=True)
    f9 = issue(
        name("Test YubiKey-like PIV Attestation"), new_key("p256"), root, now, ca=True, path_length=0,
        extensions=[_raw(_YUBICO_FIRMWARE, bytes(firmware))],
    )  # fmt: skip
    if serial.isdigit() and serial == str(int(serial)):
        ext = [_raw(_YUBICO_FIRMWARE, bytes(firmware)), _raw(_YUBICO_SERIAL, _der_integer(int(serial)))]
        ext.append(_raw(_YUBICO_POLICY, b"\x02\x01"))
    else:
        text = serial.encode()
        if len(text) > 120:
            raise ValueError("a step-managed device id is limited to 120 bytes here")
        ext = [_raw(_STEP_MANAGED, bytes([0x30, len(text) + 2, 0x0C, len(text)]) + text)]
    key = device_key or new_key(key_kind)
    leaf = issue(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "YubiKey PIV Attestation 9a")]),
                 key, f9, now, ca=None, extensions=ext)  # fmt: skip
    message = key_authorization.encode() if signed_message is None else signed_message
    alg = (
        -7
        if isinstance(key, ec.EllipticCurvePrivateKey)
        else -8
        if isinstance(key, ed25519.Ed25519PrivateKey)
        else -257
    )
    att_stmt: dict[str, Any] = {
        "alg": alg,
        "sig": cbor2.dumps(sign(key, message)),
        "x5c": [leaf.der, f9.der],
    }
    obj = {"fmt": "step", "attStmt": att_stmt}
    return TestStatement.of(
        obj, key_authorization, now, root=root.cert, key=key, identifiers=[serial], serial=serial
    )


# -- tpm: TPMT_PUBLIC / TPMS_ATTEST / TPMT_SIGNATURE built by hand (the documented layouts) -----------

_ALG_RSA, _ALG_ECC, _ALG_SHA256, _ALG_NULL = 0x0001, 0x0023, 0x000B, 0x0010
_ALG_RSASSA, _ALG_ECDSA = 0x0014, 0x0018
_ATTRS_ECC = 0x00040072  # fixedTPM fixedParent sensitiveDataOrigin userWithAuth sign
_ATTRS_RSA = 0x00060472  # ... plus noDA and decrypt
_CURVE_IDS = {"secp256r1": 0x0003, "secp384r1": 0x0004}


def _tpm2b(data: bytes) -> bytes:
    return struct.pack(">H", len(data)) + data


def pub_area(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey, attributes: int | None = None) -> bytes:
    """TPMT_PUBLIC of a signing key (nameAlg SHA-256, NULL schemes, no policy)."""
    null = struct.pack(">H", _ALG_NULL)
    if isinstance(key, rsa.RSAPublicKey):
        head = struct.pack(">HHI", _ALG_RSA, _ALG_SHA256, _ATTRS_RSA if attributes is None else attributes)
        modulus = key.public_numbers().n.to_bytes(key.key_size // 8, "big")
        return head + _tpm2b(b"") + null + null + struct.pack(">HI", key.key_size, 0) + _tpm2b(modulus)
    size = (key.curve.key_size + 7) // 8
    point = key.public_numbers()
    head = struct.pack(">HHI", _ALG_ECC, _ALG_SHA256, _ATTRS_ECC if attributes is None else attributes)
    params = null + null + struct.pack(">HH", _CURVE_IDS[key.curve.name], _ALG_NULL)
    return (
        head
        + _tpm2b(b"")
        + params
        + _tpm2b(point.x.to_bytes(size, "big"))
        + _tpm2b(point.y.to_bytes(size, "big"))
    )


def _name(area: bytes) -> bytes:
    return struct.pack(">H", _ALG_SHA256) + hashlib.sha256(area).digest()


def cert_info(attested_name: bytes, extra_data: bytes) -> bytes:
    """TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY."""
    return (
        struct.pack(">IH", 0xFF544347, 0x8017)
        + _tpm2b(_name(b"attestverify.testing signer"))
        + _tpm2b(extra_data)
        + struct.pack(">QIIB", 1_000_000, 1, 0, 1)
        + struct.pack(">Q", 0x2000000000000000)
        + _tpm2b(attested_name)
        + _tpm2b(_name(b"attestverify.testing qualified name"))
    )


def tpm_signature(ak: PrivateKey, message: bytes) -> bytes:
    """TPMT_SIGNATURE (RSASSA or ECDSA, SHA-256) by the AK over `message`."""
    if isinstance(ak, rsa.RSAPrivateKey):
        raw = ak.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return struct.pack(">HH", _ALG_RSASSA, _ALG_SHA256) + _tpm2b(raw)
    if not isinstance(ak, ec.EllipticCurvePrivateKey):
        raise ValueError("a TPM AK is RSA or EC")
    r, s = decode_dss_signature(ak.sign(message, ec.ECDSA(hashes.SHA256())))
    size = (ak.curve.key_size + 7) // 8
    return (
        struct.pack(">HH", _ALG_ECDSA, _ALG_SHA256)
        + _tpm2b(r.to_bytes(size, "big"))
        + _tpm2b(s.to_bytes(size, "big"))
    )


def _tpm_san(identifier: str, identifier_type: str) -> list[x509.GeneralName]:
    attrs = [
        x509.NameAttribute(x509.ObjectIdentifier(oid), value)
        for oid, value in (
            ("2.23.133.2.1", "id:54455354"),
            ("2.23.133.2.2", "testing"),
            ("2.23.133.2.3", "id:1"),
        )
    ]
    return [
        x509.DirectoryName(x509.Name([x509.RelativeDistinguishedName(attrs)])),
        san_for(identifier, identifier_type),
    ]


def tpm(
    key_authorization: str,
    *,
    identifier: str | None = None,
    now: dt.datetime,
    identifier_type: str = "permanent-identifier",
    key_kind: str = "p256",
    ak_kind: str = "p256",
    device_key: PrivateKey | None = None,
    extra_data: bytes | None = None,
) -> TestStatement:
    """A `TPM2_Certify` statement made in pure Python: AK certificate (T6 profile) with the
    identifier as PermanentIdentifier or HardwareModuleName SAN, the attested key's TPMT_PUBLIC,
    TPMS_ATTEST binding SHA-256(key_authorization) (or `extra_data`), signed by the AK.
    """
    if identifier is None:
        identifier = (
            "TESTEK-" + secrets.token_hex(6)
            if identifier_type == "permanent-identifier"
            else ("TESTHSM-" + secrets.token_hex(4) + "/1.3.6.1.4.1.99999.1")
        )
    root = issue(name("Test TPM Attestation Root"), new_key("p384"), None, now, ca=True)
    ak_ca = issue(name("Test TPM AK CA"), new_key("p256"), root, now, ca=True, path_length=0)
    ak_key = new_key(ak_kind)
    ak = issue(
        x509.Name([]), ak_key, ak_ca, now, ca=False,
        extensions=[
            (x509.ExtendedKeyUsage([x509.ObjectIdentifier("2.23.133.8.3")]), False),
            (x509.SubjectAlternativeName(_tpm_san(identifier, identifier_type)), True),
        ],
    )  # fmt: skip
    key = device_key or new_key(key_kind)
    public = key.public_key()
    if not isinstance(public, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise ValueError("a TPM key is RSA or EC")
    area = pub_area(public)
    bound = hashlib.sha256(key_authorization.encode()).digest() if extra_data is None else extra_data
    info = cert_info(_name(area), bound)
    att_stmt = {
        "ver": "2.0",
        "alg": -257 if isinstance(ak_key, rsa.RSAPrivateKey) else -7,
        "x5c": [ak.der, ak_ca.der],
        "sig": tpm_signature(ak.key, info),
        "certInfo": info,
        "pubArea": area,
    }
    obj = {"fmt": "tpm", "attStmt": att_stmt}
    return TestStatement.of(
        obj,
        key_authorization,
        now,
        root=root.cert,
        key=key,
        identifiers=[identifier],
        serial=None,
        identifier_type=identifier_type,
    )


BUILDERS: dict[str, Builder] = {"apple": apple, "step": step, "tpm": tpm, "android-key": android_key}
"""Format name -> builder (`register` adds more)."""
