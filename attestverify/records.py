"""Identity records (check R1): a `DeviceIdentity` as a versioned, JSON-safe dict.

An ACME server verifies the statement at the challenge and checks the CSR at finalize, often in
another process; the record is what it stores in between. `from_record` restores an equal
identity **without re-verifying**: it trusts the store exactly as the server trusts any stored
authorization, and checks only the shape (strictly: unknown or missing keys, wrong types, a key
that does not parse or does not match the stored fingerprint, an unknown version).

Encoding: bytes as unpadded base64url, certificates as base64url DER, integers as JSON numbers,
enumerated values as their lowercase names (an unknown value as its integer), tuples as arrays,
value types as objects keyed by field name. Record 1 is pinned as a JSON Schema in
`attestverify/data/record-1.schema.json` (docs/records.md).
"""

from __future__ import annotations

import hmac
from dataclasses import fields
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

from .identity import (
    AcmeIdentifier,
    AppleDetails,
    DeviceIdentity,
    FormFactor,
    HardwareModuleName,
    PermanentIdentifier,
    PinPolicy,
    StepDetails,
    TouchPolicy,
    TpmDetails,
    fingerprint,
    public_key_der,
)
from .recordandroid import android_from_json, android_to_json
from .recordjson import (
    array,
    b64,
    boolean,
    cert_text,
    certificate,
    enum_text,
    enum_value,
    fail,
    integer,
    members,
    raw_bytes,
    string,
    strings,
)

__all__ = ["RECORD_VERSION", "from_record", "to_record"]

RECORD_VERSION = 1

_FORMATS = ("apple", "step", "tpm", "android-key")
# Each format's details live under their own key.
_DETAIL_KEYS = {"apple": "apple", "step": "step", "tpm": "tpm", "android-key": "android"}
_TOP_KEYS = (
    "record",
    "format",
    "fingerprint",
    "public_key_der",
    "identifiers",
    "acme_identifiers",
    "serial_number",
    "udid",
    "permanent_identifiers",
    "hardware_module_names",
    "chain",
    "relaxations",
    "apple",
    "step",
    "tpm",
    "android",
)
_MAX_CHAIN = 10
_ACME_TYPES = ("permanent-identifier", "hardware-module")


# -- encoding ------------------------------------------------------------------------------------


def _apple(d: AppleDetails) -> dict[str, Any]:
    return {
        "nonce": None if d.nonce is None else b64(d.nonce),
        "os_version": d.os_version,
        "sepos_version": d.sepos_version,
        "llb_version": d.llb_version,
        "software_update_device_id": d.software_update_device_id,
        "sip_status": d.sip_status,
        "secure_boot": d.secure_boot,
        "third_party_kexts": d.third_party_kexts,
        "extensions": {oid: b64(raw) for oid, raw in d.extensions.items()},
        "binding": d.binding,
    }


def _step(d: StepDetails) -> dict[str, Any]:
    return {
        "serial_source": d.serial_source,
        "firmware_version": None if d.firmware_version is None else list(d.firmware_version),
        "pin_policy": enum_text(d.pin_policy),
        "touch_policy": enum_text(d.touch_policy),
        "form_factor": enum_text(d.form_factor),
        "fips": d.fips,
        "fips_certified": d.fips_certified,
        "cspn_certified": d.cspn_certified,
        "slot": d.slot,
    }


def _tpm(d: TpmDetails) -> dict[str, Any]:
    return {
        "manufacturer": d.manufacturer,
        "manufacturer_id": d.manufacturer_id,
        "vendor": d.vendor,
        "model": d.model,
        "version": d.version,
        "ak_certificate": cert_text(d.ak_certificate),
        "alg": d.alg,
        "name_alg": d.name_alg,
        "object_attributes": d.object_attributes,
        "key_type": d.key_type,
        "firmware_version": d.firmware_version,
        "clock": d.clock,
        "reset_count": d.reset_count,
        "restart_count": d.restart_count,
        "safe": d.safe,
        "qualified_signer": b64(d.qualified_signer),
    }


def to_record(identity: DeviceIdentity) -> dict[str, Any]:
    """Record 1 of `identity`: a JSON-serializable dict (`json.dumps` works on it as is).

    Args:
        identity: a verified identity (or one restored from a record).

    Returns:
        A new dict with `"record": 1` first, every `DeviceIdentity` field under its own name and
        the four detail keys `"apple"`, `"step"`, `"tpm"`, `"android"` (`null` but the format's).
    """
    return {
        "record": RECORD_VERSION,
        "format": identity.format,
        "fingerprint": identity.fingerprint,
        "public_key_der": b64(identity.public_key_der),
        "identifiers": list(identity.identifiers),
        "acme_identifiers": [{"type": i.type, "value": i.value} for i in identity.acme_identifiers],
        "serial_number": identity.serial_number,
        "udid": identity.udid,
        "permanent_identifiers": [
            {"value": p.value, "assigner": p.assigner} for p in identity.permanent_identifiers
        ],
        "hardware_module_names": [
            {"hw_type": h.hw_type, "hw_serial_num": b64(h.hw_serial_num)}
            for h in identity.hardware_module_names
        ],
        "chain": [cert_text(c) for c in identity.chain],
        "relaxations": list(identity.relaxations),
        "apple": None if identity.apple is None else _apple(identity.apple),
        "step": None if identity.step is None else _step(identity.step),
        "tpm": None if identity.tpm is None else _tpm(identity.tpm),
        "android": None if identity.android is None else android_to_json(identity.android),
    }


