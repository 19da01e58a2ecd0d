"""The names of every relaxation `DeviceIdentity.relaxations` may record, defined once.

Each relaxation is explicit, narrow and triggered only by signed data; the name
values are API-stable strings.
"""

from __future__ import annotations

import enum

__all__ = [
    "ANDROID_BATCH_NOT_CA",
    "ANDROID_STATUS_UNCHECKED",
    "ANDROID_UNVERIFIED_BOOT",
    "APPLE_NONCE_ABSENT",
    "LEGACY_F9",
    "RSA_PARAMS_ABSENT",
    "SHA1_CHAIN",
    "TPM_BARE_RSA_SIGNATURE",
    "TPM_RS1",
    "Relaxation",
]


class Relaxation(str, enum.Enum):
    """A relaxation name; each member equals its string value."""

    LEGACY_F9 = "yubikey-legacy-f9"
    """`step`: the pinned YubiKey F9 intermediate without basicConstraints."""
    SHA1_CHAIN = "tpm-sha1-chain"
    """`tpm`: SHA-1 certificate signatures on the AK path."""
    RSA_PARAMS_ABSENT = "rsa-sig-params-absent"
    """An RSA certificate signature AlgorithmIdentifier without its NULL parameters."""
    APPLE_NONCE_ABSENT = "apple-nonce-absent"
    """`apple`: a leaf without freshness code, accepted because the caller allowed it."""
    TPM_BARE_RSA_SIGNATURE = "tpm-bare-rsa-signature"
    """`tpm`: `sig` is a bare PKCS#1 v1.5 signature (Windows Hello) instead of a TPMT_SIGNATURE."""
    TPM_RS1 = "tpm-rs1"
    """`tpm`: `alg` -65535 (RS1: the AK signed certInfo over SHA-1), accepted (T2)."""
    ANDROID_STATUS_UNCHECKED = "android-status-unchecked"
    """`android-key`: K5 skipped, the caller passed `android.STATUS_UNCHECKED` (or no status list)."""
    ANDROID_UNVERIFIED_BOOT = "android-unverified-boot"
    """`android-key`: SelfSigned / Unverified boot or an unlocked bootloader, allowed by the caller."""
    ANDROID_BATCH_NOT_CA = "android-batch-not-ca"
    """`android-key`: relaxation (d), a cA=FALSE batch certificate directly above the leaf, pinned to
    the Google hardware attestation roots."""


# Plain `str` constants: what the verifiers record, so `relaxations` holds ordinary strings.
LEGACY_F9: str = Relaxation.LEGACY_F9.value
SHA1_CHAIN: str = Relaxation.SHA1_CHAIN.value
RSA_PARAMS_ABSENT: str = Relaxation.RSA_PARAMS_ABSENT.value
APPLE_NONCE_ABSENT: str = Relaxation.APPLE_NONCE_ABSENT.value
TPM_BARE_RSA_SIGNATURE: str = Relaxation.TPM_BARE_RSA_SIGNATURE.value
TPM_RS1: str = Relaxation.TPM_RS1.value
ANDROID_STATUS_UNCHECKED: str = Relaxation.ANDROID_STATUS_UNCHECKED.value
ANDROID_UNVERIFIED_BOOT: str = Relaxation.ANDROID_UNVERIFIED_BOOT.value
ANDROID_BATCH_NOT_CA: str = Relaxation.ANDROID_BATCH_NOT_CA.value
