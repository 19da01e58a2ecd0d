"""The result of a successful verification: `DeviceIdentity` and its value types.

The per-format detail classes and their enums live in `details.py`; they are re-exported here
so `from attestverify.identity import StepDetails` keeps working.

Everything here is immutable (frozen dataclasses, tuples, read-only mappings), so one identity
can be shared between threads and cached.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from . import der
from .details import AndroidDetails, AppleDetails, FormFactor, PinPolicy, StepDetails, TouchPolicy, TpmDetails
from .errors import MalformedError
from .memo import Memo

__all__ = [
    "PERMANENT_IDENTIFIER",
    "HARDWARE_MODULE",
    "AcmeIdentifier",
    "AndroidDetails",
    "AppleDetails",
    "DeviceIdentity",
    "FormFactor",
    "HardwareModuleName",
    "PermanentIdentifier",
    "PinPolicy",
    "PublicKey",
    "StepDetails",
    "TouchPolicy",
    "TpmDetails",
    "fingerprint",
    "public_key_der",
]

PERMANENT_IDENTIFIER = "permanent-identifier"
HARDWARE_MODULE = "hardware-module"
IdentifierType = Literal["permanent-identifier", "hardware-module"]

PublicKey = Union[  # noqa: UP007 - runtime alias on 3.10
    ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey, x25519.X25519PublicKey
]


def _acme_safe(value: str | None) -> str | None:
    # draft-09 ACME values use "/" as the separator before the OID, so a value containing it
    # cannot be expressed unambiguously and is never offered as an identifier.
    if not value or "/" in value:
        return None
    return value


@dataclass(frozen=True, slots=True)
class PermanentIdentifier:
    """RFC 4043 PermanentIdentifier: `identifierValue` and optional `assigner` OID (dotted).

    Attributes:
        value: the identifierValue (UTF8String), or `None` when absent.
        assigner: the assigner OID in dotted decimal, or `None` when absent.
    """

    value: str | None
    assigner: str | None = None

    def acme_value(self) -> str | None:
        """The draft-09 `permanent-identifier` value: `value` or `value/assigner`; `None` if unusable."""
        value = _acme_safe(self.value)
        if value is None:
            return None
        return value if self.assigner is None else f"{value}/{self.assigner}"


@dataclass(frozen=True, slots=True)
class HardwareModuleName:
    """RFC 4108 HardwareModuleName: `hwType` OID (dotted) and `hwSerialNum` octets.

    Attributes:
        hw_type: the hwType OID in dotted decimal.
        hw_serial_num: the hwSerialNum OCTET STRING, raw.
    """

    hw_type: str
    hw_serial_num: bytes

    def acme_value(self) -> str | None:
        """The draft-09 `hardware-module` value `serial/hwType`; `None` if the serial is not usable UTF-8."""
        try:
            serial = self.hw_serial_num.decode("utf-8", "strict")
        except UnicodeDecodeError:
            return None
        serial_ok = _acme_safe(serial)
        return None if serial_ok is None else f"{serial_ok}/{self.hw_type}"


@dataclass(frozen=True, slots=True)
class AcmeIdentifier:
    """An ACME identifier object (`type`, `value`) that this device may be issued for.

    Attributes:
        type: `"permanent-identifier"` or `"hardware-module"`.
        value: the draft-09 identifier value (`acme_value()` of the attested name).
    """

    type: str
    value: str


# Each key is encoded once per verification (path validation's P9 check, the fingerprint and
# `public_key_der` all need it): kept per key object, which the entry holds (bounded).
_ENCODED: Memo[int, tuple[object, bytes]] = Memo(64)


def public_key_der(public_key: PublicKey) -> bytes:
    """Canonical SubjectPublicKeyInfo DER of `public_key` (re-encoded by `cryptography`)."""
    return spki_of(public_key)


def spki_of(key: CertificatePublicKeyTypes) -> bytes:
    """`public_key_der` for any key type a certificate can hold, encoded once per key object."""
    found = _ENCODED.get(id(key))
    if found is not None and found[0] is key:
        return found[1]
    encoded = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    _ENCODED.put(id(key), (key, encoded))
    return encoded


def fingerprint(public_key: PublicKey) -> str:
    """The step-ca compatible key fingerprint: `"SHA256:"` + base64(SHA-256(subjectPublicKey)).

    The hash covers the contents of the SubjectPublicKeyInfo BIT STRING as `cryptography`
    re-encodes it (uncompressed EC point, PKCS#1 RSAPublicKey, raw Ed25519 or X25519), so it does not
    depend on how the certificate happened to encode the key.

    Args:
        public_key: an EC, RSA, Ed25519 or X25519 public key from `cryptography` (X25519 only
            from `step.verify_chain`).

    Returns:
        `"SHA256:"` followed by the standard, padded base64 of the digest (51 characters).

    Raises:
        MalformedError: for a key type other than EC, RSA, Ed25519 or X25519.
    """
    if not isinstance(
        public_key,
        (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey, x25519.X25519PublicKey),
    ):
        raise MalformedError(f"unsupported public key type {type(public_key).__name__}")
    # The SPKI BIT STRING of these four types holds exactly the bytes hashed (see above).
    digest = hashlib.sha256(der.spki_bits(public_key_der(public_key))).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What a verified attestation proves: which key, held by which device.

    Only the verifiers create it (through `build`). It is immutable and safe to share between
    threads. To store it between an ACME challenge and finalize, use `to_record()` and
    `DeviceIdentity.from_record()` (JSON-safe, versioned); it also pickles and deep-copies
    (through its record), for caches and process pools.

    Attributes:
        format: `"apple"`, `"step"` or `"tpm"`.
        public_key: the attested key (for `tpm` the key from `pubArea`, never the AK).
        fingerprint: `"SHA256:"` + base64 SHA-256 of the subjectPublicKey bits (as step-ca).
        identifiers: ACME identifier values this device may be issued for: apple (UDID,
            serial), step (serial,), tpm the AK's PermanentIdentifier values, then its
            HardwareModuleName values. Absent, empty or `/`-containing values are left out,
            duplicates removed; it may be empty.
        serial_number: Apple serial, YubiKey serial (decimal) or step-managed device id.
        udid: Apple UDID.
        permanent_identifiers: PermanentIdentifier SANs of the TPM AK certificate.
        chain: the validated certificate path, leaf first, trust anchor last.
        acme_identifiers: `identifiers` with their ACME identifier types.
        hardware_module_names: HardwareModuleName SANs of the TPM AK certificate.
        public_key_der: canonical SubjectPublicKeyInfo DER of `public_key`.
        relaxations: names of the relaxations that this verification needed.
        apple: details of an `apple` attestation, else `None`.
        step: details of a `step` attestation, else `None`.
        tpm: details of a `tpm` attestation, else `None`.
        android: details of an `android-key` attestation, else `None`.
    """

    format: str
    public_key: PublicKey
    fingerprint: str
    identifiers: tuple[str, ...]
    serial_number: str | None
    udid: str | None
    permanent_identifiers: tuple[PermanentIdentifier, ...]
    chain: tuple[x509.Certificate, ...]
    acme_identifiers: tuple[AcmeIdentifier, ...]
    hardware_module_names: tuple[HardwareModuleName, ...]
    public_key_der: bytes
    relaxations: tuple[str, ...]
    apple: AppleDetails | None = None
    step: StepDetails | None = None
    tpm: TpmDetails | None = None
    android: AndroidDetails | None = None

    @classmethod
    def build(
        cls,
        *,
        format: str,  # noqa: A002
        public_key: PublicKey,
        chain: tuple[x509.Certificate, ...],
        acme_identifiers: tuple[AcmeIdentifier, ...] = (),
        serial_number: str | None = None,
        udid: str | None = None,
        permanent_identifiers: tuple[PermanentIdentifier, ...] = (),
        hardware_module_names: tuple[HardwareModuleName, ...] = (),
        relaxations: tuple[str, ...] = (),
        apple: AppleDetails | None = None,
        step: StepDetails | None = None,
        tpm: TpmDetails | None = None,
        android: AndroidDetails | None = None,
    ) -> DeviceIdentity:
        """Assemble an identity, deriving `fingerprint`, `public_key_der` and `identifiers`.

        For format verifiers only: it checks nothing, so an identity built by hand proves
        nothing. Duplicate ACME identifiers are dropped, keeping the first occurrence.

        Raises:
            MalformedError: `public_key` is not an EC, RSA, Ed25519 or X25519 key.
        """
        unique: list[AcmeIdentifier] = []
        for ident in acme_identifiers:
            if ident not in unique:
                unique.append(ident)
        return cls(
            format=format,
            public_key=public_key,
            fingerprint=fingerprint(public_key),
            identifiers=tuple(dict.fromkeys(i.value for i in unique)),
            serial_number=serial_number,
            udid=udid,
            permanent_identifiers=permanent_identifiers,
            chain=chain,
            acme_identifiers=tuple(unique),
            hardware_module_names=hardware_module_names,
            public_key_der=public_key_der(public_key),
            relaxations=tuple(dict.fromkeys(relaxations)),
            apple=apple,
            step=step,
            tpm=tpm,
            android=android,
        )

    def matches(self, value: str, type: str | None = None) -> bool:  # noqa: A002
        """Whether `value` is exactly (case-sensitively) one of this device's ACME identifiers.

        Args:
            value: the ACME identifier value of the order.
            type: if given, only identifiers of this ACME type (`"permanent-identifier"` or
                `"hardware-module"`) are considered.

        Returns:
            `True` if `value` equals (octet for octet, as UTF-8) the value of one of
            `acme_identifiers` of the given type; `False` otherwise, also for a non-`str` value.
            Never raises.
        """
        if not isinstance(value, str):
            return False
        wanted = value.encode("utf-8", "surrogatepass")
        found = False
        for ident in self.acme_identifiers:
            if type is not None and ident.type != type:
                continue
            # Identifiers are not secrets, but comparing all of them keeps timing independent of position.
            found |= hmac.compare_digest(ident.value.encode("utf-8", "surrogatepass"), wanted)
        return found

    def to_record(self) -> dict[str, Any]:
        """This identity as record 1: a JSON-serializable dict (see `attestverify.records`)."""
        from .records import to_record  # noqa: PLC0415 - records imports this module

        return to_record(self)

    @classmethod
    def from_record(cls, record: object) -> DeviceIdentity:
        """Restore an identity from `to_record()` output, without re-verifying (check R1 on any deviation).

        Raises:
            MalformedError: check `R1`, for a record that is not exactly record 1.
        """
        from .records import from_record  # noqa: PLC0415 - records imports this module

        return from_record(record)

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # cryptography keys and certificates do not pickle and a MappingProxyType does not copy:
        # pickle and copy.deepcopy go through the record, which holds only DER and plain values.
        from .records import from_record  # noqa: PLC0415 - records imports this module

        return (from_record, (self.to_record(),))

    @property
    def not_after(self) -> datetime:
        """The earliest `notAfter` of the validated chain (after it the attestation no longer verifies)."""
        return min(c.not_valid_after_utc for c in self.chain)


def permanent_identifier_acme(value: str | None) -> AcmeIdentifier | None:
    """An apple/step device value as a `permanent-identifier` ACME identifier, or `None` if unusable."""
    safe = _acme_safe(value)
    return None if safe is None else AcmeIdentifier(PERMANENT_IDENTIFIER, safe)
