"""Certificate rules the pinned validator enforces besides P1-P10 (SPEC v2 §5.3, the closed list).

Tier 1 (`cryptography`'s verifier) enforces these on every certificate it sees; the pinned validator
runs when tier 1 rejected, so each rule tier 1 has and it lacked would be a way past tier 1 for any
chain that also shows a relaxation trigger. The differential test
(`tests/test_tier_differential.py`) is the oracle for this list:

* every certificate is v3;
* serialNumber positive, at most 20 octets of value (a sign octet 00 does not count);
* validity: UTCTime for years before 2050 and GeneralizedTime from 2050, both in DER form
  (`YYMMDDHHMMSSZ` / `YYYYMMDDHHMMSSZ`);
* a non-empty issuer name (and, checked where a certificate acts as issuer, a non-empty subject);
* no duplicate extension (enforced when `cryptography` decodes the extensions, before this runs);
* outer `signatureAlgorithm` byte-equal to `tbsCertificate.signature` (`certsig`/`pinned`);
* an RSA-PSS SubjectPublicKeyInfo signs only with PSS and its own parameters, and the signature
  algorithm matches the issuer key type (`certsig.verifier`).
"""

from __future__ import annotations

from cryptography import x509

from . import certder

__all__ = ["EMPTY_NAME", "MAX_SERIAL_OCTETS", "certificate_problem"]

EMPTY_NAME = b"\x30\x00"
MAX_SERIAL_OCTETS = 20
_UTC_LENGTH = 13
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_GENERALIZED_LENGTH = 15


def _time_problem(tag: int, raw: bytes) -> str | None:
    if tag == _UTC_TIME:
        if len(raw) != _UTC_LENGTH or not raw[:12].isdigit() or raw[12:] != b"Z":
            return "is not DER UTCTime (YYMMDDHHMMSSZ)"
        return None
    if tag != _GENERALIZED_TIME:
        return "is neither UTCTime nor GeneralizedTime"
    if len(raw) != _GENERALIZED_LENGTH or not raw[:14].isdigit() or raw[14:] != b"Z":
        return "is not DER GeneralizedTime (YYYYMMDDHHMMSSZ)"
    if int(raw[:4]) < 2050:
        return "is a GeneralizedTime before 2050 (must be UTCTime)"
    return None


def certificate_problem(cert: x509.Certificate) -> tuple[str, str] | None:
    """(rule, reason) for the first closed-list rule `cert` breaks, or None.

    Args:
        cert: any certificate considered for a path (leaf, candidate or anchor).

    Returns:
        `("P3", ...)` for version, serial and name rules, `("P4", ...)` for validity encoding, or None.
    """
    if cert.version != x509.Version.v3:
        return "P3", "is not a v3 certificate"
    head = certder.tbs_head(cert.tbs_certificate_bytes)
    if head is None:
        return "P3", "has an unreadable tbsCertificate"
    serial = head.serial
    if not serial or serial[0] & 0x80 or not any(serial):
        return "P3", "has a serial number that is not positive"
    # At most 20 octets of value; a leading zero octet is only the sign and does not count.
    if len(serial.removeprefix(b"\x00")) > MAX_SERIAL_OCTETS:
        return "P3", f"has a serial number longer than {MAX_SERIAL_OCTETS} octets"
    for field, (tag, raw) in (("notBefore", head.not_before), ("notAfter", head.not_after)):
        problem = _time_problem(tag, raw)
        if problem is not None:
            return "P4", f"{field} {problem}"
    if cert.issuer.public_bytes() == EMPTY_NAME:
        return "P3", "has an empty issuer name"
    return None
