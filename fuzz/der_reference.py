"""The pyasn1 decoders that `attestverify/der.py` replaced (attestverify 0.1.0 `asn1.py`), kept
as the reference of `fuzz_diff_der.py`: decode against a fixed pyasn1 schema, then require the
input to equal the DER re-encoding of the decoded value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pyasn1.codec.der import decoder as _der_decoder
from pyasn1.codec.der import encoder as _der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, namedtype, univ

from attestverify.errors import MalformedError, quote
from attestverify.identity import HardwareModuleName, PermanentIdentifier

MAX_DER = 4096
_T = TypeVar("_T")


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


def _as_bytes(der: object, what: str, check: str) -> bytes:
    if not isinstance(der, (bytes, bytearray, memoryview)):
        raise MalformedError(f"{what} must be DER bytes", check=check)
    data = bytes(der)
    if not data:
        raise MalformedError(f"{what} is empty", check=check)
    if len(data) > MAX_DER:
        raise MalformedError(f"{what} is longer than {MAX_DER} bytes", check=check)
    return data


def _decode_strict(der: object, spec: Any, what: str, check: str, convert: Callable[[Any], _T]) -> _T:
    """Decode `der` against `spec`, requiring canonical DER and no trailing bytes, then `convert`."""
    data = _as_bytes(der, what, check)
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
    return _decode_strict(der, _PermanentIdentifier(), "PermanentIdentifier", check, _to_permanent_identifier)


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
    return _decode_strict(der, _HardwareModuleName(), "HardwareModuleName", check, _to_hardware_module_name)


def _to_hardware_module_name(value: Any) -> HardwareModuleName:
    return HardwareModuleName(
        hw_type=str(value["hwType"]), hw_serial_num=bytes(value["hwSerialNum"].asOctets())
    )


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
    number = _decode_strict(der, univ.Integer(), "INTEGER", check, int)
    if number.bit_length() > 8 * max_bytes:
        raise MalformedError(f"INTEGER is longer than {max_bytes} bytes", check=check)
    if number < 0:
        raise MalformedError(f"INTEGER is negative: {quote(bytes(der))}", check=check)
    return number
