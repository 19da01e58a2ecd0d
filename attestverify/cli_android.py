"""How the command line names Android KeyDescription values (text output only; JSON keeps numbers).

Keymaster / KeyMint enumerations (`purpose`, `algorithm`, `digest`, `padding`, `ecCurve`,
`origin`), versions and patch levels are shown with their meaning next to the encoded number, and
byte strings that are printable UTF-8 (a key authorization as attestationChallenge, the
attestationId* values) also as text. Nothing here decides anything: it only labels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone

from .details import AndroidDetails

__all__ = ["annotation", "bytes_text", "details_lines", "os_version", "patch_level"]

# KeyMint Tag.aidl and its enums (Keymaster 4 uses the same numbers).
_PURPOSES = {
    0: "ENCRYPT",
    1: "DECRYPT",
    2: "SIGN",
    3: "VERIFY",
    5: "WRAP_KEY",
    6: "AGREE_KEY",
    7: "ATTEST_KEY",
}
_ALGORITHMS = {1: "RSA", 3: "EC", 32: "AES", 33: "TRIPLE_DES", 128: "HMAC"}
_DIGESTS = {0: "NONE", 1: "MD5", 2: "SHA1", 3: "SHA-2-224", 4: "SHA-2-256", 5: "SHA-2-384", 6: "SHA-2-512"}
_PADDINGS = {
    1: "NONE",
    2: "RSA_OAEP",
    3: "RSA_PSS",
    4: "RSA_PKCS1_1_5_ENCRYPT",
    5: "RSA_PKCS1_1_5_SIGN",
    64: "PKCS7",
}
_CURVES = {0: "P-224", 1: "P-256", 2: "P-384", 3: "P-521", 4: "CURVE_25519"}
_ORIGINS = {0: "GENERATED", 1: "DERIVED", 2: "IMPORTED", 3: "RESERVED", 4: "SECURELY_IMPORTED"}
_TAGS = {
    1: "purpose", 2: "algorithm", 3: "keySize", 5: "digest", 6: "padding", 10: "ecCurve",
    200: "rsaPublicExponent", 503: "noAuthRequired", 600: "allApplications", 701: "creationDateTime",
    702: "origin", 704: "rootOfTrust", 705: "osVersion", 706: "osPatchLevel",
    709: "attestationApplicationId", 710: "attestationIdBrand", 711: "attestationIdDevice",
    712: "attestationIdProduct", 713: "attestationIdSerial", 714: "attestationIdImei",
    715: "attestationIdMeid", 716: "attestationIdManufacturer", 717: "attestationIdModel",
    718: "vendorPatchLevel", 719: "bootPatchLevel", 720: "deviceUniqueAttestation",
    723: "attestationIdSecondImei", 724: "moduleHash",
}  # fmt: skip
_ENUMS = {
    "purposes": _PURPOSES, "algorithm": _ALGORITHMS, "digests": _DIGESTS, "paddings": _PADDINGS,
    "ec_curve": _CURVES, "origin": _ORIGINS, "tags": _TAGS,
}  # fmt: skip
_PATCH_KEYS = ("os_patch_level", "vendor_patch_level", "boot_patch_level")
# inspect() shows these byte strings as hex; printable UTF-8 ones get their text alongside.
_TEXT_KEYS = ("attestation_challenge", "unique_id", "challenge")


def os_version(value: int | None) -> str:
    """`160000` -> `160000 (16.0.0)`: osVersion is MMmmss."""
    if value is None:
        return "(none)"
    return f"{value} ({value // 10000}.{value // 100 % 100}.{value % 100})" if value > 0 else str(value)


def patch_level(value: int | None) -> str:
    """`202408` -> `202408 (2024-08)`, `20240805` -> `20240805 (2024-08-05)`; other values as they are."""
    if value is None:
        return "(none)"
    text = str(value)
    if len(text) == 6:
        return f"{text} ({text[:4]}-{text[4:]})"
    if len(text) == 8:
        return f"{text} ({text[:4]}-{text[4:6]}-{text[6:]})"
    return text


def bytes_text(data: bytes) -> str | None:
    """`data` as quoted text when it is non-empty printable UTF-8, else `None`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return json.dumps(text, ensure_ascii=False) if text and text.isprintable() else None


def _yes_no(value: bool | None) -> str:
    return "(none)" if value is None else ("yes" if value else "no")


def details_lines(a: AndroidDetails) -> list[tuple[str, str]]:
    """The `verify` / `chain` text lines of a verified Android identity."""
    challenge = a.challenge.hex() or "(empty)"
    text = bytes_text(a.challenge)
    return [
        ("attestation_version", str(a.attestation_version)),
        ("attestation_security_level", a.attestation_security_level),
        ("keymint_version", str(a.keymint_version)),
        ("keymint_security_level", a.keymint_security_level),
        ("verified_boot_state", a.verified_boot_state or "(none)"),
        ("device_locked", _yes_no(a.device_locked)),
        ("os_version", os_version(a.os_version)),
        ("os_patch_level", patch_level(a.os_patch_level)),
        ("vendor_patch_level", patch_level(a.vendor_patch_level)),
        ("boot_patch_level", patch_level(a.boot_patch_level)),
        ("brand", a.brand or "(none)"),
        ("model", a.model or "(none)"),
        ("manufacturer", a.manufacturer or "(none)"),
        ("challenge", challenge + (f" {text}" if text else "")),
        ("status_checked", _yes_no(a.status_checked)),
    ]


def annotation(key: str, value: object, siblings: Mapping[str, object]) -> str | None:
    """The label shown after a KeyDescription value in the text form of `inspect`.

    For list keys (`purposes`, `digests`, `paddings`, `tags`) `value` is one item of the list.
    """
    del siblings  # same signature as the TPM labels
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if key in _ENUMS:
            return _ENUMS[key].get(value)
        if key == "os_version":
            return os_version(value).partition(" ")[2][1:-1] or None
        if key in _PATCH_KEYS:
            return patch_level(value).partition(" ")[2][1:-1] or None
        if key == "creation_date_time" and 0 <= value < 253402300800000:
            instant = datetime.fromtimestamp(value / 1000, timezone.utc)
            return instant.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return None
    if isinstance(value, str) and (key in _TEXT_KEYS or key.startswith("attestation_id_")):
        try:
            return bytes_text(bytes.fromhex(value))
        except ValueError:
            return None
    return None
