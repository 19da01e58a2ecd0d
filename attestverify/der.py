"""A minimal strict-DER reader for the small fixed values on the verification path.

`asn1.py` decoded every value with pyasn1 and then required the input to equal the re-encoding
(about 20-40 µs per value). The values on the hot path are tiny and have fixed shapes: an INTEGER
(YubiKey serial, Apple 8.13.x), an RFC 4043 PermanentIdentifier and an RFC 4108
HardwareModuleName (TPM and CSR SANs). For those, this module reads the encoding directly and
accepts exactly the canonical DER form: one definite, minimal length per value, primitive
universal tags, minimal INTEGER contents, OID arcs without leading 0x80 octets, strict UTF-8, no
trailing bytes. Anything else is a `DerError`. `fuzz/fuzz_diff_der.py` runs these readers against
the pyasn1 decode-and-re-encode path (kept in `tests/der_reference.py`) and requires the same
verdict and value for every input.
"""

from __future__ import annotations

__all__ = ["DerError", "hardware_module_name", "integer", "permanent_identifier", "spki_bits"]

_INTEGER = 0x02
_BIT_STRING = 0x03
_OCTET_STRING = 0x04
_OID = 0x06
_UTF8_STRING = 0x0C
_SEQUENCE = 0x30
# At most 20 octets with the continuation bit per OID arc (147-bit arcs): a bound on work, and
# the bound of the pyasn1 reader this replaces (its MAX_OID_ARC_CONTINUATION_OCTETS).
_MAX_ARC_CONTINUATION = 20


class DerError(ValueError):
    """The bytes are not the one canonical DER encoding of the expected value."""


def _tlv(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    """(content start, content end) of the value with `tag` at `pos`; the length must be minimal."""
    end = len(data)
    if pos + 2 > end or data[pos] != tag:
        raise DerError("unexpected tag or truncated value")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise DerError("indefinite, oversized or truncated length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        # Minimal long form: no leading zero octet, and only for lengths of 128 or more.
        if length < 0x80 or data[pos - count] == 0:
            raise DerError("non-minimal length")
    if pos + length > end:
        raise DerError("truncated value")
    return pos, pos + length


def _alone(data: bytes, tag: int) -> tuple[int, int]:
    start, end = _tlv(data, 0, tag)
    if end != len(data):
        raise DerError("trailing bytes")
    return start, end


def integer(data: bytes) -> int:
    """The INTEGER that `data` encodes (any sign; minimal content, nothing after it)."""
    start, end = _alone(data, _INTEGER)
    if start == end:
        raise DerError("empty INTEGER")
    if end - start > 1:
        lead, second = data[start], data[start + 1]
        if (lead == 0 and second < 0x80) or (lead == 0xFF and second >= 0x80):
            raise DerError("non-minimal INTEGER")
    return int.from_bytes(data[start:end], "big", signed=True)


def _oid(data: bytes, start: int, end: int) -> str:
    if start == end:
        raise DerError("empty OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    fresh = True
    continued = 0
    for octet in data[start:end]:
        if fresh and octet == 0x80:
            raise DerError("OBJECT IDENTIFIER arc with a leading 0x80 octet")
        value = (value << 7) | (octet & 0x7F)
        fresh = octet < 0x80
        if fresh:
            arcs.append(value)
            value = 0
            continued = 0
        else:
            continued += 1
            if continued > _MAX_ARC_CONTINUATION:
                raise DerError("OBJECT IDENTIFIER arc longer than 21 octets")
    if not fresh:
        raise DerError("truncated OBJECT IDENTIFIER arc")
    head = arcs[0]
    first = (0, head) if head < 40 else (1, head - 40) if head < 80 else (2, head - 80)
    # str() of an arc beyond int max_str_digits raises ValueError (a DER failure for the caller).
    return ".".join(map(str, (*first, *arcs[1:])))


def _utf8(data: bytes, start: int, end: int) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        raise DerError("invalid UTF-8") from None


def permanent_identifier(data: bytes) -> tuple[str | None, str | None]:
    """RFC 4043 `SEQUENCE { identifierValue UTF8String OPTIONAL, assigner OID OPTIONAL }`."""
    pos, end = _alone(data, _SEQUENCE)
    value: str | None = None
    assigner: str | None = None
    if pos < end and data[pos] == _UTF8_STRING:
        start, pos = _tlv(data[:end], pos, _UTF8_STRING)
        value = _utf8(data, start, pos)
    if pos < end:
        start, pos = _tlv(data[:end], pos, _OID)
        assigner = _oid(data, start, pos)
    if pos != end:
        raise DerError("unexpected content in PermanentIdentifier")
    return value, assigner


def hardware_module_name(data: bytes) -> tuple[str, bytes]:
    """RFC 4108 `SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING }`."""
    pos, end = _alone(data, _SEQUENCE)
    inner = data[:end]
    start, pos = _tlv(inner, pos, _OID)
    hw_type = _oid(data, start, pos)
    start, pos = _tlv(inner, pos, _OCTET_STRING)
    if pos != end:
        raise DerError("unexpected content in HardwareModuleName")
    return hw_type, bytes(data[start:pos])


def spki_bits(data: bytes) -> bytes:
    """The BIT STRING contents (after the unused-bits octet, which must be 0) of a SubjectPublicKeyInfo."""
    pos, end = _alone(data, _SEQUENCE)
    inner = data[:end]
    _, pos = _tlv(inner, pos, _SEQUENCE)
    start, pos = _tlv(inner, pos, _BIT_STRING)
    if pos != end or start == pos or data[start] != 0:
        raise DerError("not a SubjectPublicKeyInfo with a whole-octet key")
    return bytes(data[start + 1 : pos])