# -- strict decoding -----------------------------------------------------------------------------


def _details_apple(value: object) -> AppleDetails:
    d = members(value, tuple(f.name for f in fields(AppleDetails)), "apple")
    extensions = d["extensions"]
    if not isinstance(extensions, dict) or len(extensions) > 64:
        raise fail("apple.extensions must be an object of at most 64 members")
    ext = {
        string(k, "apple.extensions key"): raw_bytes(v, f"apple.extensions[{str(k)[:32]!r}]")
        for k, v in extensions.items()
    }
    binding = string(d["binding"], "apple.binding")
    if binding != "token":
        raise fail("apple.binding must be 'token'")
    return AppleDetails(
        nonce=raw_bytes(d["nonce"], "apple.nonce", optional=True),
        os_version=string(d["os_version"], "apple.os_version", optional=True),
        sepos_version=string(d["sepos_version"], "apple.sepos_version", optional=True),
        llb_version=string(d["llb_version"], "apple.llb_version", optional=True),
        software_update_device_id=string(
            d["software_update_device_id"], "apple.software_update_device_id", optional=True
        ),
        sip_status=integer(d["sip_status"], "apple.sip_status", optional=True),
        secure_boot=string(d["secure_boot"], "apple.secure_boot", optional=True),
        third_party_kexts=integer(d["third_party_kexts"], "apple.third_party_kexts", optional=True),
        extensions=MappingProxyType(ext),
        binding=binding,
    )


def _details_step(value: object) -> StepDetails:
    d = members(value, tuple(f.name for f in fields(StepDetails)), "step")
    source = string(d["serial_source"], "step.serial_source", optional=True)
    if source not in (None, "yubico", "step-managed-device"):
        raise fail("step.serial_source must be 'yubico', 'step-managed-device' or null")
    firmware: tuple[int, int, int] | None = None
    if d["firmware_version"] is not None:
        parts = array(d["firmware_version"], "step.firmware_version")
        if len(parts) != 3:
            raise fail("step.firmware_version must hold three integers")
        major, minor, patch = (integer(p, "step.firmware_version item") for p in parts)
        firmware = (major, minor, patch)
    return StepDetails(
        serial_source=source,
        firmware_version=firmware,
        pin_policy=enum_value(d["pin_policy"], PinPolicy, "step.pin_policy"),
        touch_policy=enum_value(d["touch_policy"], TouchPolicy, "step.touch_policy"),
        form_factor=enum_value(d["form_factor"], FormFactor, "step.form_factor"),
        fips=boolean(d["fips"], "step.fips", optional=True),
        fips_certified=boolean(d["fips_certified"], "step.fips_certified", optional=True),
        cspn_certified=boolean(d["cspn_certified"], "step.cspn_certified", optional=True),
        slot=string(d["slot"], "step.slot", optional=True),
    )


def _details_tpm(value: object) -> TpmDetails:
    d = members(value, tuple(f.name for f in fields(TpmDetails)), "tpm")
    key_type = string(d["key_type"], "tpm.key_type")
    if key_type not in ("RSA", "ECC"):
        raise fail("tpm.key_type must be 'RSA' or 'ECC'")
    return TpmDetails(
        manufacturer=string(d["manufacturer"], "tpm.manufacturer"),
        manufacturer_id=integer(d["manufacturer_id"], "tpm.manufacturer_id", optional=True),
        vendor=string(d["vendor"], "tpm.vendor", optional=True),
        model=string(d["model"], "tpm.model"),
        version=string(d["version"], "tpm.version"),
        ak_certificate=certificate(d["ak_certificate"], "tpm.ak_certificate"),
        alg=integer(d["alg"], "tpm.alg"),
        name_alg=integer(d["name_alg"], "tpm.name_alg"),
        object_attributes=integer(d["object_attributes"], "tpm.object_attributes"),
        key_type=key_type,
        firmware_version=integer(d["firmware_version"], "tpm.firmware_version"),
        clock=integer(d["clock"], "tpm.clock"),
        reset_count=integer(d["reset_count"], "tpm.reset_count"),
        restart_count=integer(d["restart_count"], "tpm.restart_count"),
        safe=boolean(d["safe"], "tpm.safe"),
        qualified_signer=raw_bytes(d["qualified_signer"], "tpm.qualified_signer"),
    )


