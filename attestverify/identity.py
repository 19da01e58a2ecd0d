"""The result of a successful verification: `DeviceIdentity` and its value types.

Everything here is immutable (frozen dataclasses, tuples, read-only mappings), so one identity
can be shared between threads and cached.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .errors import MalformedError

if TYPE_CHECKING:  # android/ imports this module; the annotation stays a string at run time
    from .android.details import AndroidDetails

__all__ = [
    "PERMANENT_IDENTIFIER",
    "HARDWARE_MODULE",
    "AcmeIdentifier",
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

PublicKey = Union[ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey]  # noqa: UP007 - runtime alias on 3.10

_EMPTY: Mapping[str, bytes] = MappingProxyType({})


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


class PinPolicy(enum.IntEnum):
    """YubiKey PIV PIN policy (Yubico extension 1.3.6.1.4.1.41482.3.8, first byte)."""

    NEVER = 1
    ONCE = 2
    ALWAYS = 3


class TouchPolicy(enum.IntEnum):
    """YubiKey PIV touch policy (Yubico extension 1.3.6.1.4.1.41482.3.8, second byte)."""

    NEVER = 1
    ALWAYS = 2
    CACHED = 3


class FormFactor(enum.IntEnum):
    """YubiKey form factor (Yubico extension 1.3.6.1.4.1.41482.3.9, low 7 bits)."""

    USB_A_KEYCHAIN = 0x01
    USB_A_NANO = 0x02
    USB_C_KEYCHAIN = 0x03
    USB_C_NANO = 0x04
    USB_C_LIGHTNING = 0x05


@dataclass(frozen=True, slots=True)
class AppleDetails:
    """Informational fields of an `apple` attestation (leaf extensions 1.2.840.113635.100.8.*).

    `binding` is always `"token"`: an Apple statement binds SHA-256 of the ACME token only, not
    the account key; see the binding caveat in the docs. Values that are absent or do not decode
    are `None`.

    Attributes:
        nonce: the freshness code (8.11.1), raw; `None` when absent.
        os_version: OS version (8.10.1).
        sepos_version: sepOS version (8.10.2).
        llb_version: LLB version (8.10.3).
        software_update_device_id: board id such as `J514sAP` (8.9.4).
        sip_status: System Integrity Protection status, 0 = enabled (8.13.1).
        secure_boot: secure boot level, e.g. `Full Security` (8.13.2).
        third_party_kexts: third-party kernel extensions allowed (8.13.3).
        extensions: every 1.2.840.113635.* leaf extension, dotted OID to raw extnValue.
        binding: `"token"`.
    """

    nonce: bytes | None = None
    os_version: str | None = None
    sepos_version: str | None = None
    llb_version: str | None = None
    software_update_device_id: str | None = None
    sip_status: int | None = None
    secure_boot: str | None = None
    third_party_kexts: int | None = None
    extensions: Mapping[str, bytes] = field(default_factory=lambda: _EMPTY)
    binding: str = "token"


@dataclass(frozen=True, slots=True)
class StepDetails:
    """Informational fields of a `step` attestation (YubiKey PIV or step-managed device).

    Values of the wrong length are `None`; unknown policy and form-factor values stay `int`.

    Attributes:
        serial_source: `"yubico"` (41482.3.7), `"step-managed-device"` (37476.9000.64.4) or `None`.
        firmware_version: `(major, minor, patch)` from 41482.3.3.
        pin_policy: from 41482.3.8, first byte.
        touch_policy: from 41482.3.8, second byte.
        form_factor: from 41482.3.9, without the FIPS bit.
        fips: the FIPS bit (0x80) of 41482.3.9.
        fips_certified: 41482.3.10 present.
        cspn_certified: 41482.3.11 present.
        slot: PIV slot in lower-case hex (`"9a"`) from a leaf CN `YubiKey PIV Attestation <slot>`.
    """

    serial_source: str | None = None  # "yubico" | "step-managed-device" | None
    firmware_version: tuple[int, int, int] | None = None
    pin_policy: PinPolicy | int | None = None
    touch_policy: TouchPolicy | int | None = None
    form_factor: FormFactor | int | None = None
    fips: bool | None = None
    fips_certified: bool | None = None  # 41482.3.10 present
    cspn_certified: bool | None = None  # 41482.3.11 present
    slot: str | None = None


@dataclass(frozen=True, slots=True)
class TpmDetails:
    """Informational fields of a `tpm` attestation (AK certificate and TPMS_ATTEST).

    Attributes:
        manufacturer: TPM manufacturer from the AK SAN, raw (e.g. `id:4E544300`).
        manufacturer_id: its integer when it is `id:` + 8 hex digits, else `None`.
        vendor: the TCG vendor name for `manufacturer_id`, when known.
        model: TPM model from the AK SAN.
        version: TPM version from the AK SAN.
        ak_certificate: the AK certificate (`x5c[0]`).
        alg: the COSE `alg` of the statement (-257, -7 or -65535).
        name_alg: `pubArea` nameAlg (TPM_ALG_ID).
        object_attributes: `pubArea` objectAttributes (TPMA_OBJECT bits).
        key_type: `"RSA"` or `"ECC"`.
        firmware_version: TPMS_ATTEST firmwareVersion.
        clock: TPMS_CLOCK_INFO clock.
        reset_count: TPMS_CLOCK_INFO resetCount.
        restart_count: TPMS_CLOCK_INFO restartCount.
        safe: TPMS_CLOCK_INFO safe.
        qualified_signer: TPMS_ATTEST qualifiedSigner (a TPM2B_NAME body).
    """

    manufacturer: str
    manufacturer_id: int | None
    vendor: str | None
    model: str
    version: str
    ak_certificate: x509.Certificate
    alg: int
    name_alg: int
    object_attributes: int
    key_type: str  # "RSA" | "ECC"
    firmware_version: int
    clock: int
    reset_count: int
    restart_count: int
    safe: bool
    qualified_signer: bytes


def public_key_der(public_key: PublicKey) -> bytes:
    """Canonical SubjectPublicKeyInfo DER of `public_key` (re-encoded by `cryptography`)."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _subject_public_key_bits(public_key: object) -> bytes:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raise MalformedError(f"unsupported public key type {type(public_key).__name__}")


