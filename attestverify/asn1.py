"""Strict DER readers for the few ASN.1 values that attestverify interprets.

`cryptography` parses certificates but hands SAN otherNames and unknown extension values over as
raw DER. These helpers decode them with `pyasn1` against a fixed schema and then require the input
to be the one canonical DER encoding of the decoded value (re-encode and compare): BER leniencies
such as indefinite or non-minimal lengths, constructed strings or trailing bytes are refused, so
two different byte strings can never yield the same identity.

Every failure is a `MalformedError` carrying the caller's SPEC check id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cryptography import x509
from pyasn1.codec.der import decoder as _der_decoder
from pyasn1.codec.der import encoder as _der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, namedtype, univ

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


class _PermanentIdentifier(univ.Sequence):  # type: ignore[misc]
    # RFC 4043 §5; defined here rather than imported so the schema cannot drift with pyasn1-modules.
    componentType = namedtype.NamedTypes(
        namedtype.OptionalNamedType("identifierValue", char.UTF8String()),
        namedtype.OptionalNamedType("assigner", univ.ObjectIdentifier()),
    )


class _HardwareModuleName(univ.Sequence):  # type: ignore[misc]
    # RFC 4108 §5.
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("hwType", univ.ObjectIdentifier()),
        namedtype.NamedType("hwSerialNum", univ.OctetString()),
    )


class _DirectoryString(univ.Choice):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("utf8String", char.UTF8String()),
        namedtype.NamedType("printableString", char.PrintableString()),
        namedtype.NamedType("ia5String", char.IA5String()),
    )


class _StringSequence(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(namedtype.NamedType("value", _DirectoryString()))


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


def decode_strict(
    der: object,
    spec: Any,
    what: str,
    check: str,
    convert: Callable[[Any], _T],
    *,
    max_size: int = MAX_DER,
) -> _T:
    """Decode `der` against `spec`, requiring canonical DER and no trailing bytes, then `convert`.

    Args:
        der: the DER bytes (1 ... `max_size` bytes).
        spec: the pyasn1 schema.
        what: the value's name in error messages.
        check: the SPEC check id of every error.
        convert: turns the decoded pyasn1 value into the result; a `MalformedError` it raises
            passes unchanged, any pyasn1, value or type error becomes one.
        max_size: the largest input accepted.

    Raises:
        MalformedError: (`check`) not bytes, empty, too long, not canonical DER, trailing bytes,
            or `convert` refused the value.
    """
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
    return decode_strict(der, _PermanentIdentifier(), "PermanentIdentifier", check, _to_permanent_identifier)


def _to_permanent_identifier(value: Any) -> PermanentIdentifier:
    ident = value["identifierValue"]
    assigner = value["assigner"]
    return PermanentIdentifier(
        value=str(ident) if ident.isValue else None,
        assigner=str(assigner) if assigner.isValue else None,
    )


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
    return decode_strict(der, _HardwareModuleName(), "HardwareModuleName", check, _to_hardware_module_name)


def _to_hardware_module_name(value: Any) -> HardwareModuleName:
    return HardwareModuleName(
        hw_type=str(value["hwType"]), hw_serial_num=bytes(value["hwSerialNum"].asOctets())
    )


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
    number = decode_strict(der, univ.Integer(), "INTEGER", check, int)
    if number.bit_length() > 8 * max_bytes:
        raise MalformedError(f"INTEGER is longer than {max_bytes} bytes", check=check)
    if number < 0:
        raise MalformedError(f"INTEGER is negative: {quote(bytes(der))}", check=check)
    return number


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
    kind, text = decode_strict(der, _StringSequence(), "device id SEQUENCE", check, _to_choice_text)
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
