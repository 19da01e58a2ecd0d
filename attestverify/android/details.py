"""`details_from`: the `AndroidDetails` of a verified `android-key` attestation.

The class itself lives with the other detail classes in `attestverify.details`; it is re-exported
here and from `attestverify.android`.
"""

from __future__ import annotations

from ..details import AndroidDetails
from .values import KeyDescription, RootOfTrust

__all__ = ["AndroidDetails", "details_from", "utf8_or_none"]


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
