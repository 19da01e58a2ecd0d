"""Format `tpm`: a TPM 2.0 `TPM2_Certify` of the attested key by an attestation key.

`attStmt = {"ver": "2.0", "alg": int, "x5c": [AK cert, ...], "sig": TPMT_SIGNATURE,
"certInfo": TPMS_ATTEST, "pubArea": TPMT_PUBLIC}`. Checks T1-T14 run in order and the first
failing one decides. `verify_statement` (used by `verify()`) binds SHA-256 of the ACME key
authorization; `verify_certify` takes the expected `extraData` from the caller, so statements bound
some other way (real Windows Hello WebAuthn registrations) verify through the same code.

`sig` is normally a marshalled TPMT_SIGNATURE (what tpm2-tools, go-attestation and the step CLI
send). WebAuthn clients such as Windows Hello send the bare RSA signature instead; with an RSA AK, a
`sig` of exactly the modulus length is taken as such a bare PKCS#1 v1.5 signature whose hash is the
one `alg` names (the two forms never have the same length), recorded as relaxation
`"tpm-bare-rsa-signature"`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .. import chain, fields, keys
from ..arguments import check_flag, check_now, trust_from_arguments
from ..context import Context
from ..errors import (
    BadSignatureError,
    ChallengeMismatchError,
    KeyMismatchError,
    MalformedError,
    PolicyError,
    UsageError,
    public_boundary,
)
from ..identity import HARDWARE_MODULE, PERMANENT_IDENTIFIER, AcmeIdentifier, DeviceIdentity, TpmDetails
from ..relaxations import TPM_BARE_RSA_SIGNATURE, TPM_RS1
from ..trust import Trust
from . import akcert
from .constants import CURVE_COORDINATE_SIZES, Alg, EccCurve, ObjectAttribute
from .describe import describe_leaf, describe_statement
from .structures import TpmsAttest, TpmtPublic, TpmtSignature, compute_name

__all__ = [
    "FORMAT",
    "RELAXATION_BARE_SIGNATURE",
    "RELAXATION_RS1",
    "X5C_CHECKS",
    "Options",
    "describe_leaf",
    "describe_statement",
    "verify_certify",
    "verify_statement",
]

FORMAT = "tpm"
X5C_CHECKS = ("T3", "T3")
"""The check ids of `attStmt.x5c`: its shape, and the parsing of each certificate."""
RELAXATION_BARE_SIGNATURE = TPM_BARE_RSA_SIGNATURE
RELAXATION_RS1 = TPM_RS1

ALG_RS256 = -257
ALG_ES256 = -7
ALG_RS1 = -65535
# COSE alg -> TPM hash id and the cryptography hash of the AK signature (T2, T9).
_ALG_HASH: dict[int, tuple[int, type[hashes.HashAlgorithm]]] = {
    ALG_RS256: (Alg.SHA256, hashes.SHA256),
    ALG_ES256: (Alg.SHA256, hashes.SHA256),
    ALG_RS1: (Alg.SHA1, hashes.SHA1),
}
_NAME_ALGS = frozenset({Alg.SHA256, Alg.SHA384, Alg.SHA512})
_CURVES: dict[int, ec.EllipticCurve] = {
    EccCurve.NIST_P256: ec.SECP256R1(),
    EccCurve.NIST_P384: ec.SECP384R1(),
    EccCurve.NIST_P521: ec.SECP521R1(),
}
_REQUIRED_ATTRIBUTES = (
    ObjectAttribute.fixedTPM,
    ObjectAttribute.fixedParent,
    ObjectAttribute.sensitiveDataOrigin,
)
_MAX_STRUCTURE = 2048
_MAX_EXTRA_DATA = 64


@dataclass(frozen=True, slots=True)
class Options:
    """The `tpm` options of one verification.

    Attributes:
        allow_rs1: T2; accept alg -65535 (RS1, SHA-1) for the AK signature. From
            `verify(tpm_allow_rs1=...)`.
        allow_sha1_chain: T5; SHA-1 signatures on the AK path (relaxation `"tpm-sha1-chain"`).
            From `verify(tpm_allow_sha1_chain=...)`.
    """

    allow_rs1: bool = True
    allow_sha1_chain: bool = False

    @classmethod
    def from_context(cls, ctx: Context) -> Options:
        """The options `verify()` passed in `ctx.options`."""
        return cls(
            allow_rs1=ctx.flag("tpm_allow_rs1", True),
            allow_sha1_chain=ctx.flag("tpm_allow_sha1_chain", False),
        )


def _check_version_and_alg(att_stmt: Mapping[object, object], allow_rs1: bool) -> int:
    ver = fields.get_text(att_stmt, "ver", check="T1")
    if ver != "2.0":
        raise MalformedError(f"attStmt.ver must be '2.0', found {ver[:16]!r}", check="T1")
    alg = fields.get_int(att_stmt, "alg", check="T2")
    if alg not in _ALG_HASH:
        # str() of an int over 4 300 digits raises ValueError (a decoded Mapping may hold one).
        shown = str(alg) if alg.bit_length() <= 64 else "an integer beyond 64 bits"
        raise MalformedError(f"attStmt.alg must be -257, -7 or -65535, found {shown}", check="T2")
    if alg == ALG_RS1 and not allow_rs1:
        raise PolicyError("attStmt.alg -65535 (RS1, SHA-1) is disabled (tpm_allow_rs1=False)", check="T2")
    return alg


def _parse_signature(sig: bytes, ak_key: object) -> tuple[TpmtSignature | None, bytes | None]:
    """T8 for `sig`: a TPMT_SIGNATURE, or (RSA AK only) a bare signature of the modulus length."""
    if isinstance(ak_key, rsa.RSAPublicKey) and len(sig) == (ak_key.key_size + 7) // 8:
        return None, sig
    return TpmtSignature.parse(sig), None


def _check_signature(
    parsed: TpmtSignature | None, bare: bytes | None, ak_key: object, alg: int, cert_info: bytes
) -> None:
    """T9: the AK signature over the raw `certInfo` bytes."""
    tpm_hash, hash_cls = _ALG_HASH[alg]
    if parsed is not None and parsed.hash_alg != tpm_hash:
        raise BadSignatureError(
            f"TPMT_SIGNATURE hash 0x{parsed.hash_alg:04x} differs from the alg hash 0x{tpm_hash:04x}",
            check="T9",
        )
    try:
        if isinstance(ak_key, rsa.RSAPublicKey):
            if bare is None:
                if parsed is None or parsed.sig_alg != Alg.RSASSA or parsed.signature is None:
                    raise BadSignatureError("an RSA AK must sign with TPM_ALG_RSASSA", check="T9")
                bare = parsed.signature
            if len(bare) != (ak_key.key_size + 7) // 8:
                raise BadSignatureError("the RSA signature length differs from the AK modulus", check="T9")
            ak_key.verify(bare, cert_info, padding.PKCS1v15(), hash_cls())
        elif isinstance(ak_key, ec.EllipticCurvePublicKey):
            if parsed is None or parsed.sig_alg != Alg.ECDSA or parsed.r is None or parsed.s is None:
                raise BadSignatureError("an EC AK must sign with TPM_ALG_ECDSA", check="T9")
            der = encode_dss_signature(int.from_bytes(parsed.r, "big"), int.from_bytes(parsed.s, "big"))
            ak_key.verify(der, cert_info, ec.ECDSA(hash_cls()))
        else:  # T6 admits only RSA and EC AKs; kept so a future change cannot skip the signature
            raise BadSignatureError("unsupported AK key type", check="T9")
    except InvalidSignature:
        raise BadSignatureError("the AK signature over certInfo does not verify", check="T9") from None
    except UnsupportedAlgorithm:
        raise PolicyError(
            f"the crypto backend refuses {hash_cls.name} for the AK signature (FIPS or hardened policy?)",
            check="T9",
        ) from None


def _check_attested_key(public: TpmtPublic) -> None:
    """T13: the attested key's attributes, size or curve, and symmetric scheme."""
    attributes = public.object_attributes
    for bit in _REQUIRED_ATTRIBUTES:
        if not attributes & bit:
            raise PolicyError(
                f"the attested key lacks {bit.name} (objectAttributes 0x{attributes:08x})", check="T13"
            )
    if attributes & ObjectAttribute.restricted:
        raise PolicyError(
            "the attested key is restricted (a TPM-internal key, not a usable one)", check="T13"
        )
    if public.symmetric[0] != Alg.NULL:
        raise PolicyError("the attested key has a symmetric algorithm; it must be TPM_ALG_NULL", check="T13")
    if public.type == Alg.RSA:
        assert public.key_bits is not None and public.exponent is not None and public.modulus is not None
        if not 2048 <= public.key_bits <= 4096:
            raise PolicyError(f"the attested key is RSA-{public.key_bits}; allowed 2048 to 4096", check="T13")
        if public.exponent != 0 and (public.exponent < 3 or public.exponent % 2 == 0):
            raise PolicyError(f"the attested key exponent {public.exponent} is not odd and >= 3", check="T13")
        if keys.has_roca_fingerprint(int.from_bytes(public.modulus, "big")):
            raise PolicyError(
                "the attested key has the ROCA fingerprint (CVE-2017-15361); it is factorable", check="T13"
            )
    elif public.curve_id not in _CURVES:
        raise PolicyError(
            f"the attested key curve 0x{public.curve_id or 0:04x} is not P-256, P-384 or P-521", check="T13"
        )


