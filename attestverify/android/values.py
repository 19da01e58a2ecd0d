"""The typed result of the KeyDescription reader: enums and frozen dataclasses.

Nothing in these values is trusted by itself: `android.verify_statement` / `verify_chain` read
them only after the certificate path validated.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["AuthorizationList", "KeyDescription", "RootOfTrust", "SecurityLevel", "VerifiedBootState"]

OID_KEY_DESCRIPTION = "1.3.6.1.4.1.11129.2.1.17"
"""The KeyDescription extension of an Android attestation leaf."""


class _Labelled(enum.IntEnum):
    """An ENUMERATED value with the lowercase, hyphenated name `AndroidDetails` and records use."""

    @property
    def label(self) -> str:
        """The member name in lowercase with hyphens, e.g. `"trusted-environment"`."""
        return self.name.lower().replace("_", "-")


class SecurityLevel(_Labelled):
    """Where the attestation or the key lives (KeyDescription `SecurityLevel`); labels
    `"software"`, `"trusted-environment"`, `"strongbox"`."""

    SOFTWARE = 0
    TRUSTED_ENVIRONMENT = 1
    STRONGBOX = 2


class VerifiedBootState(_Labelled):
    """Verified boot state of the device (RootOfTrust `verifiedBootState`); labels `"verified"`,
    `"self-signed"`, `"unverified"`, `"failed"`."""

    VERIFIED = 0
    SELF_SIGNED = 1
    UNVERIFIED = 2
    FAILED = 3


@dataclass(frozen=True, slots=True)
class RootOfTrust:
    """RootOfTrust `[704]`: the boot state the TEE saw when the key was made.

    Attributes:
        verified_boot_key: digest of the key that verified the boot image (all zero when unlocked).
        device_locked: whether the bootloader is locked.
        verified_boot_state: the verified boot state.
        verified_boot_hash: digest of the verified boot data (version 3 and later), else `None`.
    """

    verified_boot_key: bytes
    device_locked: bool
    verified_boot_state: VerifiedBootState
    verified_boot_hash: bytes | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationList:
    """The fields of one AuthorizationList that attestverify reads; `None` / `False` when absent.

    Integers are the Keymaster values as encoded (e.g. `algorithm` 3 = EC, `origin` 0 =
    GENERATED, patch levels `202408` or `20240805`); `attestation_id_*` are the raw octets.

    Attributes:
        tags: every tag number present, unknown ones included, in order.
        purposes: `[1]` SET OF INTEGER (2 = SIGN).
        algorithm: `[2]`.
        key_size: `[3]`.
        digests: `[5]` SET OF INTEGER (4 = SHA-256).
        paddings: `[6]` SET OF INTEGER (5 = RSA PKCS#1 v1.5 signature).
        ec_curve: `[10]`.
        rsa_public_exponent: `[200]`.
        no_auth_required: `[503]` NULL present.
        all_applications: `[600]` NULL present.
        creation_date_time: `[701]` milliseconds since the epoch.
        origin: `[702]` (0 GENERATED, 1 DERIVED, 2 IMPORTED, 3 UNKNOWN, 4 SECURELY_IMPORTED).
        root_of_trust: `[704]`.
        os_version: `[705]`, e.g. 140000.
        os_patch_level: `[706]`, e.g. 202408.
        attestation_application_id: `[709]` the DER AttestationApplicationId, not decoded.
        attestation_id_brand: `[710]`.
        attestation_id_device: `[711]`.
        attestation_id_product: `[712]`.
        attestation_id_serial: `[713]`.
        attestation_id_imei: `[714]`.
        attestation_id_meid: `[715]`.
        attestation_id_manufacturer: `[716]`.
        attestation_id_model: `[717]`.
        vendor_patch_level: `[718]`.
        boot_patch_level: `[719]`.
        device_unique_attestation: `[720]` NULL present.
        attestation_id_second_imei: `[723]`.
        module_hash: `[724]`.
    """

    tags: tuple[int, ...] = ()
    purposes: tuple[int, ...] | None = None
    algorithm: int | None = None
    key_size: int | None = None
    digests: tuple[int, ...] | None = None
    paddings: tuple[int, ...] | None = None
    ec_curve: int | None = None
    rsa_public_exponent: int | None = None
    no_auth_required: bool = False
    all_applications: bool = False
    creation_date_time: int | None = None
    origin: int | None = None
    root_of_trust: RootOfTrust | None = None
    os_version: int | None = None
    os_patch_level: int | None = None
    attestation_application_id: bytes | None = None
    attestation_id_brand: bytes | None = None
    attestation_id_device: bytes | None = None
    attestation_id_product: bytes | None = None
    attestation_id_serial: bytes | None = None
    attestation_id_imei: bytes | None = None
    attestation_id_meid: bytes | None = None
    attestation_id_manufacturer: bytes | None = None
    attestation_id_model: bytes | None = None
    vendor_patch_level: int | None = None
    boot_patch_level: int | None = None
    device_unique_attestation: bool = False
    attestation_id_second_imei: bytes | None = None
    module_hash: bytes | None = None


@dataclass(frozen=True, slots=True)
class KeyDescription:
    """A decoded KeyDescription. Nothing in it is trusted before the chain validated.

    Attributes:
        attestation_version: 1, 2, 3, 4, 100, 200, 300, 400 or above 400.
        attestation_security_level: where the attestation was made.
        keymint_version: Keymaster / KeyMint version (e.g. 41, 300).
        keymint_security_level: where the key lives.
        attestation_challenge: the challenge the app passed when generating the key.
        unique_id: the uniqueId OCTET STRING (usually empty).
        software_enforced: what only the Android OS vouches for.
        hardware_enforced: what the TEE or StrongBox vouches for.
    """

    attestation_version: int
    attestation_security_level: SecurityLevel
    keymint_version: int
    keymint_security_level: SecurityLevel
    attestation_challenge: bytes
    unique_id: bytes
    software_enforced: AuthorizationList
    hardware_enforced: AuthorizationList
