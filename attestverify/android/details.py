"""`AndroidDetails`: the informational fields of a verified `android-key` attestation (SPEC §4.4).

The class lives here for now; it joins the other detail classes when they move to one module.
`details_from` builds it from a KeyDescription.
"""

from __future__ import annotations

from dataclasses import dataclass

from .values import KeyDescription, RootOfTrust

__all__ = ["AndroidDetails", "details_from", "utf8_or_none"]


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


def utf8_or_none(value: bytes | None) -> str | None:
    """`value` as strict UTF-8, or `None` when absent or not UTF-8."""
    if value is None:
        return None
    try:
        return value.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return None


def details_from(kd: KeyDescription, *, status_checked: bool) -> AndroidDetails:
    """The details of a verified identity from its decoded KeyDescription (never fails).

    Args:
        kd: the leaf's KeyDescription.
        status_checked: whether K5 ran against a status list.

    Returns:
        The `AndroidDetails`; device values from `hardwareEnforced` only.
    """
    hw = kd.hardware_enforced
    rot: RootOfTrust | None = hw.root_of_trust
    created = hw.creation_date_time
    if created is None:
        created = kd.software_enforced.creation_date_time
    return AndroidDetails(
        attestation_version=kd.attestation_version,
        attestation_security_level=kd.attestation_security_level.label,
        keymint_version=kd.keymint_version,
        keymint_security_level=kd.keymint_security_level.label,
        challenge=kd.attestation_challenge,
        unique_id=kd.unique_id,
        verified_boot_state=None if rot is None else rot.verified_boot_state.label,
        device_locked=None if rot is None else rot.device_locked,
        verified_boot_key=None if rot is None else rot.verified_boot_key,
        verified_boot_hash=None if rot is None else rot.verified_boot_hash,
        os_version=hw.os_version,
        os_patch_level=hw.os_patch_level,
        vendor_patch_level=hw.vendor_patch_level,
        boot_patch_level=hw.boot_patch_level,
        brand=utf8_or_none(hw.attestation_id_brand),
        device=utf8_or_none(hw.attestation_id_device),
        product=utf8_or_none(hw.attestation_id_product),
        manufacturer=utf8_or_none(hw.attestation_id_manufacturer),
        model=utf8_or_none(hw.attestation_id_model),
        imei=utf8_or_none(hw.attestation_id_imei),
        second_imei=utf8_or_none(hw.attestation_id_second_imei),
        meid=utf8_or_none(hw.attestation_id_meid),
        origin=hw.origin,
        purposes=hw.purposes or (),
        algorithm=hw.algorithm,
        key_size=hw.key_size,
        ec_curve=hw.ec_curve,
        creation_time=created,
        attestation_application_id=kd.software_enforced.attestation_application_id
        if hw.attestation_application_id is None
        else hw.attestation_application_id,
        status_checked=status_checked,
    )