def _build_key(public: TpmtPublic) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    """T14: the attested key as a `cryptography` public key."""
    try:
        if public.type == Alg.RSA:
            assert public.modulus is not None and public.exponent is not None
            modulus = int.from_bytes(public.modulus, "big")
            if modulus.bit_length() != public.key_bits:
                raise MalformedError("the attested RSA modulus is shorter than keyBits", check="T14")
            if modulus % 2 == 0:  # `cryptography` builds a "key" from an even modulus
                raise MalformedError("the attested RSA modulus is even", check="T14")
            return rsa.RSAPublicNumbers(public.exponent or 65537, modulus).public_key()
        assert public.curve_id is not None and public.x is not None and public.y is not None
        size = CURVE_COORDINATE_SIZES[public.curve_id]
        point = b"\x04" + public.x.rjust(size, b"\x00") + public.y.rjust(size, b"\x00")
        return ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[public.curve_id], point)
    except ValueError:
        raise MalformedError(
            "the attested public key is not a valid key (point not on curve?)", check="T14"
        ) from None


def _verify(
    att_stmt: Mapping[object, object], expected_extra_data: bytes, trust: Trust, opts: Options
) -> DeviceIdentity:
    """T1-T14, the one implementation behind `verify_statement` and `verify_certify`."""
    alg = _check_version_and_alg(att_stmt, opts.allow_rs1)  # T1, T2
    certs = chain.read_x5c(att_stmt, shape_check="T3", parse_check="T3")
    sig = fields.get_bytes(att_stmt, "sig", check="T4", max_len=_MAX_STRUCTURE)
    cert_info = fields.get_bytes(att_stmt, "certInfo", check="T4", max_len=_MAX_STRUCTURE)
    pub_area = fields.get_bytes(att_stmt, "pubArea", check="T4", max_len=_MAX_STRUCTURE)

    ak = certs[0]
    path = chain.validate(certs, trust, check="T5", allow_sha1=opts.allow_sha1_chain)
    profile = akcert.check_profile(ak)  # T6
    permanent, hardware = akcert.identities(ak)  # T7

    ak_key = ak.public_key()
    public = TpmtPublic.parse(pub_area)  # T8
    attest = TpmsAttest.parse(cert_info)
    parsed_sig, bare_sig = _parse_signature(sig, ak_key)

    _check_signature(parsed_sig, bare_sig, ak_key, alg, cert_info)  # T9
    if not hmac.compare_digest(attest.extra_data, expected_extra_data):
        raise ChallengeMismatchError("certInfo extraData does not equal the expected binding", check="T10")
    if public.name_alg not in _NAME_ALGS:
        raise PolicyError(f"pubArea nameAlg 0x{public.name_alg:04x} is not SHA-256/384/512", check="T11")
    if not hmac.compare_digest(attest.name, compute_name(public.name_alg, pub_area)):
        raise KeyMismatchError("the certified name is not the name of pubArea", check="T12")
    _check_attested_key(public)  # T13
    key = _build_key(public)  # T14

    acme = [AcmeIdentifier(PERMANENT_IDENTIFIER, v) for p in permanent if (v := p.acme_value()) is not None]
    acme += [AcmeIdentifier(HARDWARE_MODULE, v) for h in hardware if (v := h.acme_value()) is not None]
    details = TpmDetails(
        manufacturer=profile.manufacturer,
        manufacturer_id=profile.manufacturer_id,
        vendor=profile.vendor,
        model=profile.model,
        version=profile.version,
        ak_certificate=ak,
        alg=alg,
        name_alg=public.name_alg,
        object_attributes=public.object_attributes,
        key_type="RSA" if public.type == Alg.RSA else "ECC",
        firmware_version=attest.firmware_version,
        clock=attest.clock,
        reset_count=attest.reset_count,
        restart_count=attest.restart_count,
        safe=attest.safe,
        qualified_signer=attest.qualified_signer,
    )
    relaxations = tuple(path.relaxations) + ((RELAXATION_RS1,) if alg == ALG_RS1 else ())
    relaxations += (RELAXATION_BARE_SIGNATURE,) if bare_sig is not None else ()
    return DeviceIdentity.build(
        format=FORMAT,
        public_key=key,
        chain=tuple(path.chain),
        acme_identifiers=tuple(acme),
        permanent_identifiers=permanent,
        hardware_module_names=hardware,
        relaxations=relaxations,
        tpm=details,
    )


