"""`AndroidDetails` in identity record 1 (SPEC v2 §2.2): the `"android"` object, written and read.

Kept beside `records.py` (which holds the other formats' detail objects) so that module stays
small. Byte strings are unpadded base64url, enumerated values their lowercase names
(`"trusted-environment"`, `"self-signed"`), integers JSON numbers; reading is as strict as the rest
of record 1 (unknown or missing keys, wrong types, unknown names → `MalformedError`, check R1).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from .details import AndroidDetails
from .recordjson import array, b64, boolean, fail, integer, members, raw_bytes, string

__all__ = ["android_from_json", "android_to_json"]

_SECURITY_LEVELS = ("software", "trusted-environment", "strongbox")
_BOOT_STATES = ("verified", "self-signed", "unverified", "failed")
_BYTES = frozenset(
    {"challenge", "unique_id", "verified_boot_key", "verified_boot_hash", "attestation_application_id"}
)
_TEXT = ("brand", "device", "product", "manufacturer", "model", "imei", "second_imei", "meid")
_OPTIONAL_INTS = (
    "os_version",
    "os_patch_level",
    "vendor_patch_level",
    "boot_patch_level",
    "origin",
    "algorithm",
    "key_size",
    "ec_curve",
    "creation_time",
)
_MAX_PURPOSES = 32


def android_to_json(d: AndroidDetails) -> dict[str, Any]:
    """The `"android"` object of a record: every field under its own name."""
    out: dict[str, Any] = {}
    for f in fields(AndroidDetails):
        value = getattr(d, f.name)
        if f.name in _BYTES:
            out[f.name] = None if value is None else b64(value)
        elif f.name == "purposes":
            out[f.name] = list(value)
        else:
            out[f.name] = value
    return out


def _choice(value: object, allowed: tuple[str, ...], where: str, *, optional: bool = False) -> Any:
    text = string(value, where, optional=optional)
    if text is not None and text not in allowed:
        raise fail(f"{where} must be one of {', '.join(allowed)}")
    return text


def android_from_json(value: object) -> AndroidDetails:
    """`AndroidDetails` from the `"android"` object of a record (strict, check R1)."""
    d = members(value, tuple(f.name for f in fields(AndroidDetails)), "android")
    purposes = tuple(
        integer(p, "android.purposes item") for p in array(d["purposes"], "android.purposes", _MAX_PURPOSES)
    )
    values: dict[str, Any] = {
        "attestation_version": integer(d["attestation_version"], "android.attestation_version"),
        "attestation_security_level": _choice(
            d["attestation_security_level"], _SECURITY_LEVELS, "android.attestation_security_level"
        ),
        "keymint_version": integer(d["keymint_version"], "android.keymint_version"),
        "keymint_security_level": _choice(
            d["keymint_security_level"], _SECURITY_LEVELS, "android.keymint_security_level"
        ),
        "challenge": raw_bytes(d["challenge"], "android.challenge"),
        "unique_id": raw_bytes(d["unique_id"], "android.unique_id"),
        "verified_boot_state": _choice(
            d["verified_boot_state"], _BOOT_STATES, "android.verified_boot_state", optional=True
        ),
        "device_locked": boolean(d["device_locked"], "android.device_locked", optional=True),
        "verified_boot_key": raw_bytes(d["verified_boot_key"], "android.verified_boot_key", optional=True),
        "verified_boot_hash": raw_bytes(d["verified_boot_hash"], "android.verified_boot_hash", optional=True),
        "attestation_application_id": raw_bytes(
            d["attestation_application_id"], "android.attestation_application_id", optional=True
        ),
        "purposes": purposes,
        "status_checked": boolean(d["status_checked"], "android.status_checked"),
    }
    values.update((name, integer(d[name], f"android.{name}", optional=True)) for name in _OPTIONAL_INTS)
    values.update((name, string(d[name], f"android.{name}", optional=True)) for name in _TEXT)
    return AndroidDetails(**values)
