"""The names of every relaxation `DeviceIdentity.relaxations` may record, defined once.

Each relaxation is explicit, narrow and triggered only by signed data; the name
values are API-stable strings.
"""

from __future__ import annotations

import enum

__all__ = [
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


# Plain `str` constants: what the verifiers record, so `relaxations` holds ordinary strings.
LEGACY_F9: str = Relaxation.LEGACY_F9.value
SHA1_CHAIN: str = Relaxation.SHA1_CHAIN.value
RSA_PARAMS_ABSENT: str = Relaxation.RSA_PARAMS_ABSENT.value
APPLE_NONCE_ABSENT: str = Relaxation.APPLE_NONCE_ABSENT.value
TPM_BARE_RSA_SIGNATURE: str = Relaxation.TPM_BARE_RSA_SIGNATURE.value
TPM_RS1: str = Relaxation.TPM_RS1.value
