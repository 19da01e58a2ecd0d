"""The informational details of each format in a `DeviceIdentity`, and their enums.

`AppleDetails`, `StepDetails`, `TpmDetails`, `AndroidDetails` hold what a verified statement says
beyond the key and identifiers; `PinPolicy`, `TouchPolicy`, `FormFactor` name YubiKey extension values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography import x509

__all__ = [
    "AndroidDetails",
    "AppleDetails",
    "FormFactor",
    "PinPolicy",
    "StepDetails",
    "TouchPolicy",
    "TpmDetails",
]

_EMPTY: Mapping[str, bytes] = MappingProxyType({})


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


@dataclass(frozen=True, slots=True)
class AndroidDetails:
    """What the KeyDescription of a verified Android leaf says (informational, never fails).

    Device values come from `hardwareEnforced` only (strict UTF-8, else `None`); nothing from
    `softwareEnforced` is reported except `creation_time`, which Android keeps there. Patch
    levels are integers as encoded (`202408` or `20240805`): a patch-level policy is the
    caller's to apply.

    Attributes:
        attestation_version: KeyDescription attestationVersion (e.g. 3, 300, 400).
        attestation_security_level: `"software"`, `"trusted-environment"` or `"strongbox"`.
        keymint_version: Keymaster / KeyMint version (e.g. 41, 300).
        keymint_security_level: as `attestation_security_level`, for the key itself.
        challenge: attestationChallenge (for ACME the UTF-8 key authorization).
        unique_id: uniqueId (usually empty).
        verified_boot_state: `"verified"`, `"self-signed"`, `"unverified"` or `"failed"`.
        device_locked: the bootloader is locked.
        verified_boot_key: digest of the boot verification key.
        verified_boot_hash: digest of the verified boot data (version 3 and later).
        os_version: e.g. 140000 for Android 14.
        os_patch_level: e.g. 202408.
        vendor_patch_level: e.g. 20240805.
        boot_patch_level: e.g. 20240805.
        brand: attestationIdBrand.
        device: attestationIdDevice.
        product: attestationIdProduct.
        manufacturer: attestationIdManufacturer.
        model: attestationIdModel.
        imei: attestationIdImei.
        second_imei: attestationIdSecondImei.
        meid: attestationIdMeid.
        origin: key origin (0 GENERATED; verification requires it).
        purposes: key purposes (2 SIGN among them).
        algorithm: key algorithm (1 RSA, 3 EC).
        key_size: key size in bits.
        ec_curve: EC curve (0 P-224, 1 P-256, 2 P-384, 3 P-521, 4 Curve25519).
        creation_time: creationDateTime, milliseconds since the epoch.
        attestation_application_id: the DER AttestationApplicationId (package names and
            signing-certificate digests of the app that made the key), not decoded.
        status_checked: whether a status list was checked (K5), `False` with `STATUS_UNCHECKED`.
    """

    attestation_version: int
    attestation_security_level: str
    keymint_version: int
    keymint_security_level: str
    challenge: bytes
    unique_id: bytes
    verified_boot_state: str | None = None
    device_locked: bool | None = None
    verified_boot_key: bytes | None = None
    verified_boot_hash: bytes | None = None
    os_version: int | None = None
    os_patch_level: int | None = None
    vendor_patch_level: int | None = None
    boot_patch_level: int | None = None
    brand: str | None = None
    device: str | None = None
    product: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    imei: str | None = None
    second_imei: str | None = None
    meid: str | None = None
    origin: int | None = None
    purposes: tuple[int, ...] = ()
    algorithm: int | None = None
    key_size: int | None = None
    ec_curve: int | None = None
    creation_time: int | None = None
    attestation_application_id: bytes | None = None
    status_checked: bool = False
