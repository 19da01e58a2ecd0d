"""Check C9 of `verify_csr` (SPEC v2 §2.4): requests a CA must never honour.

A CSR is only a request: servers build the certificate from the order and never copy CSR content.
Some CA software does copy it, so a CSR that asks for CA powers or for names outside the binding
checks is refused outright:

* basicConstraints cA=TRUE; keyUsage keyCertSign or cRLSign; extendedKeyUsage containing
  anyExtendedKeyUsage; nameConstraints; issuerAltName (any criticality);
* any critical extension other than subjectAltName, basicConstraints, keyUsage, extendedKeyUsage
  and subjectKeyIdentifier;
* a Microsoft enrollment name-value pair attribute (1.3.6.1.4.1.311.13.2.1, MS-WCCE
  EnrollmentNameValuePair: SEQUENCE { name BMPString, value BMPString }) whose name, ignoring ASCII
  case and surrounding ASCII whitespace, is `SAN`: `certreq -attrib "SAN:upn=..."` sends it, and AD CS
  with EDITF_ATTRIBUTESUBJECTALTNAME2 turns it into a subjectAltName no C6/C8 check saw. Every
  value of every such attribute is read; one that does not decode as that SEQUENCE also fails, since
  another decoder might still find a `SAN` in it.

Subject attributes other than CN are not judged (Apple's ACME payload lets a profile set any subject).
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core
from asn1crypto import csr as asn1_csr
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from .errors import PolicyError, shown

__all__ = ["MS_NAME_VALUE_PAIR_OID", "Attribute", "check_c9", "read_attributes"]

MS_NAME_VALUE_PAIR_OID = "1.3.6.1.4.1.311.13.2.1"
_ALLOWED_CRITICAL = frozenset(
    {
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    }
)
_NEVER = {
    ExtensionOID.NAME_CONSTRAINTS: "nameConstraints",
    ExtensionOID.ISSUER_ALTERNATIVE_NAME: "issuerAltName",
}
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"


class _AnySet(core.SetOf):  # type: ignore[misc]  # asn1crypto is untyped
    _child_spec = core.Any


class _NameValuePair(core.Sequence):  # type: ignore[misc]
    _fields = [("name", core.BMPString), ("value", core.BMPString)]  # noqa: RUF012 - asn1crypto API


class _NameValuePairs(core.SetOf):  # type: ignore[misc]
    _child_spec = _NameValuePair


def _refuse(reason: str) -> PolicyError:
    return PolicyError(f"CSR requests {reason}, which a CA must never honour", check="C9")


def _check_extension(ext: x509.Extension[x509.ExtensionType]) -> None:
    value = ext.value
    if ext.oid in _NEVER:
        raise _refuse(_NEVER[ext.oid])
    if isinstance(value, x509.BasicConstraints) and value.ca:
        raise _refuse("basicConstraints cA=TRUE")
    if isinstance(value, x509.KeyUsage) and (value.key_cert_sign or value.crl_sign):
        raise _refuse("keyUsage keyCertSign or cRLSign")
    if isinstance(value, x509.ExtendedKeyUsage) and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in value:
        raise _refuse("extendedKeyUsage anyExtendedKeyUsage")
    if ext.critical and ext.oid not in _ALLOWED_CRITICAL:
        raise _refuse(f"the critical extension {ext.oid.dotted_string}")


def _name_value_pairs(values_der: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of one attribute's `values` SET; raises on anything else."""
    parsed = _NameValuePairs.load(values_der, strict=True)
    pairs = []
    for pair in parsed:
        name, value = pair["name"].native, pair["value"].native
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError("a name-value pair lacks its name or value")
        pairs.append((name, value))
    return pairs


@dataclass(frozen=True, slots=True)
class Attribute:
    """One CSR attribute as found in the DER.

    Attributes:
        oid: dotted attribute type.
        count: number of values in its SET.
        values_der: DER of the whole `values` SET.
    """

    oid: str
    count: int
    values_der: bytes


def read_attributes(request: x509.CertificateSigningRequest) -> tuple[Attribute, ...]:
    """Every attribute of `request`, multi-valued ones included (`cryptography` refuses those).

    Raises:
        ValueError: the attributes cannot be read (the caller's C1).
    """
    try:
        info = asn1_csr.CertificationRequest.load(request.public_bytes(Encoding.DER))[
            "certification_request_info"
        ]
        found = []
        for attribute in info["attributes"]:
            values_der = bytes(attribute["values"].dump())
            # Read as a plain SET OF ANY: asn1crypto types the values of the attributes it knows.
            found.append(
                Attribute(attribute["type"].dotted, len(_AnySet.load(values_der, strict=True)), values_der)
            )
        return tuple(found)
    except Exception as exc:  # noqa: BLE001 - any asn1crypto failure is one unreadable CSR
        raise ValueError(f"CSR attributes do not decode: {type(exc).__name__}") from None


def _check_ms_attributes(attributes: tuple[Attribute, ...]) -> None:
    for attribute in attributes:
        oid, values_der = attribute.oid, attribute.values_der
        if oid != MS_NAME_VALUE_PAIR_OID:
            continue
        try:
            pairs = _name_value_pairs(values_der)
        except Exception:  # noqa: BLE001 - any decoding failure: not a SET OF SEQUENCE {BMPString, BMPString}
            raise _refuse("a Microsoft name-value pair attribute that does not decode") from None
        for name, value in pairs:
            stripped = name.strip(_ASCII_WHITESPACE)
            if stripped.isascii() and stripped.lower() == "san":
                raise _refuse(f"a Microsoft SAN name-value pair ({shown(value)})")


def check_c9(request: x509.CertificateSigningRequest, attributes: tuple[Attribute, ...]) -> None:
    """C9: refuse a CSR requesting what a CA must never honour (see the module docstring).

    Args:
        request: a CSR that passed C1 (its extensions decode).
        attributes: `read_attributes(request)`, as read for C1.

    Raises:
        PolicyError: `policy`, C9.
    """
    for ext in request.extensions:
        _check_extension(ext)
    _check_ms_attributes(attributes)