def verify_statement(att_stmt: Mapping[object, object], ctx: Context) -> DeviceIdentity:
    """Verify a `tpm` attestation statement for `verify()` (checks T1-T14).

    Args:
        att_stmt: the decoded `attStmt` map.
        ctx: anchors, intermediates, time, key authorization and the `tpm_*` options.

    Returns:
        The identity of the attested key (from `pubArea`, never the AK); `identifiers` are the
        AK certificate's PermanentIdentifier values, then its HardwareModuleName values.

    Raises:
        MalformedError: T1 ver, T2 alg, T3 x5c, T4 sig/certInfo/pubArea, T7 SAN identities,
            T8 TPM structures, T14 invalid attested key.
        PolicyError: T2 RS1 disabled, T6 AK profile, T9 SHA-1 refused, T11 nameAlg,
            T13 attested-key attributes, size or curve.
        UntrustedChainError: T5 the AK path does not validate.
        BadSignatureError: T9 the AK signature over certInfo.
        ChallengeMismatchError: T10 extraData is not SHA-256 of the key authorization.
        KeyMismatchError: T12 the certified name is not the name of pubArea.
    """
    expected = hashlib.sha256(ctx.key_authorization.encode("utf-8")).digest()
    return _verify(att_stmt, expected, ctx.trust, Options.from_context(ctx))