def _public_key(value: object, stored_fingerprint: str) -> Any:
    der = raw_bytes(value, "public_key_der")
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise fail("public_key_der is not a SubjectPublicKeyInfo") from None
    if not isinstance(
        key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey, x25519.X25519PublicKey)
    ):
        raise fail(f"public_key_der holds an unsupported key type {type(key).__name__}")
    if public_key_der(key) != der:
        raise fail("public_key_der is not in canonical form")
    computed = fingerprint(key)
    if not hmac.compare_digest(computed.encode("ascii"), stored_fingerprint.encode("utf-8", "surrogatepass")):
        raise fail("fingerprint does not match public_key_der")
    return key


def from_record(record: object) -> DeviceIdentity:
    """Restore the identity stored as `record`, **without re-verifying** the attestation.

    Args:
        record: a dict as returned by `to_record` (after a JSON round trip, say).

    Returns:
        A `DeviceIdentity` equal (`==`) to the one recorded.

    Raises:
        MalformedError: check `R1`, for any deviation from record 1: an unknown version,
            unknown or missing keys, a wrongly typed value, a `public_key_der` that does not
            parse or whose fingerprint differs from `"fingerprint"`, inconsistent identifiers.
    """
    if not isinstance(record, dict):
        raise fail("must be a JSON object")
    version = record.get("record")
    if type(version) is not int or version != RECORD_VERSION:
        shown = repr(version) if type(version) is int and abs(version) < 10**16 else type(version).__name__
        raise fail(f"unsupported record version {shown} (this library reads 1)")
    r = members(record, _TOP_KEYS, "record")
    fmt = string(r["format"], "format")
    if fmt not in _FORMATS:
        raise fail(f"unknown format {fmt[:32]!r}")
    for fmt_name, key in _DETAIL_KEYS.items():
        if fmt_name != fmt and r[key] is not None:
            raise fail(f"{key} must be null for format {fmt!r}")
    apple = _details_apple(r["apple"]) if fmt == "apple" else None
    step = _details_step(r["step"]) if fmt == "step" else None
    tpm = _details_tpm(r["tpm"]) if fmt == "tpm" else None
    android = android_from_json(r["android"]) if fmt == "android-key" else None
    key = _public_key(r["public_key_der"], string(r["fingerprint"], "fingerprint"))

    acme: list[AcmeIdentifier] = []
    for item in array(r["acme_identifiers"], "acme_identifiers"):
        obj = members(item, ("type", "value"), "acme_identifiers item")
        kind = string(obj["type"], "acme_identifiers item type")
        if kind not in _ACME_TYPES:
            raise fail("acme_identifiers item type must be permanent-identifier or hardware-module")
        acme.append(AcmeIdentifier(kind, string(obj["value"], "acme_identifiers item value")))
    permanent = []
    for item in array(r["permanent_identifiers"], "permanent_identifiers"):
        obj = members(item, ("value", "assigner"), "permanent_identifiers item")
        permanent.append(
            PermanentIdentifier(
                string(obj["value"], "permanent_identifiers value", optional=True),
                string(obj["assigner"], "permanent_identifiers assigner", optional=True),
            )
        )
    modules = []
    for item in array(r["hardware_module_names"], "hardware_module_names"):
        obj = members(item, ("hw_type", "hw_serial_num"), "hardware_module_names item")
        modules.append(
            HardwareModuleName(
                string(obj["hw_type"], "hardware_module_names hw_type"),
                raw_bytes(obj["hw_serial_num"], "hardware_module_names hw_serial_num"),
            )
        )
    chain = tuple(certificate(c, "chain item") for c in array(r["chain"], "chain", limit=_MAX_CHAIN))
    if not chain:
        raise fail("chain must hold at least one certificate")

    identity = DeviceIdentity.build(
        format=fmt,
        public_key=key,
        chain=chain,
        acme_identifiers=tuple(acme),
        serial_number=string(r["serial_number"], "serial_number", optional=True),
        udid=string(r["udid"], "udid", optional=True),
        permanent_identifiers=tuple(permanent),
        hardware_module_names=tuple(modules),
        relaxations=strings(r["relaxations"], "relaxations"),
        apple=apple,
        step=step,
        tpm=tpm,
        android=android,
    )
    # build() derives these; a record whose stored copies disagree was not written by to_record.
    if list(identity.identifiers) != array(r["identifiers"], "identifiers") or len(acme) != len(
        identity.acme_identifiers
    ):
        raise fail("identifiers do not match acme_identifiers")
    strings(r["identifiers"], "identifiers")
    if list(identity.relaxations) != r["relaxations"]:
        raise fail("relaxations hold a duplicate")
    return identity
