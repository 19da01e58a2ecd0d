"""ACME identifier syntax of draft-ietf-acme-device-attest-09 (check I1).

Two identifier types carry device identities:

* `permanent-identifier`: `device-id ["/" assigner-OID]` (RFC 4043 PermanentIdentifier);
* `hardware-module`: `hw-serial "/" hwType-OID`, the OID mandatory (RFC 4108 HardwareModuleName).

`device-id` and `hw-serial` are one or more characters other than `/` (control characters are
allowed); the OID is dotted decimal without leading zeros. Servers call `parse_identifier` at
newOrder to reject non-conforming values early (ACME `malformed`).
"""

from __future__ import annotations

import re

from .errors import MalformedError, quote
from .identity import HARDWARE_MODULE, PERMANENT_IDENTIFIER, HardwareModuleName, PermanentIdentifier

__all__ = [
    "HARDWARE_MODULE",
    "PERMANENT_IDENTIFIER",
    "format_identifier",
    "is_oid",
    "parse_identifier",
]

# First arc 0 or 1 with a second arc 0..39, or first arc 2 with any second arc (X.660); no arc
# has a leading zero, so every OID has exactly one spelling and compares octet for octet.
_OID = re.compile(r"(?:[01]\.(?:[0-9]|[1-3][0-9])|2\.(?:0|[1-9][0-9]*))(?:\.(?:0|[1-9][0-9]*))*", re.ASCII)


def is_oid(text: object) -> bool:
    """Whether `text` is a dotted-decimal OID in the canonical form SPEC §2.5 requires."""
    return isinstance(text, str) and _OID.fullmatch(text) is not None


def _fail(message: str) -> MalformedError:
    return MalformedError(message, check="I1")


def _check_utf8(value: str) -> None:
    try:
        value.encode("utf-8", "strict")
    except UnicodeEncodeError:
        # Lone surrogates: not representable on the wire, and never equal to an attested value.
        raise _fail(f"identifier is not encodable as UTF-8: {quote(value)}") from None


def _split_oid(value: str, what: str) -> tuple[str, str]:
    head, _, oid = value.partition("/")
    if "/" in oid:
        raise _fail(f"{what} has more than one '/': {quote(value)}")
    if not head:
        raise _fail(f"{what} is empty before '/': {quote(value)}")
    if not is_oid(oid):
        raise _fail(f"{what} OID after '/' is not canonical dotted decimal: {quote(oid)}")
    return head, oid


def parse_identifier(type: str, value: str) -> PermanentIdentifier | HardwareModuleName:  # noqa: A002
    """Parse a draft-09 ACME identifier value.

    Args:
        type: the ACME identifier type, `"permanent-identifier"` or `"hardware-module"`.
        value: the identifier value (`str` that encodes to UTF-8).

    Returns:
        A `PermanentIdentifier` (`assigner` `None` without `/OID`) for `permanent-identifier`,
        a `HardwareModuleName` (serial as UTF-8 octets) for `hardware-module`.

    Raises:
        MalformedError: check I1, for an unknown type, a non-`str` or non-UTF-8 value, an empty
            device id or serial, a second `/`, a non-canonical OID, or a `hardware-module`
            value without its `/OID`.
    """
    if not isinstance(type, str) or type not in (PERMANENT_IDENTIFIER, HARDWARE_MODULE):
        raise _fail(f"identifier type must be {PERMANENT_IDENTIFIER!r} or {HARDWARE_MODULE!r}")
    if not isinstance(value, str):
        raise _fail("identifier value must be a str")
    _check_utf8(value)
    if not value:
        raise _fail("identifier value is empty")
    if type == PERMANENT_IDENTIFIER:
        if "/" not in value:
            return PermanentIdentifier(value=value, assigner=None)
        device_id, assigner = _split_oid(value, "permanent-identifier")
        return PermanentIdentifier(value=device_id, assigner=assigner)
    if "/" not in value:
        raise _fail(f"hardware-module value needs 'serial/hwType-OID': {quote(value)}")
    serial, hw_type = _split_oid(value, "hardware-module")
    return HardwareModuleName(hw_type=hw_type, hw_serial_num=serial.encode("utf-8"))


def format_identifier(obj: PermanentIdentifier | HardwareModuleName) -> str:
    """Render a value type as its draft-09 ACME identifier value (inverse of `parse_identifier`).

    Args:
        obj: a `PermanentIdentifier` or `HardwareModuleName`.

    Returns:
        `value` or `value/assigner`, respectively `serial/hwType`.

    Raises:
        MalformedError: check I1, if `obj` is of another type or has no ACME value (value
            absent or empty, containing `/`, serial not UTF-8, or an OID not in canonical form).
    """
    if isinstance(obj, PermanentIdentifier):
        kind = PERMANENT_IDENTIFIER
    elif isinstance(obj, HardwareModuleName):
        kind = HARDWARE_MODULE
    else:
        raise _fail(f"cannot format {type(obj).__name__} as an ACME identifier")
    try:
        text = obj.acme_value()
    except (TypeError, AttributeError, ValueError):
        # A value type built with wrongly typed fields (it is a plain dataclass).
        text = None
    if not isinstance(text, str):
        raise _fail(f"{kind} has no ACME identifier value")
    # Round-tripping through the parser rejects what acme_value() lets through but the syntax
    # does not (an assigner or hwType that is not a canonical OID, lone surrogates).
    if parse_identifier(kind, text) != obj:
        raise _fail(f"{kind} does not have a canonical ACME identifier value")
    return text
