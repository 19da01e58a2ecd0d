"""Strict reading of a certificate's unsigned outer encoding (SPEC v2 §3.2, x5c row).

`Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }`. Only
the TBS is signed: the outer SEQUENCE, the outer `signatureAlgorithm` and the BIT STRING wrapper are
not, so anyone relaying a statement can re-encode them. A lenient reader then accepts several byte
strings for one certificate (and `identity.chain` carries the edited bytes), and a reader that takes
anything from them (a relaxation trigger) lets the relay choose. This module accepts exactly one
encoding: definite minimal lengths, no trailing bytes, a signatureValue with zero unused bits, and an
outer `signatureAlgorithm` byte-equal to `tbsCertificate.signature`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TbsHead", "outer_problem", "tbs_head"]

_SEQUENCE = 0x30
_BIT_STRING = 0x03
_INTEGER = 0x02
_VERSION_TAG = 0xA0


class _NotDer(Exception):
    pass


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at `pos`, DER length rules enforced."""
    if pos + 2 > end:
        raise _NotDer("truncated TLV")
    tag, first = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise _NotDer("high tag number")
    start = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise _NotDer("indefinite or oversized length")
        if start + count > end or data[start] == 0:
            raise _NotDer("non-minimal length")
        length = int.from_bytes(data[start : start + count], "big")
        if length < 0x80:
            raise _NotDer("long form for a short length")
        start += count
    if start + length > end:
        raise _NotDer("length beyond the enclosing value")
    return tag, start, start + length


@dataclass(frozen=True, slots=True)
class TbsHead:
    """Raw fields at the start of a tbsCertificate (read without a full ASN.1 parse: the pinned
    validator checks them on every candidate issuer of a search).

    Attributes:
        serial: content octets of serialNumber.
        not_before: (tag, content octets) of validity.notBefore (0x17 UTCTime, 0x18 GeneralizedTime).
        not_after: the same for notAfter.
    """

    serial: bytes
    not_before: tuple[int, bytes]
    not_after: tuple[int, bytes]


def tbs_head(tbs: bytes) -> TbsHead | None:
    """The serial and validity fields of DER `tbs`, or None when they cannot be read."""
    try:
        tag, start, end = _tlv(tbs, 0, len(tbs))
        pos = start
        first_tag, _, first_end = _tlv(tbs, pos, end)
        if first_tag == _VERSION_TAG:
            pos = first_end
        serial_tag, serial_start, serial_end = _tlv(tbs, pos, end)
        _, _, alg_end = _tlv(tbs, serial_end, end)
        _, _, issuer_end = _tlv(tbs, alg_end, end)
        validity_tag, validity_start, validity_end = _tlv(tbs, issuer_end, end)
        nb_tag, nb_start, nb_end = _tlv(tbs, validity_start, validity_end)
        na_tag, na_start, na_end = _tlv(tbs, nb_end, validity_end)
    except _NotDer:
        return None
    if tag != _SEQUENCE or serial_tag != _INTEGER or validity_tag != _SEQUENCE:
        return None
    return TbsHead(
        serial=tbs[serial_start:serial_end],
        not_before=(nb_tag, tbs[nb_start:nb_end]),
        not_after=(na_tag, tbs[na_start:na_end]),
    )


def outer_problem(der: bytes) -> str | None:
    """Why the outer encoding of certificate `der` is not the single accepted DER form, or None.

    Args:
        der: the certificate bytes as received.

    Returns:
        A short reason (for a `malformed` message), or None when the outer encoding is strict DER,
        the signatureValue has zero unused bits and the two signature AlgorithmIdentifiers are equal.
    """
    try:
        tag, start, end = _tlv(der, 0, len(der))
        if tag != _SEQUENCE or end != len(der):
            return "the certificate is not one DER SEQUENCE"
        tbs_tag, tbs_start, tbs_end = _tlv(der, start, end)
        alg_tag, _, alg_end = _tlv(der, tbs_end, end)
        bits_tag, bits_start, bits_end = _tlv(der, alg_end, end)
        if (tbs_tag, alg_tag, bits_tag) != (_SEQUENCE, _SEQUENCE, _BIT_STRING) or bits_end != end:
            return "the certificate does not hold exactly TBS, signatureAlgorithm and signatureValue"
        if bits_end == bits_start or der[bits_start] != 0:
            return "the signatureValue BIT STRING has a non-zero unused-bits count"
        # tbsCertificate: [0] version OPTIONAL, serialNumber, signature, ...
        pos = tbs_start
        first_tag, _, first_end = _tlv(der, pos, tbs_end)
        if first_tag == _VERSION_TAG:
            pos = first_end
        serial_tag, _, serial_end = _tlv(der, pos, tbs_end)
        if serial_tag != _INTEGER:
            return "tbsCertificate has no serialNumber where expected"
        inner_tag, _, inner_end = _tlv(der, serial_end, tbs_end)
        if inner_tag != _SEQUENCE:
            return "tbsCertificate has no signature AlgorithmIdentifier where expected"
        if der[serial_end:inner_end] != der[tbs_end:alg_end]:
            return "the outer signatureAlgorithm differs from tbsCertificate.signature"
    except _NotDer as exc:
        return f"the outer encoding is not DER ({exc})"
    return None
