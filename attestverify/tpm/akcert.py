"""The TPM attestation-key (AK) certificate: profile (T6), SAN identities (T7), TPM vendor data.

The profile follows WebAuthn Level 3 §8.3.1 with the differences of SPEC §6: the AIK extended key
usage may sit at any position, and the TPM manufacturer/model/version attributes may come as one
multi-valued RDN or as separate RDNs, in one or several directoryNames. There is no manufacturer
allow-list: the vendor name is looked up in the TCG vendor ID registry shipped as data, for
information only.
"""

from __future__ import annotations

import functools
import json
import pkgutil
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .. import asn1, keys
from ..errors import PolicyError, quote
from ..identity import HardwareModuleName, PermanentIdentifier

__all__ = [
    "AIK_CERTIFICATE_OID",
    "TPM_MANUFACTURER_OID",
    "TPM_MODEL_OID",
    "TPM_VERSION_OID",
    "AkProfile",
    "check_profile",
    "identities",
    "manufacturer_id",
    "vendor_name",
]

AIK_CERTIFICATE_OID = x509.ObjectIdentifier("2.23.133.8.3")  # tcg-kp-AIKCertificate
TPM_MANUFACTURER_OID = x509.ObjectIdentifier("2.23.133.2.1")
TPM_MODEL_OID = x509.ObjectIdentifier("2.23.133.2.2")
TPM_VERSION_OID = x509.ObjectIdentifier("2.23.133.2.3")

_CHECK = "T6"
_AK_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
_MANUFACTURER_ID = re.compile(r"id:([0-9A-Fa-f]{8})", re.ASCII)
_ATTRIBUTES = {
    TPM_MANUFACTURER_OID: "manufacturer",
    TPM_MODEL_OID: "model",
    TPM_VERSION_OID: "version",
}

_E = TypeVar("_E", bound=x509.ExtensionType)


@dataclass(frozen=True, slots=True)
class AkProfile:
    """What the AK certificate says about the TPM (SAN directoryName attributes, T6 rule 5)."""

    manufacturer: str
    model: str
    version: str
    manufacturer_id: int | None
    vendor: str | None


@functools.cache
def _vendors() -> MappingProxyType[str, str]:
    # pkgutil.get_data: package data without importing importlib.resources (see roots).
    text = (pkgutil.get_data("attestverify", "data/tpm_vendors.json") or b"").decode("utf-8")
    table = json.loads(text)["vendors"]
    return MappingProxyType({key.upper(): entry["name"] for key, entry in table.items()})


def manufacturer_id(manufacturer: str) -> int | None:
    """The TPM vendor ID of a `TPMManufacturer` value `id:XXXXXXXX` (8 hex digits, any case).

    Returns:
        The 32-bit ID, or None when the value has another form.
    """
    match = _MANUFACTURER_ID.fullmatch(manufacturer)
    return int(match.group(1), 16) if match else None


def vendor_name(manufacturer: str) -> str | None:
    """The TCG registry name of the vendor in a `TPMManufacturer` value, or None if unknown.

    IDs are 4 ASCII bytes padded with NUL or space (`"AMD\\0"` is `id:414D4400`, `"STM "` is
    `id:53544D20`); the hex digits may come in either case.
    """
    number = manufacturer_id(manufacturer)
    if number is None:
        return None
    return _vendors().get(f"{number:08X}")


def _extension(cert: x509.Certificate, kind: type[_E]) -> x509.Extension[_E] | None:
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _directory_attributes(san: x509.SubjectAlternativeName) -> dict[str, str]:
    found: dict[str, str] = {}
    for directory in san.get_values_for_type(x509.DirectoryName):
        for rdn in directory.rdns:
            for attribute in rdn:
                field = _ATTRIBUTES.get(attribute.oid)
                if field is None:
                    continue
                value = attribute.value
                if not isinstance(value, str) or not value:
                    raise PolicyError(
                        f"AK certificate SAN TPM {field} is empty or not a string", check=_CHECK
                    )
                # A second, different value would let the certificate claim two devices at once.
                if field in found and found[field] != value:
                    raise PolicyError(
                        f"AK certificate SAN carries two different TPM {field} values", check=_CHECK
                    )
                found[field] = value
    return found


def _check_ak_key(cert: x509.Certificate) -> None:
    key = keys.end_entity_key(cert, check=_CHECK, what="the AK certificate")
    if isinstance(key, rsa.RSAPublicKey):
        keys.check_rsa_key(key, check=_CHECK, what="the AK key")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        keys.check_ec_curve(key, _AK_CURVES, check=_CHECK, what="the AK key")
    else:
        raise PolicyError("the AK key must be RSA or EC P-256/P-384/P-521", check=_CHECK)


def check_profile(cert: x509.Certificate) -> AkProfile:
    """Check the AK certificate profile (SPEC §4.3 T6) and read the TPM attributes.

    Args:
        cert: the AK certificate (`x5c[0]`), already path-validated.

    Returns:
        The TPM manufacturer, model and version from the SAN, the numeric vendor ID and the
        vendor name when known.

    Raises:
        PolicyError: (T6) not v3; subject not empty; cA=TRUE; EKU missing or without
            2.23.133.8.3; SAN missing or without non-empty TPM manufacturer, model and version
            (or with two different values of one); AK key not RSA 2048-4096 (e < 2^32, no ROCA
            fingerprint) or EC P-256/P-384/P-521.
    """
    if cert.version != x509.Version.v3:
        raise PolicyError("the AK certificate must be X.509 v3", check=_CHECK)
    if len(cert.subject.rdns) != 0:
        raise PolicyError(
            f"the AK certificate subject must be empty, found {quote(cert.subject.rfc4514_string())}",
            check=_CHECK,
        )
    basic = _extension(cert, x509.BasicConstraints)
    if basic is not None and basic.value.ca:
        raise PolicyError("the AK certificate must not be a CA (basicConstraints cA=TRUE)", check=_CHECK)
    eku = _extension(cert, x509.ExtendedKeyUsage)
    if eku is None:
        raise PolicyError("the AK certificate has no extendedKeyUsage", check=_CHECK)
    if AIK_CERTIFICATE_OID not in list(eku.value):
        raise PolicyError("the AK certificate EKU lacks tcg-kp-AIKCertificate 2.23.133.8.3", check=_CHECK)
    san = _extension(cert, x509.SubjectAlternativeName)
    if san is None:
        raise PolicyError("the AK certificate has no subjectAltName", check=_CHECK)
    attributes = _directory_attributes(san.value)
    for field in ("manufacturer", "model", "version"):
        if field not in attributes:
            raise PolicyError(f"the AK certificate SAN lacks the TPM {field} attribute", check=_CHECK)
    _check_ak_key(cert)
    manufacturer = attributes["manufacturer"]
    return AkProfile(
        manufacturer=manufacturer,
        model=attributes["model"],
        version=attributes["version"],
        manufacturer_id=manufacturer_id(manufacturer),
        vendor=vendor_name(manufacturer),
    )


def identities(
    cert: x509.Certificate,
) -> tuple[tuple[PermanentIdentifier, ...], tuple[HardwareModuleName, ...]]:
    """The PermanentIdentifier and HardwareModuleName SANs of the AK certificate (SPEC T7).

    Raises:
        MalformedError: (T7) an identity otherName is not strict DER of its schema.
    """
    san = _extension(cert, x509.SubjectAlternativeName)
    if san is None:
        return (), ()
    return asn1.san_identities(san.value, check="T7")
