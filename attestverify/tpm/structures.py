"""TPM 2.0 wire structures used by the `tpm` format: a bounds-checked reader and exact decoders.

Pure Python (no TSS library). Every decoder reads big-endian fields through `_Reader`, whose every
read, enum lookup and end-of-input check raises `MalformedError(check="T8")`; each `parse` requires
that no byte is left over. Algorithm identifiers outside the TCG algorithm registry, reserved
attribute bits and trailing bytes are rejected, so a structure that parses here has exactly one
meaning.

Only what SPEC §4.3 needs is decoded: `TPMS_ATTEST` of type `TPM_ST_ATTEST_CERTIFY` (`certInfo`),
`TPMT_PUBLIC` for RSA and ECC keys (`pubArea`) and `TPMT_SIGNATURE` (`sig`).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from ..errors import MalformedError, PolicyError
from .constants import (
    CURVE_COORDINATE_SIZES,
    TPM_GENERATED_VALUE,
    TPM_ST_ATTEST_CERTIFY,
    Alg,
    ObjectAttribute,
)

__all__ = [
    "ALG_ECC",
    "ALG_ECDAA",
    "ALG_ECDSA",
    "ALG_HMAC",
    "ALG_NULL",
    "ALG_RSA",
    "ALG_RSAPSS",
    "ALG_RSASSA",
    "ALG_SHA1",
    "ALG_SHA256",
    "ALG_SHA384",
    "ALG_SHA512",
    "ATTR_FIXED_PARENT",
    "ATTR_FIXED_TPM",
    "ATTR_RESERVED_MASK",
    "ATTR_RESTRICTED",
    "ATTR_SENSITIVE_DATA_ORIGIN",
    "CURVE_COORDINATE_SIZES",
    "Alg",
    "ObjectAttribute",
    "TPM_GENERATED_VALUE",
    "TPM_ST_ATTEST_CERTIFY",
    "TpmsAttest",
    "TpmtPublic",
    "TpmtSignature",
    "compute_name",
]

_CHECK = "T8"

# Module-level names of `Alg` members, kept for existing imports.
(ALG_ECC, ALG_ECDAA, ALG_ECDSA, ALG_HMAC, ALG_NULL, ALG_RSA, ALG_RSAPSS) = (
    Alg.ECC, Alg.ECDAA, Alg.ECDSA, Alg.HMAC, Alg.NULL, Alg.RSA, Alg.RSAPSS,
)  # fmt: skip
(ALG_RSASSA, ALG_SHA1, ALG_SHA256, ALG_SHA384, ALG_SHA512, ALG_AES) = (
    Alg.RSASSA, Alg.SHA1, Alg.SHA256, Alg.SHA384, Alg.SHA512, Alg.AES,
)  # fmt: skip

# Digest sizes of the registered hash algorithms (an HMAC signature carries one such digest).
_HASH_SIZES: dict[int, int] = {
    Alg.SHA1: 20,
    Alg.SHA256: 32,
    Alg.SHA384: 48,
    Alg.SHA512: 64,
    Alg.SM3_256: 32,
    Alg.SHA3_256: 32,
    Alg.SHA3_384: 48,
    Alg.SHA3_512: 64,
}
_HASHLIB_NAMES: dict[int, str] = {
    Alg.SHA1: "sha1",
    Alg.SHA256: "sha256",
    Alg.SHA384: "sha384",
    Alg.SHA512: "sha512",
    Alg.SHA3_256: "sha3_256",
    Alg.SHA3_384: "sha3_384",
    Alg.SHA3_512: "sha3_512",
}

_SYMMETRIC = frozenset({Alg.AES, Alg.SM4, Alg.CAMELLIA})
_SYM_MODES = frozenset({Alg.CTR, Alg.OFB, Alg.CBC, Alg.CFB, Alg.ECB, Alg.NULL})
_RSA_SCHEMES_WITH_HASH = frozenset({Alg.RSASSA, Alg.RSAPSS, Alg.OAEP})
_ECC_SCHEMES_WITH_HASH = frozenset({Alg.ECDSA, Alg.ECDH, Alg.SM2, Alg.ECSCHNORR, Alg.ECMQV})
_KDFS = frozenset({Alg.MGF1, Alg.KDF1_SP800_56A, Alg.KDF2, Alg.KDF1_SP800_108})
_ECC_SIGNATURES = frozenset({Alg.ECDSA, Alg.ECDAA, Alg.SM2, Alg.ECSCHNORR})

ATTR_FIXED_TPM = ObjectAttribute.fixedTPM
ATTR_FIXED_PARENT = ObjectAttribute.fixedParent
ATTR_SENSITIVE_DATA_ORIGIN = ObjectAttribute.sensitiveDataOrigin
ATTR_RESTRICTED = ObjectAttribute.restricted
ATTR_RESERVED_MASK = ObjectAttribute.reserved_mask()

_MAX_NAME = 66  # TPM2B_NAME: 2-byte hash id + the largest digest (SHA-512)
_MAX_DATA = 66  # TPM2B_DATA: sizeof(TPMT_HA)
_MAX_AUTH_POLICY = 64
_MAX_RSA_BYTES = 512
_MAX_ECC_PARAMETER = 66


class _Reader:
    """Big-endian reader over one structure; every failure is `MalformedError(check="T8")`."""

    __slots__ = ("_data", "_pos", "_what")

    def __init__(self, data: bytes, what: str) -> None:
        if not isinstance(data, (bytes, bytearray)):
            raise MalformedError(f"{what} must be a byte string", check=_CHECK)
        self._data = bytes(data)
        self._pos = 0
        self._what = what

    def fail(self, message: str) -> MalformedError:
        return MalformedError(f"{self._what}: {message} (at offset {self._pos})", check=_CHECK)

    def take(self, n: int, field: str) -> bytes:
        if n > len(self._data) - self._pos:
            raise self.fail(f"{field} needs {n} bytes, {len(self._data) - self._pos} left")
        chunk = self._data[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def u8(self, field: str) -> int:
        return self.take(1, field)[0]

    def u16(self, field: str) -> int:
        value: int = struct.unpack(">H", self.take(2, field))[0]
        return value

    def u32(self, field: str) -> int:
        value: int = struct.unpack(">I", self.take(4, field))[0]
        return value

    def u64(self, field: str) -> int:
        value: int = struct.unpack(">Q", self.take(8, field))[0]
        return value

    def tpm2b(self, field: str, max_len: int, *, min_len: int = 0) -> bytes:
        size = self.u16(field + " size")
        if not min_len <= size <= max_len:
            raise self.fail(f"{field} holds {size} bytes, allowed {min_len} ... {max_len}")
        return self.take(size, field)

    def hash_alg(self, field: str, *, allow_null: bool = False) -> int:
        alg = self.u16(field)
        if alg in _HASH_SIZES or (allow_null and alg == Alg.NULL):
            return alg
        raise self.fail(f"{field} 0x{alg:04x} is not a registered hash algorithm")

    def done(self) -> None:
        left = len(self._data) - self._pos
        if left:
            raise self.fail(f"{left} trailing bytes")


@dataclass(frozen=True, slots=True)
class TpmsAttest:
    """`TPMS_ATTEST` of type `TPM_ST_ATTEST_CERTIFY` (the `certInfo` of a `tpm` statement)."""

    magic: int
    type: int
    qualified_signer: bytes
    extra_data: bytes
    clock: int
    reset_count: int
    restart_count: int
    safe: bool
    firmware_version: int
    name: bytes
    qualified_name: bytes

    @classmethod
    def parse(cls, data: bytes) -> TpmsAttest:
        """Decode `data` exactly.

        Raises:
            MalformedError: (T8) short or trailing bytes, wrong magic or type, a TPM2B over 66
                bytes, `safe` other than 0 or 1.
        """
        r = _Reader(data, "certInfo")
        magic = r.u32("magic")
        if magic != TPM_GENERATED_VALUE:
            raise r.fail(f"magic 0x{magic:08x} is not TPM_GENERATED_VALUE 0xff544347")
        st = r.u16("type")
        if st != TPM_ST_ATTEST_CERTIFY:
            raise r.fail(f"type 0x{st:04x} is not TPM_ST_ATTEST_CERTIFY 0x8017")
        qualified_signer = r.tpm2b("qualifiedSigner", _MAX_NAME)
        extra_data = r.tpm2b("extraData", _MAX_DATA)
        clock = r.u64("clock")
        reset_count = r.u32("resetCount")
        restart_count = r.u32("restartCount")
        safe = r.u8("safe")
        if safe > 1:
            raise r.fail(f"safe must be 0 or 1, found {safe}")
        firmware_version = r.u64("firmwareVersion")
        name = r.tpm2b("attested.name", _MAX_NAME)
        qualified_name = r.tpm2b("attested.qualifiedName", _MAX_NAME)
        r.done()
        return cls(
            magic=magic,
            type=st,
            qualified_signer=qualified_signer,
            extra_data=extra_data,
            clock=clock,
            reset_count=reset_count,
            restart_count=restart_count,
            safe=bool(safe),
            firmware_version=firmware_version,
            name=name,
            qualified_name=qualified_name,
        )


@dataclass(frozen=True, slots=True)
class TpmtPublic:
    """`TPMT_PUBLIC` of an RSA or ECC key (the `pubArea` of a `tpm` statement).

    `symmetric`, `scheme` and `kdf` hold the algorithm id followed by its details (`(Alg.NULL,)`
    when none). RSA keys set `key_bits`, `exponent` (0 means 65 537) and `modulus`; ECC keys set
    `curve_id`, `x` and `y` (as received, possibly shorter than the coordinate size).
    `raw` is the structure exactly as received (the name is computed over it).
    """

    type: int
    name_alg: int
    object_attributes: int
    auth_policy: bytes
    symmetric: tuple[int, ...]
    scheme: tuple[int, ...]
    raw: bytes
    key_bits: int | None = None
    exponent: int | None = None
    modulus: bytes | None = None
    curve_id: int | None = None
    kdf: tuple[int, ...] | None = None
    x: bytes | None = None
    y: bytes | None = None

    @classmethod
    def parse(cls, data: bytes) -> TpmtPublic:
        """Decode `data` exactly.

        Raises:
            MalformedError: (T8) short or trailing bytes, a type other than RSA/ECC, an
                unregistered algorithm, curve or mode id, a reserved objectAttributes bit set,
                an RSA modulus whose length is not keyBits / 8, an ECC coordinate that is empty
                or longer than the curve's coordinate size.
        """
        r = _Reader(data, "pubArea")
        key_type = r.u16("type")
        if key_type not in (Alg.RSA, Alg.ECC):
            raise r.fail(f"type 0x{key_type:04x} is neither TPM_ALG_RSA nor TPM_ALG_ECC")
        name_alg = r.hash_alg("nameAlg", allow_null=True)
        attributes = r.u32("objectAttributes")
        if attributes & ATTR_RESERVED_MASK:
            raise r.fail(f"objectAttributes 0x{attributes:08x} sets reserved bits")
        auth_policy = r.tpm2b("authPolicy", _MAX_AUTH_POLICY)
        symmetric = _symmetric(r)
        raw = bytes(data)
        if key_type == Alg.RSA:
            scheme = _rsa_scheme(r)
            key_bits = r.u16("keyBits")
            exponent = r.u32("exponent")
            modulus = r.tpm2b("unique.rsa", _MAX_RSA_BYTES, min_len=1)
            if key_bits % 8 or len(modulus) != key_bits // 8:
                raise r.fail(f"modulus holds {len(modulus)} bytes but keyBits is {key_bits}")
            r.done()
            return cls(
                type=key_type, name_alg=name_alg, object_attributes=attributes,
                auth_policy=auth_policy, symmetric=symmetric, scheme=scheme, raw=raw,
                key_bits=key_bits, exponent=exponent, modulus=modulus,
            )  # fmt: skip
        scheme = _ecc_scheme(r)
        curve_id = r.u16("curveID")
        size = CURVE_COORDINATE_SIZES.get(curve_id)
        if size is None:
            raise r.fail(f"curveID 0x{curve_id:04x} is not a registered TPM_ECC_CURVE")
        kdf = _kdf(r)
        x = r.tpm2b("unique.ecc.x", size, min_len=1)
        y = r.tpm2b("unique.ecc.y", size, min_len=1)
        r.done()
        return cls(
            type=key_type, name_alg=name_alg, object_attributes=attributes,
            auth_policy=auth_policy, symmetric=symmetric, scheme=scheme, raw=raw,
            curve_id=curve_id, kdf=kdf, x=x, y=y,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class TpmtSignature:
    """`TPMT_SIGNATURE` (the `sig` of a `tpm` statement).

    `signature` is set for RSASSA/RSAPSS (and holds the digest for HMAC); `r` and `s` for the
    ECC schemes. `hash_alg` is `Alg.NULL` for a NULL signature.
    """

    sig_alg: int
    hash_alg: int
    signature: bytes | None = None
    r: bytes | None = None
    s: bytes | None = None

    @classmethod
    def parse(cls, data: bytes) -> TpmtSignature:
        """Decode `data` exactly.

        Raises:
            MalformedError: (T8) short or trailing bytes, an unregistered signature or hash
                algorithm, a signature over 512 bytes, r or s over 66 bytes.
        """
        rd = _Reader(data, "sig")
        sig_alg = rd.u16("sigAlg")
        if sig_alg in (Alg.RSASSA, Alg.RSAPSS):
            hash_alg = rd.hash_alg("hash")
            signature = rd.tpm2b("signature", _MAX_RSA_BYTES)
            rd.done()
            return cls(sig_alg=sig_alg, hash_alg=hash_alg, signature=signature)
        if sig_alg in _ECC_SIGNATURES:
            hash_alg = rd.hash_alg("hash")
            r = rd.tpm2b("signatureR", _MAX_ECC_PARAMETER)
            s = rd.tpm2b("signatureS", _MAX_ECC_PARAMETER)
            rd.done()
            return cls(sig_alg=sig_alg, hash_alg=hash_alg, r=r, s=s)
        if sig_alg == Alg.HMAC:
            hash_alg = rd.hash_alg("hash")
            digest = rd.take(_HASH_SIZES[hash_alg], "digest")
            rd.done()
            return cls(sig_alg=sig_alg, hash_alg=hash_alg, signature=digest)
        if sig_alg == Alg.NULL:
            rd.done()
            return cls(sig_alg=sig_alg, hash_alg=Alg.NULL)
        raise rd.fail(f"sigAlg 0x{sig_alg:04x} is not a registered signature scheme")


def _symmetric(r: _Reader) -> tuple[int, ...]:
    alg = r.u16("symmetric.algorithm")
    if alg == Alg.NULL:
        return (alg,)
    if alg not in _SYMMETRIC:
        raise r.fail(f"symmetric algorithm 0x{alg:04x} is not AES, SM4, CAMELLIA or NULL")
    key_bits = r.u16("symmetric.keyBits")
    mode = r.u16("symmetric.mode")
    if mode not in _SYM_MODES:
        raise r.fail(f"symmetric mode 0x{mode:04x} is not a registered block cipher mode")
    return (alg, key_bits, mode)


def _rsa_scheme(r: _Reader) -> tuple[int, ...]:
    return _scheme(r, "scheme", "RSA scheme", bare=(Alg.NULL, Alg.RSAES), hashed=_RSA_SCHEMES_WITH_HASH)


def _ecc_scheme(r: _Reader) -> tuple[int, ...]:
    return _scheme(
        r, "scheme", "ECC scheme", bare=(Alg.NULL,), hashed=_ECC_SCHEMES_WITH_HASH, counted=Alg.ECDAA
    )


def _kdf(r: _Reader) -> tuple[int, ...]:
    return _scheme(r, "kdf", "kdf", bare=(Alg.NULL,), hashed=_KDFS)


def _scheme(
    r: _Reader,
    field: str,
    what: str,
    *,
    bare: tuple[int, ...],
    hashed: frozenset[int],
    counted: int | None = None,
) -> tuple[int, ...]:
    """A TPMT_*_SCHEME / TPMT_KDF_SCHEME: the algorithm id, then its hashAlg (and for `counted`,
    ECDAA, a count); `bare` ids carry no details."""
    alg = r.u16(field)
    if alg in bare:
        return (alg,)
    if alg in hashed:
        return (alg, r.hash_alg(f"{field}.hashAlg"))
    if alg == counted:
        return (alg, r.hash_alg(f"{field}.hashAlg"), r.u16(f"{field}.count"))
    raise r.fail(f"{what} 0x{alg:04x} is not registered")


def compute_name(name_alg: int, pub_area: bytes) -> bytes:
    """The TPM name of an object: `nameAlg` (u16 big-endian) followed by H_nameAlg(`pub_area`).

    `pub_area` must be the bytes as received: re-encoding could hide a difference.

    Raises:
        PolicyError: (T11) `name_alg` is not a hash this library can compute.
    """
    hash_name = _HASHLIB_NAMES.get(name_alg)
    if hash_name is None:
        raise PolicyError(f"nameAlg 0x{name_alg:04x} is not supported", check="T11")
    return struct.pack(">H", name_alg) + hashlib.new(hash_name, bytes(pub_area)).digest()
