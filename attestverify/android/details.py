"""`AndroidDetails`: the informational fields of a verified `android-key` attestation (SPEC §4.4).

Lives here for now; it joins the other detail classes when they move to one module.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AndroidDetails"]


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
