"""What the command line prints: a verified identity and the `inspect()` dict, as text or JSON.

Device-supplied text is escaped for the terminal; integers stay JSON numbers in JSON output.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography import x509

from . import cli_android
from .identity import DeviceIdentity
from .inspection import jsonable
from .tpm import structures

__all__ = ["identity_json", "identity_text", "inspect_text", "safe", "warnings"]

EMPTY_SUBJECT = "(empty subject)"

_COSE_ALGS = {-257: "RS256", -7: "ES256", -65535: "RS1"}
_ALG_NAMES = {v: k[4:] for k, v in vars(structures).items() if k.startswith("ALG_") and isinstance(v, int)}
_CURVES = {0x0001: "NIST P-192", 0x0002: "NIST P-224", 0x0003: "NIST P-256", 0x0004: "NIST P-384"}
_CURVES.update({0x0005: "NIST P-521", 0x0010: "BN P-256", 0x0011: "BN P-638", 0x0020: "SM2 P-256"})
_TPM_CONSTANTS = {
    structures.TPM_GENERATED_VALUE: "TPM_GENERATED_VALUE",
    structures.TPM_ST_ATTEST_CERTIFY: "TPM_ST_ATTEST_CERTIFY",
}
# inspect() keys holding a TPM_ALG_ID (or a list whose first item is one) -> how to name them.
_TPM_ALG_KEYS = {"type", "name_alg", "sig_alg", "hash_alg", "symmetric", "scheme", "kdf"}


def safe(text: str) -> str:
    """Device-supplied text for a terminal: control, bidi and other non-printables escaped."""
    return text if text.isprintable() else json.dumps(text)[1:-1]


def subject(cert: x509.Certificate, empty: str = EMPTY_SUBJECT) -> str:
    """RFC 4514 subject; `empty` for a certificate without one (JSON keeps `""`)."""
    try:
        text = cert.subject.rfc4514_string()
    except ValueError:
        return "<undecodable subject>"
    return text or empty


_STATUS_UNCHECKED = (
    "the attestation status list was not checked: a revoked or leaked attestation key would pass "
    "(give --android-status FILE with Google's status JSON)"
)
_ANDROID_NO_CHALLENGE = (
    "attestationChallenge not compared (no --challenge): nothing shows that this attestation is "
    "recent; compare the challenge shown with the one you issued"
)
_STEP_NO_CHALLENGE = (
    "no challenge binding: a chain shows which key the device holds, not that it signed anything "
    "fresh (ACME needs the full statement: attestverify verify)"
)


def warnings(identity: DeviceIdentity, *, chain: bool = False, challenge_checked: bool = False) -> list[str]:
    """What a verified result does not prove, for the reader: an unchecked status list, and for
    `chain` a missing challenge comparison."""
    found = []
    if identity.android is not None and not identity.android.status_checked:
        found.append(_STATUS_UNCHECKED)
    if chain and not challenge_checked:
        found.append(_ANDROID_NO_CHALLENGE if identity.android is not None else _STEP_NO_CHALLENGE)
    return found


def identity_json(identity: DeviceIdentity, notes: Sequence[str] = ()) -> dict[str, Any]:
    details = {
        "apple": identity.apple,
        "step": identity.step,
        "tpm": identity.tpm,
        "android-key": identity.android,
    }.get(identity.format)
    return {
        "ok": True,
        "format": identity.format,
        "fingerprint": identity.fingerprint,
        "identifiers": list(identity.identifiers),
        "acme_identifiers": [{"type": i.type, "value": i.value} for i in identity.acme_identifiers],
        "serial_number": identity.serial_number,
        "udid": identity.udid,
        "permanent_identifiers": jsonable(identity.permanent_identifiers),
        "hardware_module_names": jsonable(identity.hardware_module_names),
        "relaxations": list(identity.relaxations),
        "chain": [subject(cert, "") for cert in identity.chain],
        "details": None if details is None else jsonable(details),
        "warnings": list(notes),
        "identity": identity.to_record(),
    }


def _name(value: object) -> str:
    if isinstance(value, enum.Enum):
        return f"{value.name.lower().replace('_', '-')} ({value.value})"
    return "(none)" if value is None else str(value)


def _details(identity: DeviceIdentity) -> list[tuple[str, object]]:
    if identity.apple is not None:
        a = identity.apple
        return [
            ("os_version", a.os_version),
            ("sepos_version", a.sepos_version),
            ("software_update_device_id", a.software_update_device_id),
            ("secure_boot", a.secure_boot),
        ]
    if identity.step is not None:
        s = identity.step
        firmware = None if s.firmware_version is None else ".".join(map(str, s.firmware_version))
        return [
            ("slot", s.slot),
            ("firmware", firmware),
            ("pin_policy", s.pin_policy),
            ("touch_policy", s.touch_policy),
            ("form_factor", s.form_factor),
            ("fips", s.fips),
        ]
    if identity.tpm is not None:
        t = identity.tpm
        return [
            ("tpm_vendor", t.vendor),
            ("tpm_manufacturer", t.manufacturer),
            ("tpm_model", t.model),
            ("tpm_version", t.version),
            ("key_type", t.key_type),
            ("alg", f"{t.alg} ({_COSE_ALGS.get(t.alg, '?')})"),
        ]
    if identity.android is not None:
        return list(cli_android.details_lines(identity.android))
    return []


def identity_text(identity: DeviceIdentity, notes: Sequence[str] = ()) -> str:
    def show(values: Sequence[str]) -> str:
        return ", ".join(safe(v) for v in values) if values else "(none)"

    lines = [
        "verified: yes",
        f"format: {identity.format}",
        f"fingerprint: {identity.fingerprint}",
        f"identifiers: {show(identity.identifiers)}",
        f"serial_number: {show([identity.serial_number] if identity.serial_number is not None else [])}",
        f"udid: {show([identity.udid] if identity.udid is not None else [])}",
        f"relaxations: {show(identity.relaxations)}",
    ]
    lines += [f"{key}: {safe(_name(value))}" for key, value in _details(identity)]
    # One certificate per line: subjects contain commas, and a TPM AK subject is empty.
    lines.append("chain (leaf first):")
    lines += [f"  [{i}] {safe(subject(cert))}" for i, cert in enumerate(identity.chain)]
    lines += [f"warning: {note}" for note in notes]
    return "\n".join(lines)


def _annotation(key: str, value: object, siblings: Mapping[str, Any], android: bool = False) -> str | None:
    """The name shown after a TPM, COSE or (inside a KeyDescription) Android value in `inspect` text."""
    if android:
        return None if isinstance(value, (Mapping, list)) else cli_android.annotation(key, value, siblings)
    if isinstance(value, list) and value and isinstance(value[0], int) and key in _TPM_ALG_KEYS:
        value = value[0]
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if key == "alg":
        return _COSE_ALGS.get(value)
    if key in ("magic", "type") and value in _TPM_CONSTANTS:
        return _TPM_CONSTANTS[value]
    if key == "curve_id":
        return _CURVES.get(value)
    if key == "object_attributes":
        names = [n for n, on in (siblings.get("attributes") or {}).items() if on is True]
        return f"0x{value:08x}: {' | '.join(names) or 'none'}"
    if key in _TPM_ALG_KEYS:
        return _ALG_NAMES.get(value)
    return None


def _render(value: Any, indent: int = 0, android: bool = False, parent: str = "") -> list[str]:
    """The inspect dict as indented text (keys in order, lists as `-` items).

    Inside a KeyDescription (`android`), absent (`null`) fields are left out and values are
    labelled by `cli_android`; list items are labelled by their list's key (`parent`).
    """
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            inner = android or key == "android_key_description"
            if inner and item is None:
                continue
            if isinstance(item, (Mapping, list)) and item and not _annotation(str(key), item, value, inner):
                lines.append(f"{pad}{safe(str(key))}:")
                lines.extend(_render(item, indent + 1, inner, str(key)))
                continue
            note = _annotation(str(key), item, value, inner)
            lines.append(f"{pad}{safe(str(key))}: {_scalar(item)}" + (f" ({note})" if note else ""))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (Mapping, list)) and item:
                lines.append(f"{pad}-")
                lines.extend(_render(item, indent + 1, android))
            else:
                note = cli_android.annotation(parent, item, {}) if android else None
                lines.append(f"{pad}- {_scalar(item)}" + (f" ({note})" if note else ""))
    else:
        lines.append(pad + _scalar(value))
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}" if not value else json.dumps(value)
    if isinstance(value, list):
        return json.dumps(value)
    return json.dumps(value) if not isinstance(value, str) else safe(value)


def inspect_text(decoded: Mapping[str, Any]) -> list[str]:
    return _render(decoded)
