"""The Yubico and step extensions of a `step` certificate: pure decoding, trusting nothing (S7, S8).

Used by verification after the chain is validated and by `inspect()` on untrusted input.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from .. import asn1
from ..details import FormFactor, PinPolicy, StepDetails, TouchPolicy
from ..errors import MalformedError

__all__ = [
    "OID_CSPN_CERTIFIED",
    "OID_FIPS_CERTIFIED",
    "OID_FIRMWARE",
    "OID_FORM_FACTOR",
    "OID_MANAGED_DEVICE",
    "OID_POLICY",
    "OID_SERIAL",
    "SERIAL_SOURCE_MANAGED",
    "SERIAL_SOURCE_YUBICO",
    "StepExtensions",
    "decode_details",
    "decode_extensions",
    "decode_serial",
]

OID_FIRMWARE = "1.3.6.1.4.1.41482.3.3"
OID_SERIAL = "1.3.6.1.4.1.41482.3.7"
OID_POLICY = "1.3.6.1.4.1.41482.3.8"
OID_FORM_FACTOR = "1.3.6.1.4.1.41482.3.9"
OID_FIPS_CERTIFIED = "1.3.6.1.4.1.41482.3.10"
OID_CSPN_CERTIFIED = "1.3.6.1.4.1.41482.3.11"
OID_MANAGED_DEVICE = "1.3.6.1.4.1.37476.9000.64.4"

SERIAL_SOURCE_YUBICO = "yubico"
SERIAL_SOURCE_MANAGED = "step-managed-device"

# A serial INTEGER longer than this could not be printed in decimal (int->str digit limit) and is
# no real serial anyway; same bound as the extension values inspect() decodes.
_MAX_SERIAL_DER = 1024
_FIPS_FLAG = 0x80
_SLOT_CN = re.compile(r"YubiKey PIV Attestation ([0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class StepExtensions:
    """The decoded Yubico / step extensions of one certificate.

    Attributes:
        serial_number: YubiKey serial (decimal) or step-managed device id, else `None`.
        details: the informational fields (`serial_source` set when a serial was found).
    """

    serial_number: str | None
    details: StepDetails


def _raw_extensions(cert: x509.Certificate, check: str) -> list[tuple[str, bytes]]:
    # Certificate order matters for S7; only the raw extnValue of unrecognised OIDs is needed,
    # and every Yubico / step OID is unknown to cryptography.
    try:
        extensions = cert.extensions
    except ValueError:  # only reachable for certificates that did not go through parse_x5c (inspect)
        raise MalformedError("the certificate extensions do not decode", check=check) from None
    found: list[tuple[str, bytes]] = []
    for ext in extensions:
        if isinstance(ext.value, x509.UnrecognizedExtension):
            found.append((ext.oid.dotted_string, ext.value.value))
    return found


def decode_serial(cert: x509.Certificate, *, check: str = "S7") -> tuple[str | None, str | None]:
    """S7: the device serial of `cert` and where it came from.

    The leaf extensions are walked in certificate order; the first of 41482.3.7 (YubiKey serial,
    minimal non-negative DER INTEGER, printed in decimal) and 37476.9000.64.4 (step-managed device
    id, `SEQUENCE { UTF8String / PrintableString / IA5String }`, non-empty) decides.

    Args:
        cert: the leaf certificate (normally after `parse_x5c`; undecodable extensions are
            reported as `MalformedError` too).
        check: the check id for errors.

    Returns:
        `(serial, source)` with source `"yubico"` or `"step-managed-device"`, or `(None, None)`.

    Raises:
        MalformedError: the first serial extension is not encoded as required, or the
            extensions do not decode.
    """
    return _serial(_raw_extensions(cert, check), check)


def _serial(found: list[tuple[str, bytes]], check: str) -> tuple[str | None, str | None]:
    for oid, raw in found:
        if oid == OID_SERIAL:
            if len(raw) > _MAX_SERIAL_DER:
                raise MalformedError(f"YubiKey serial extension is {len(raw)} bytes long", check=check)
            value = asn1.decode_der_integer(raw, check=check)
            return str(value), SERIAL_SOURCE_YUBICO
        if oid == OID_MANAGED_DEVICE:
            device_id = asn1.decode_der_string_sequence(raw, check=check)
            if not device_id:
                raise MalformedError("step managed device id is empty", check=check)
            return device_id, SERIAL_SOURCE_MANAGED
    return None, None


def _slot(cert: x509.Certificate) -> str | None:
    try:
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:  # an undecodable subject string is informational here, never fatal
        return None
    if len(names) != 1 or not isinstance(names[0].value, str):
        return None
    match = _SLOT_CN.fullmatch(names[0].value)
    return match.group(1).lower() if match else None


def _enum_or_int(enum_type: type[PinPolicy] | type[TouchPolicy] | type[FormFactor], value: int) -> int:
    try:
        return enum_type(value)
    except ValueError:
        return value  # unknown values stay integers (SPEC §4.2)


def decode_details(cert: x509.Certificate) -> StepDetails:
    """S8: the informational Yubico fields of `cert`; never fails.

    Values of the wrong length become `None`; unknown policy and form-factor values stay
    integers. `serial_source` is left `None` (see `decode_serial`). A certificate whose
    extensions do not decode at all yields only the slot.

    Args:
        cert: a certificate whose extensions are decodable (as after `parse_x5c`).

    Returns:
        The `StepDetails` (firmware, PIN/touch policy, form factor, FIPS flag, certifications, slot).
    """
    try:
        raw = dict(_raw_extensions(cert, "S8"))
    except MalformedError:
        raw = {}
    return _details(raw, cert)


def _details(raw: dict[str, bytes], cert: x509.Certificate) -> StepDetails:
    firmware = raw.get(OID_FIRMWARE)
    policy = raw.get(OID_POLICY)
    form = raw.get(OID_FORM_FACTOR)
    pin: int | None = None
    touch: int | None = None
    if policy is not None and len(policy) == 2:
        pin = _enum_or_int(PinPolicy, policy[0])
        touch = _enum_or_int(TouchPolicy, policy[1])
    form_factor: int | None = None
    fips: bool | None = None
    if form is not None and len(form) == 1:
        form_factor = _enum_or_int(FormFactor, form[0] & ~_FIPS_FLAG)
        fips = bool(form[0] & _FIPS_FLAG)
    return StepDetails(
        firmware_version=(firmware[0], firmware[1], firmware[2])
        if firmware is not None and len(firmware) == 3
        else None,
        pin_policy=pin,
        touch_policy=touch,
        form_factor=form_factor,
        fips=fips,
        fips_certified=OID_FIPS_CERTIFIED in raw,
        cspn_certified=OID_CSPN_CERTIFIED in raw,
        slot=_slot(cert),
    )


def read_details(cert: x509.Certificate) -> tuple[StepDetails, list[tuple[str, bytes]] | None]:
    """`decode_details(cert)` and the raw extensions it read (None when they do not decode)."""
    try:
        found: list[tuple[str, bytes]] | None = _raw_extensions(cert, "S8")
    except MalformedError:
        found = None
    return _details(dict(found or ()), cert), found


def with_serial(
    cert: x509.Certificate, details: StepDetails, found: list[tuple[str, bytes]] | None, *, check: str
) -> StepExtensions:
    """`decode_extensions(cert, check=check)` from what `read_details(cert)` returned."""
    if found is None:
        found = _raw_extensions(cert, check)  # raises the MalformedError of decode_serial
    serial, source = _serial(found, check)
    if source is not None:
        details = dataclasses.replace(details, serial_source=source)
    return StepExtensions(serial_number=serial, details=details)


def decode_extensions(cert: x509.Certificate, *, check: str = "S7") -> StepExtensions:
    """S7 + S8: serial and informational fields of `cert` (pure; trusts nothing, checks no chain).

    Args:
        cert: a certificate whose extensions are decodable (as after `parse_x5c`).
        check: the check id for serial decoding errors.

    Returns:
        The serial and the details, `details.serial_source` set when a serial was found.

    Raises:
        MalformedError: the serial extension is not encoded as required (S7).
    """
    # One walk over the extensions for both (S7 fails first on undecodable extensions, as before).
    found = _raw_extensions(cert, check)
    serial, source = _serial(found, check)
    details = _details(dict(found), cert)
    if source is not None:
        details = dataclasses.replace(details, serial_source=source)
    return StepExtensions(serial_number=serial, details=details)