def fingerprint(public_key: PublicKey) -> str:
    """The step-ca compatible key fingerprint: `"SHA256:"` + base64(SHA-256(subjectPublicKey)).

    The hash covers the contents of the SubjectPublicKeyInfo BIT STRING as `cryptography`
    re-encodes it (uncompressed EC point, PKCS#1 RSAPublicKey, raw Ed25519), so it does not
    depend on how the certificate happened to encode the key.

    Args:
        public_key: an EC, RSA or Ed25519 public key from `cryptography`.

    Returns:
        `"SHA256:"` followed by the standard, padded base64 of the digest (51 characters).

    Raises:
        MalformedError: for a key type other than EC, RSA or Ed25519.
    """
    digest = hashlib.sha256(_subject_public_key_bits(public_key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What a verified attestation proves: which key, held by which device.

    Only the verifiers create it (through `build`). It is immutable and safe to share between
    threads, but it holds `cryptography` objects and does not pickle: persist `public_key_der`,
    `fingerprint` and `acme_identifiers` (and the attestation object, to verify it again).

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
    ) -> DeviceIdentity:
        """Assemble an identity, deriving `fingerprint`, `public_key_der` and `identifiers`.

        For format verifiers only: it checks nothing, so an identity built by hand proves
        nothing. Duplicate ACME identifiers are dropped, keeping the first occurrence.

        Raises:
            MalformedError: `public_key` is not an EC, RSA or Ed25519 key.
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

    @property
    def not_after(self) -> datetime:
        """The earliest `notAfter` of the validated chain (after it the attestation no longer verifies)."""
        return min(c.not_valid_after_utc for c in self.chain)


def permanent_identifier_acme(value: str | None) -> AcmeIdentifier | None:
    """An apple/step device value as a `permanent-identifier` ACME identifier, or `None` if unusable."""
    safe = _acme_safe(value)
    return None if safe is None else AcmeIdentifier(PERMANENT_IDENTIFIER, safe)
