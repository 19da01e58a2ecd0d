"""TPM 2.0 constants as enums, shared by the `tpm` verifier, its decoders and `inspect()`.

`Alg` is the TCG Algorithm Registry (TPM_ALG_ID), `ObjectAttribute` the TPMA_OBJECT bits (TPM 2.0
Part 2 §8.3, members named as the specification spells them, so `inspect()` shows those names),
`EccCurve` the TPM_ECC_CURVE identifiers. Decoded structures keep plain `int` fields: a value
outside these enums is rejected by the decoders or shown as hex, never turned into a member.
"""

from __future__ import annotations

import enum

__all__ = [
    "CURVE_COORDINATE_SIZES",
    "TPM_GENERATED_VALUE",
    "TPM_ST_ATTEST_CERTIFY",
    "Alg",
    "EccCurve",
    "ObjectAttribute",
]

TPM_GENERATED_VALUE = 0xFF544347
TPM_ST_ATTEST_CERTIFY = 0x8017


class Alg(enum.IntEnum):
    """TCG Algorithm Registry identifiers (TPM_ALG_ID) this package knows."""

    RSA = 0x0001
    SHA1 = 0x0004
    HMAC = 0x0005
    AES = 0x0006
    MGF1 = 0x0007
    SHA256 = 0x000B
    SHA384 = 0x000C
    SHA512 = 0x000D
    NULL = 0x0010
    SM3_256 = 0x0012
    SM4 = 0x0013
    RSASSA = 0x0014
    RSAES = 0x0015
    RSAPSS = 0x0016
    OAEP = 0x0017
    ECDSA = 0x0018
    ECDH = 0x0019
    ECDAA = 0x001A
    SM2 = 0x001B
    ECSCHNORR = 0x001C
    ECMQV = 0x001D
    KDF1_SP800_56A = 0x0020
    KDF2 = 0x0021
    KDF1_SP800_108 = 0x0022
    ECC = 0x0023
    CAMELLIA = 0x0026
    SHA3_256 = 0x0027
    SHA3_384 = 0x0028
    SHA3_512 = 0x0029
    CTR = 0x0040
    OFB = 0x0041
    CBC = 0x0042
    CFB = 0x0043
    ECB = 0x0044

    @classmethod
    def label(cls, value: int | None) -> str | None:
        """The registry name of `value` (`"SHA256"`), its hex for an unknown id, `None` for `None`."""
        if value is None:
            return None
        member = cls._value2member_map_.get(value)
        return member.name if member is not None else f"0x{value:04x}"


class ObjectAttribute(enum.IntFlag):
    """TPMA_OBJECT bits (TPM 2.0 Part 2 §8.3), in the specification's spelling."""

    fixedTPM = 0x00000002
    stClear = 0x00000004
    fixedParent = 0x00000010
    sensitiveDataOrigin = 0x00000020
    userWithAuth = 0x00000040
    adminWithPolicy = 0x00000080
    noDA = 0x00000400
    encryptedDuplication = 0x00000800
    restricted = 0x00010000
    decrypt = 0x00020000
    sign = 0x00040000
    x509sign = 0x00080000

    @classmethod
    def reserved_mask(cls) -> int:
        """The bits TPM 2.0 reserves (and a decoder must reject): bits 0, 8-9, 12-15, 20-31."""
        return 0xFFF0F309

    @classmethod
    def flags(cls, value: int) -> dict[str, bool]:
        """Every defined bit of `value` by name."""
        return {member.name or "": bool(value & member) for member in cls}


class EccCurve(enum.IntEnum):
    """TPM_ECC_CURVE identifiers (TCG Algorithm Registry)."""

    NIST_P192 = 0x0001
    NIST_P224 = 0x0002
    NIST_P256 = 0x0003
    NIST_P384 = 0x0004
    NIST_P521 = 0x0005
    BN_P256 = 0x0010
    BN_P638 = 0x0011
    SM2_P256 = 0x0020
    BP_P256_R1 = 0x0030
    BP_P384_R1 = 0x0031
    BP_P512_R1 = 0x0032
    CURVE_25519 = 0x0040
    CURVE_448 = 0x0041


# TPM_ECC_CURVE -> coordinate size in bytes.
CURVE_COORDINATE_SIZES: dict[int, int] = {
    EccCurve.NIST_P192: 24,
    EccCurve.NIST_P224: 28,
    EccCurve.NIST_P256: 32,
    EccCurve.NIST_P384: 48,
    EccCurve.NIST_P521: 66,
    EccCurve.BN_P256: 32,
    EccCurve.BN_P638: 80,
    EccCurve.SM2_P256: 32,
    EccCurve.BP_P256_R1: 32,
    EccCurve.BP_P384_R1: 48,
    EccCurve.BP_P512_R1: 64,
    EccCurve.CURVE_25519: 32,
    EccCurve.CURVE_448: 56,
}
