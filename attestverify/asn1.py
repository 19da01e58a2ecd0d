"""Strict DER readers for the few ASN.1 values that attestverify interprets.

`cryptography` parses certificates but hands SAN otherNames and unknown extension values over as
raw DER. Every value must be the one canonical DER encoding of what it holds: BER leniencies such
as indefinite or non-minimal lengths, constructed strings or trailing bytes are refused, so two
different byte strings can never yield the same identity. The values on the verification path
(INTEGER, PermanentIdentifier, HardwareModuleName) are read by the strict reader of `der.py`
(fuzzed differentially against the pyasn1 path it replaced); the smallstep device-id SEQUENCE
still goes through `pyasn1` against a fixed schema, re-encoded and compared (imported on first
use: `verify()` does not need it for the other values).

Every failure is a `MalformedError` carrying the caller's SPEC check id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cryptography import x509

from . import der as derread
from .errors import MalformedError, quote
from .identity import HardwareModuleName, PermanentIdentifier

__all__ = [
    "HARDWARE_MODULE_NAME_OID",
    "MAX_DER",
    "decode_strict",
    "PERMANENT_IDENTIFIER_OID",
    "decode_der_integer",
    "decode_der_string_sequence",
    "decode_hardware_module_name",
    "decode_permanent_identifier",
    "raw_extension",
    "san_identities",
]

PERMANENT_IDENTIFIER_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.3")  # RFC 4043 id-on-permanentIdentifier
HARDWARE_MODULE_NAME_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4")  # RFC 4108 id-on-hardwareModuleName

MAX_DER = 4096
"""Largest DER value these helpers decode; real values are a few dozen bytes."""

_T = TypeVar("_T")

_MAX_SAN_IDENTITIES = 64  # per GeneralNames: a bound on work, far above any real certificate


# PrintableString's alphabet (X.680 §41.4); pyasn1 does not enforce it.
_PRINTABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


def _as_bytes(der: object, what: str, check: str, max_size: int) -> bytes:
    if not isinstance(der, (bytes, bytearray, memoryview)):
        raise MalformedError(f"{what} must be DER bytes", check=check)
    data = bytes(der)
    if not data:
        raise MalformedError(f"{what} is empty", check=check)
    if len(data) > max_size:
        raise MalformedError(f"{what} is longer than {max_size} bytes", check=check)
    return data


def _read(value: object, read: Callable[[bytes], _T], what: str, check: str) -> _T:
    """`read` (a `der` reader) on `value`, any failure a `MalformedError` with `check`."""
    data = _as_bytes(value, what, check, MAX_DER)
    try:
        return read(data)
    except ValueError as exc:
        # DerError, and ValueError from str() of an OID arc beyond int max_str_digits.
        reason = "DerError" if isinstance(exc, derread.DerError) else type(exc).__name__
        raise MalformedError(f"{what} is not valid DER ({reason}): {quote(data)}", check=check) from None


def decode_strict(
    der: object,
    spec: Any,
    what: str,
    check: str,
    convert: Callable[[Any], _T],
    *,
    max_size: int = MAX_DER,
) -> _T:
    """Decode `der` against a pyasn1 schema, requiring canonical DER and no trailing bytes, then `convert`.

    pyasn1 is imported on first use: `verify()` needs it only for the smallstep device id and the
    Android KeyDescription.

    Args:
        der: the DER bytes (1 ... `max_size` bytes).
        spec: the pyasn1 schema.
        what: the value's name in error messages.
        check: the check id of every error.
        convert: turns the decoded pyasn1 value into the result; a `MalformedError` it raises
            passes unchanged, any pyasn1, value or type error becomes one.
        max_size: the largest input accepted.

    Raises:
        MalformedError: (`check`) not bytes, empty, too long, not canonical DER, trailing bytes,
            or `convert` refused the value.
    """
    from pyasn1.codec.der import decoder as _der_decoder  # noqa: PLC0415 - off the hot path
    from pyasn1.codec.der import encoder as _der_encoder  # noqa: PLC0415
    from pyasn1.error import PyAsn1Error  # noqa: PLC0415

    data = _as_bytes(der, what, check, max_size)
    try:
        value, rest = _der_decoder.decode(data, asn1Spec=spec)
        if rest:
            raise MalformedError(f"{what} has {len(rest)} trailing bytes", check=check)
        if _der_encoder.encode(value) != data:
            raise MalformedError(f"{what} is not canonical DER: {quote(data)}", check=check)
        # Conversion stays inside the guard: str() of a huge OID arc or INTEGER raises ValueError
        # (int max_str_digits), and pyasn1 decodes string contents lazily.
        return convert(value)
    except MalformedError:
        raise
    except (PyAsn1Error, ValueError, TypeError, IndexError, OverflowError) as exc:
        # pyasn1 reports structural problems as PyAsn1Error and bad string contents as
        # PyAsn1UnicodeDecodeError (also a ValueError); none of them may leave this module.
        reason = type(exc).__name__
        raise MalformedError(f"{what} is not valid DER ({reason}): {quote(data)}", check=check) from None


def decode_permanent_identifier(der: bytes, *, check: str) -> PermanentIdentifier:
    """Decode an RFC 4043 PermanentIdentifier (the value of otherName 1.3.6.1.5.5.7.8.3).

    `SEQUENCE { identifierValue UTF8String OPTIONAL, assigner OBJECT IDENTIFIER OPTIONAL }`.

    Args:
        der: the DER encoding of the SEQUENCE (inside the otherName's [0] EXPLICIT).
        check: SPEC check id for errors (e.g. `"T7"`, `"C6"`).

    Returns:
        The `PermanentIdentifier`; absent components are `None`.

    Raises:
        MalformedError: not strict DER, trailing bytes, invalid UTF-8 or longer than 4 096 bytes.
    """
    value, assigner = _read(der, derread.permanent_identifier, "PermanentIdentifier", check)
    return PermanentIdentifier(value=value, assigner=assigner)


def decode_hardware_module_name(der: bytes, *, check: str) -> HardwareModuleName:
    """Decode an RFC 4108 HardwareModuleName (the value of otherName 1.3.6.1.5.5.7.8.4).

    `SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING }`.

    Args:
        der: the DER encoding of the SEQUENCE (inside the otherName's [0] EXPLICIT).
        check: SPEC check id for errors.

    Returns:
        The `HardwareModuleName` with `hw_type` as a dotted OID and the raw serial octets.

    Raises:
        MalformedError: not strict DER, a component missing, trailing bytes or too long.
    """
    hw_type, serial = _read(der, derread.hardware_module_name, "HardwareModuleName", check)
    return HardwareModuleName(hw_type=hw_type, hw_serial_num=serial)


def san_identities(
    general_names: Iterable[x509.GeneralName], *, check: str
) -> tuple[tuple[PermanentIdentifier, ...], tuple[HardwareModuleName, ...]]:
    """Decode the PermanentIdentifier and HardwareModuleName otherNames among `general_names`.

    Other GeneralNames (and other otherName types) are ignored; callers that must refuse them
    inspect the names themselves.

    Args:
        general_names: e.g. a `x509.SubjectAlternativeName` extension value.
        check: SPEC check id for errors.

    Returns:
        `(permanent_identifiers, hardware_module_names)` in SAN order.

    Raises:
        MalformedError: an identity otherName does not decode, or more than 64 of them.
    """
    permanent: list[PermanentIdentifier] = []
    hardware: list[HardwareModuleName] = []
    for general_name in general_names:
        if not isinstance(general_name, x509.OtherName):
            continue
        if general_name.type_id == PERMANENT_IDENTIFIER_OID:
            permanent.append(decode_permanent_identifier(general_name.value, check=check))
        elif general_name.type_id == HARDWARE_MODULE_NAME_OID:
            hardware.append(decode_hardware_module_name(general_name.value, check=check))
        else:
            continue
        if len(permanent) + len(hardware) > _MAX_SAN_IDENTITIES:
            raise MalformedError(f"more than {_MAX_SAN_IDENTITIES} identity SANs", check=check)
    return tuple(permanent), tuple(hardware)


_der_integer = derread.integer


def decode_der_integer(der: bytes, *, check: str, max_bytes: int = 64) -> int:
    """Decode a DER INTEGER that must be minimal, non-negative and alone.

    Used for the YubiKey serial (1.3.6.1.4.1.41482.3.7) and Apple's 8.13.1 / 8.13.3.

    Args:
        der: the complete DER encoding (tag 0x02, length, content).
        check: SPEC check id for errors.
        max_bytes: largest content length accepted; the default keeps `str(value)` well
            inside Python's integer-to-string digit limit.

    Returns:
        The integer value.

    Raises:
        MalformedError: not an INTEGER, non-minimal, negative, trailing bytes or longer
            than `max_bytes` content bytes.
    """
    number = _read(der, _der_integer, "INTEGER", check)
    if number.bit_length() > 8 * max_bytes:
        raise MalformedError(f"INTEGER is longer than {max_bytes} bytes", check=check)
    if number < 0:
        raise MalformedError(f"INTEGER is negative: {quote(bytes(der))}", check=check)
    return number


def _string_sequence_spec() -> Any:
    from pyasn1.type import char, namedtype, univ  # noqa: PLC0415 - off the hot path

    class _DirectoryString(univ.Choice):  # type: ignore[misc]
        componentType = namedtype.NamedTypes(
            namedtype.NamedType("utf8String", char.UTF8String()),
            namedtype.NamedType("printableString", char.PrintableString()),
            namedtype.NamedType("ia5String", char.IA5String()),
        )

    class _StringSequence(univ.Sequence):  # type: ignore[misc]
        componentType = namedtype.NamedTypes(namedtype.NamedType("value", _DirectoryString()))

    return _StringSequence()


def _to_choice_text(value: Any) -> tuple[str, str]:
    choice = value["value"]
    return str(choice.getName()), str(choice.getComponent())


def decode_der_string_sequence(der: bytes, *, check: str) -> str:
    """Decode `SEQUENCE { UTF8String / PrintableString / IA5String }` with a non-empty string.

    The value of the smallstep managed-device extension 1.3.6.1.4.1.37476.9000.64.4.

    Args:
        der: the extension value DER.
        check: SPEC check id for errors.

    Returns:
        The string.

    Raises:
        MalformedError: another structure, an empty string, characters outside the string
            type's alphabet, invalid UTF-8, trailing bytes or too long.
    """
    kind, text = decode_strict(der, _string_sequence_spec(), "device id SEQUENCE", check, _to_choice_text)
    if not text:
        raise MalformedError("device id string is empty", check=check)
    if kind == "printableString" and not set(text) <= _PRINTABLE:
        raise MalformedError(
            f"PrintableString has characters outside its alphabet: {quote(text)}", check=check
        )
    return text


def raw_extension(ext: x509.Extension[x509.ExtensionType]) -> bytes:
    """The raw extnValue of `ext` (re-encoded by `cryptography` when it knows the type)."""
    value = ext.value
    if isinstance(value, x509.UnrecognizedExtension):
        return bytes(value.value)
    return value.public_bytes()