def verify_certify(
    att_stmt: Mapping[str, object],
    expected_extra_data: bytes,
    *,
    roots: Iterable[x509.Certificate] | None = None,
    intermediates: Iterable[x509.Certificate] | None = None,
    now: datetime | None = None,
    allow_rs1: bool = True,
    allow_sha1_chain: bool = False,
) -> DeviceIdentity:
    """Verify a `tpm` attStmt whose `extraData` binding is chosen by the caller.

    The same checks T1-T14 as `verify()`, with `expected_extra_data` in place of
    SHA-256(key_authorization) in T10. For a WebAuthn registration pass
    H_alg(authData || clientDataHash).

    Args:
        att_stmt: the decoded `attStmt` map (a Mapping with text keys; CBOR bytes are not
            accepted here, decode them first, e.g. `cbor2.loads(att_obj)["attStmt"]`; the
            strict CBOR rules of `verify()` then do not apply).
        expected_extra_data: the exact `extraData` the TPM must have signed (1 ... 64 bytes).
        roots: trust anchors for the AK path; None uses the bundled tpm anchor (Microsoft TPM
            Root Certificate Authority 2014).
        intermediates: extra untrusted certificates for path building; None adds none.
        now: tz-aware validation time; None is the current time.
        allow_rs1: accept alg -65535 (RS1, SHA-1) for the AK signature (relaxation "tpm-rs1").
        allow_sha1_chain: accept SHA-1 signatures on the AK path (relaxation "tpm-sha1-chain").

    Returns:
        The identity of the attested key (`format == "tpm"`, key from `pubArea`, never the AK);
        `relaxations` may hold `"tpm-sha1-chain"`, `"rsa-sig-params-absent"`, `"tpm-rs1"` and
        `"tpm-bare-rsa-signature"` (a bare PKCS#1 v1.5 `sig`, as Windows Hello sends it).

    Raises:
        UsageError: `malformed`, D1: `att_stmt` not a Mapping, `expected_extra_data` not
            1 ... 64 `bytes`/`bytearray`, bad `roots`/`intermediates`, naive `now`, non-bool flags.
        MalformedError: `malformed`: D6 non-text attStmt keys; T1 ver, T2 alg, T3 x5c, T4
            sig/certInfo/pubArea, T7 SAN identities, T8 TPM structures, T14 invalid attested key.
        PolicyError: `policy`: T2 RS1 with `allow_rs1=False`, T6 AK profile, T9 SHA-1 refused by
            the crypto backend, T11 nameAlg, T13 attested-key attributes, size or curve.
        UntrustedChainError: `untrusted-chain`, T5, with `rule` `"P1"` ... `"P10"`.
        BadSignatureError: `bad-signature`, T9: the AK signature over certInfo.
        ChallengeMismatchError: `challenge-mismatch`, T10: extraData differs from
            `expected_extra_data`.
        KeyMismatchError: `key-mismatch`, T12: the certified name is not that of `pubArea`.
    """
    with public_boundary(FORMAT):
        if not isinstance(att_stmt, Mapping):
            raise UsageError("att_stmt must be a decoded attStmt Mapping", check="D1")
        if not isinstance(expected_extra_data, (bytes, bytearray)) or not (
            1 <= len(expected_extra_data) <= _MAX_EXTRA_DATA
        ):
            raise UsageError("expected_extra_data must be 1 ... 64 bytes", check="D1")
        trust = trust_from_arguments(FORMAT, roots, intermediates, check_now(now))
        options = Options(
            allow_rs1=check_flag("allow_rs1", allow_rs1),
            allow_sha1_chain=check_flag("allow_sha1_chain", allow_sha1_chain),
        )
        if not all(isinstance(k, str) for k in att_stmt):
            raise MalformedError("attStmt keys must be text strings", check="D6")
        return _verify(cast("Mapping[object, object]", att_stmt), bytes(expected_extra_data), trust, options)
