"""Format `tpm` (SPEC §4.3): T1-T14 with generated statements, and the committed swtpm fixtures.

Every negative test changes exactly one thing of an otherwise valid statement (tests/tpm_pki.py)
and asserts the error type and the SPEC check id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pathlib
import struct
from typing import Any

import pki
import pytest
import tpm_pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from vectors import SWTPM_FIXTURES

import attestverify
from attestverify import tpm
from attestverify.errors import (
    AttestationError,
    BadSignatureError,
    ChallengeMismatchError,
    IdentifierMismatchError,
    KeyMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
    UsageError,
)
from attestverify.tpm import akcert

FIXTURES = SWTPM_FIXTURES


def certify(st: tpm_pki.Statement, extra: bytes = pki.KA_HASH, **kw: Any) -> attestverify.DeviceIdentity:
    return tpm.verify_certify(st.att_stmt, extra, roots=[st.root], now=pki.NOW, **kw)


def acme(st: tpm_pki.Statement, **kw: Any) -> attestverify.DeviceIdentity:
    return attestverify.verify(
        st.attobj(), pki.KEY_AUTHORIZATION, roots={"tpm": [st.root]}, now=pki.NOW, **kw
    )


def rsa_ak() -> rsa.RSAPrivateKey:
    return pki.rsa_key(2048, "tpm-ak")


def rsa_attested() -> rsa.RSAPrivateKey:
    return pki.rsa_key(2048, "tpm-attested")


# --- positive -----------------------------------------------------------------------------


@pytest.mark.parametrize("ak_kind", ["ecc", "rsa"])
@pytest.mark.parametrize("key_kind", ["ecc", "rsa"])
def test_generated_statement_verifies(ak_kind: str, key_kind: str) -> None:
    ak = pki.ec_key("p256", "tpm-ak") if ak_kind == "ecc" else rsa_ak()
    attested = pki.ec_key("p256", "tpm-attested") if key_kind == "ecc" else rsa_attested()
    st = tpm_pki.statement(ak=ak, attested=attested, alg=-7 if ak_kind == "ecc" else -257)
    identity = acme(st)
    assert identity.format == "tpm"
    assert identity.public_key_der == attestverify.identity.public_key_der(attested.public_key())
    assert identity.public_key_der != attestverify.identity.public_key_der(ak.public_key())
    assert identity.chain[-1] == st.root
    details = identity.tpm
    assert details is not None
    assert (details.manufacturer, details.manufacturer_id, details.vendor) == (
        "id:4E544300", 0x4E544300, "Nuvoton Technology",
    )  # fmt: skip
    assert (details.model, details.version) == ("NPCT75x", "id:00070002")
    assert details.key_type == ("ECC" if key_kind == "ecc" else "RSA")
    assert details.name_alg == 0x000B
    assert (details.clock, details.reset_count, details.restart_count, details.safe) == (
        123456789,
        7,
        3,
        True,
    )
    assert details.firmware_version == 0x2000000000000001
    assert details.ak_certificate.public_key() == ak.public_key()
    assert identity.identifiers == ()
    assert identity.relaxations == ()


def test_alg_is_not_required_to_match_the_ak_type() -> None:
    # The step CLI derives alg from the attested key: an RSA AK certifying an EC key sends -7.
    st = tpm_pki.statement(ak=rsa_ak(), alg=-7)
    assert certify(st).tpm.alg == -7  # type: ignore[union-attr]


def test_rs1_verifies_by_default_with_sha256_extra_data() -> None:
    st = tpm_pki.statement(ak=rsa_ak(), alg=-65535)
    identity = acme(st)
    assert identity.tpm.alg == -65535  # type: ignore[union-attr]
    assert identity.relaxations == ("tpm-rs1",)
    assert certify(st).relaxations == ("tpm-rs1",)


def test_rs256_records_no_rs1_relaxation() -> None:
    st = tpm_pki.statement(ak=rsa_ak(), alg=-257)
    assert "tpm-rs1" not in acme(st).relaxations


# --- T1 / T2 ------------------------------------------------------------------------------


@pytest.mark.parametrize("ver", ["2", "2.00", 2, 2.0, b"2.0", None])
def test_t1_ver_wrong(ver: object) -> None:
    st = tpm_pki.statement()
    st.att_stmt["ver"] = ver
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T1"


def test_t1_ver_missing() -> None:
    st = tpm_pki.statement()
    del st.att_stmt["ver"]
    with pytest.raises(MalformedError) as exc:
        acme(st)
    assert exc.value.check == "T1"
    assert exc.value.format == "tpm"


@pytest.mark.parametrize("alg", [True, False, 0, -35, -8, "-7", -257.0, None, 2**70])
def test_t2_alg_wrong(alg: object) -> None:
    st = tpm_pki.statement()
    st.att_stmt["alg"] = alg
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T2"


def test_t2_alg_missing() -> None:
    st = tpm_pki.statement()
    del st.att_stmt["alg"]
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.check == "T2"


def test_t2_rs1_disabled_is_policy() -> None:
    st = tpm_pki.statement(ak=rsa_ak(), alg=-65535)
    with pytest.raises(PolicyError) as exc:
        acme(st, tpm_allow_rs1=False)
    assert exc.value.code == "policy"
    assert exc.value.check == "T2"
    with pytest.raises(PolicyError) as exc:
        certify(st, allow_rs1=False)
    assert exc.value.check == "T2"


# --- T3 / T4 ------------------------------------------------------------------------------


@pytest.mark.parametrize("x5c", [[], [b""], [b"\x30\x00"], "cert", [b"x"] * 11, None])
def test_t3_x5c_wrong(x5c: object) -> None:
    st = tpm_pki.statement()
    st.att_stmt["x5c"] = x5c
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.check == "T3"


def test_t3_x5c_trailing_byte() -> None:
    st = tpm_pki.statement()
    st.att_stmt["x5c"][0] += b"\x00"
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.check == "T3"


@pytest.mark.parametrize("field", ["sig", "certInfo", "pubArea"])
@pytest.mark.parametrize("value", [b"", b"\x00" * 2049, "text", None, [b"\x00"]])
def test_t4_structure_field_wrong(field: str, value: object) -> None:
    st = tpm_pki.statement()
    st.att_stmt[field] = value
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.check == "T4"


@pytest.mark.parametrize("field", ["sig", "certInfo", "pubArea"])
def test_t4_structure_field_missing(field: str) -> None:
    st = tpm_pki.statement()
    del st.att_stmt[field]
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.check == "T4"


def test_t4_bytearray_accepted() -> None:
    st = tpm_pki.statement()
    st.att_stmt["pubArea"] = bytearray(st.att_stmt["pubArea"])
    assert certify(st).format == "tpm"


# --- T5 -----------------------------------------------------------------------------------


def test_t5_unknown_root() -> None:
    st = tpm_pki.statement()
    other = pki.root("Some Other Root")
    with pytest.raises(UntrustedChainError) as exc:
        tpm.verify_certify(st.att_stmt, pki.KA_HASH, roots=[other.cert], now=pki.NOW)
    assert exc.value.code == "untrusted-chain"
    assert exc.value.check == "T5"


def test_t5_bundled_microsoft_root_by_default() -> None:
    st = tpm_pki.statement()
    with pytest.raises(UntrustedChainError) as exc:
        tpm.verify_certify(st.att_stmt, pki.KA_HASH, now=pki.NOW)
    assert exc.value.check == "T5"


def test_t5_expired() -> None:
    st = tpm_pki.statement()
    with pytest.raises(UntrustedChainError) as exc:
        tpm.verify_certify(
            st.att_stmt, pki.KA_HASH, roots=[st.root], now=pki.NOT_AFTER + dt.timedelta(seconds=1)
        )
    assert exc.value.check == "T5"


def test_t5_intermediate_from_argument() -> None:
    st = tpm_pki.statement()
    intermediate = x509.load_der_x509_certificate(st.att_stmt["x5c"].pop())
    identity = tpm.verify_certify(
        st.att_stmt, pki.KA_HASH, roots=[st.root], intermediates=[intermediate], now=pki.NOW
    )
    assert len(identity.chain) == 3


def test_vendor_ek_roots_are_not_ak_anchors() -> None:
    # TPM vendor roots certify endorsement keys; the bundle holds only the Microsoft AK root.
    from cryptography.hazmat.primitives.serialization import Encoding

    from attestverify.roots import bundled

    digests = {hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest() for c in bundled("tpm")}
    assert digests == {"870c7a35ceab3d59979f2c6a524042d404cb71518004350925fb2ced79a999da"}


# --- T6 -----------------------------------------------------------------------------------


def _ak_cert(**kw: Any) -> x509.Certificate:
    _, intermediate = tpm_pki.test_ca()
    public = kw.pop("public", pki.ec_key("p256", "tpm-ak").public_key())
    return tpm_pki.ak_certificate(public, intermediate, **kw)


def _t6_fails(**kw: Any) -> PolicyError:
    st = tpm_pki.statement(ak_cert=_ak_cert(**kw))
    with pytest.raises(PolicyError) as exc:
        certify(st)
    assert exc.value.code == "policy"
    return exc.value


def test_t6_version_1() -> None:
    # cryptography's verifier already refuses a v1 leaf (T5); T6 rule 1 stays as defence in depth.
    cert = _ak_cert(version1=True)
    assert cert.version == x509.Version.v1
    with pytest.raises(PolicyError) as exc:
        akcert.check_profile(cert)
    assert exc.value.check == "T6"
    with pytest.raises(UntrustedChainError) as chain_exc:
        certify(tpm_pki.statement(ak_cert=cert))
    assert chain_exc.value.check == "T5"


def test_t6_subject_not_empty() -> None:
    assert _t6_fails(subject=pki.name("AK")).check == "T6"


def test_t6_ca_true() -> None:
    assert _t6_fails(ca=True).check == "T6"


def test_t6_eku_missing() -> None:
    assert _t6_fails(eku=None).check == "T6"


def test_t6_eku_without_aik() -> None:
    assert _t6_fails(eku=[x509.ObjectIdentifier("2.23.133.8.1")]).check == "T6"


def test_t6_san_missing() -> None:
    assert _t6_fails(include_san=False).check == "T6"


@pytest.mark.parametrize("missing", ["manufacturer", "model", "version"])
def test_t6_san_attribute_missing(missing: str) -> None:
    values: dict[str, str | None] = {"manufacturer": "id:4E544300", "model": "NPCT75x", "version": "id:1"}
    values[missing] = None
    assert _t6_fails(san=tpm_pki.tpm_directory(**values)).check == "T6"  # type: ignore[arg-type]


def test_t6_san_attribute_empty() -> None:
    assert _t6_fails(san=tpm_pki.tpm_directory(model="")).check == "T6"


def test_t6_repeated_manufacturer_with_different_values() -> None:
    san = tpm_pki.tpm_directory() + tpm_pki.tpm_directory(manufacturer="id:49465800", layout="split")
    assert _t6_fails(san=san).check == "T6"


def test_t6_repeated_manufacturer_with_same_value_passes() -> None:
    san = tpm_pki.tpm_directory() + tpm_pki.tpm_directory(layout="split")
    assert certify(tpm_pki.statement(ak_cert=_ak_cert(san=san))).tpm.model == "NPCT75x"  # type: ignore[union-attr]


@pytest.mark.parametrize("layout", ["multi", "separate", "split"])
@pytest.mark.parametrize("critical", [True, False])
def test_t6_san_layouts_pass(layout: str, critical: bool) -> None:
    cert = _ak_cert(san=tpm_pki.tpm_directory(layout=layout), san_critical=critical)
    details = certify(tpm_pki.statement(ak_cert=cert)).tpm
    assert details is not None
    assert (details.manufacturer, details.model, details.version) == ("id:4E544300", "NPCT75x", "id:00070002")


def test_t6_aik_eku_in_second_position_passes() -> None:
    cert = _ak_cert(eku=[x509.ObjectIdentifier("1.3.6.1.5.5.7.3.2"), tpm_pki.AIK_OID])
    assert certify(tpm_pki.statement(ak_cert=cert)).format == "tpm"


def test_t6_basic_constraints_absent_passes() -> None:
    assert certify(tpm_pki.statement(ak_cert=_ak_cert(ca=None))).format == "tpm"


def test_t6_rsa_1024_ak() -> None:
    ak = pki.rsa_key(1024, "tpm-ak-1024")
    st = tpm_pki.statement(ak=ak, ak_cert=_ak_cert(public=ak.public_key()), alg=-257)
    with pytest.raises(PolicyError) as exc:
        certify(st)
    assert exc.value.check == "T6"


def test_t6_roca_ak() -> None:
    # Security regression: a ROCA-fingerprint AK (Infineon before 2017) is factorable.
    public = rsa.RSAPublicNumbers(65537, tpm_pki.roca_modulus()).public_key()
    assert _t6_fails(public=public).check == "T6"


def test_t6_secp256k1_ak() -> None:
    assert _t6_fails(public=pki.ec_key("k256", "tpm-ak-k1").public_key()).check == "T6"


# --- T7 -----------------------------------------------------------------------------------


def test_t7_permanent_identifier_with_and_without_assigner() -> None:
    san = [
        *tpm_pki.tpm_directory(),
        tpm_pki.permanent_identifier_san("device-1"),
        tpm_pki.permanent_identifier_san("device-2", "1.2.3.4"),
        tpm_pki.hardware_module_san("1.3.6.1.4.1.5", b"HW-42"),
    ]
    identity = acme(tpm_pki.statement(ak_cert=_ak_cert(san=san)), identifier="device-2/1.2.3.4")
    assert identity.identifiers == ("device-1", "device-2/1.2.3.4", "HW-42/1.3.6.1.4.1.5")
    assert [a.type for a in identity.acme_identifiers] == [
        "permanent-identifier", "permanent-identifier", "hardware-module",
    ]  # fmt: skip
    assert identity.permanent_identifiers == (
        attestverify.PermanentIdentifier("device-1", None),
        attestverify.PermanentIdentifier("device-2", "1.2.3.4"),
    )
    assert identity.hardware_module_names == (attestverify.HardwareModuleName("1.3.6.1.4.1.5", b"HW-42"),)
    assert identity.matches("HW-42/1.3.6.1.4.1.5", "hardware-module")
    assert not identity.matches("device-1", "hardware-module")


def test_t7_no_permanent_identifier_means_no_identifiers() -> None:
    # SPEC §6: unlike step-ca, an AK certificate without identity SANs matches no identifier.
    st = tpm_pki.statement()
    assert acme(st).identifiers == ()
    with pytest.raises(IdentifierMismatchError) as exc:
        acme(st, identifier="anything")
    assert exc.value.code == "identifier-mismatch"
    assert exc.value.check == "D7"


def test_t7_undecodable_permanent_identifier() -> None:
    # SEQUENCE { INTEGER 5 }: well-formed DER, but not a PermanentIdentifier.
    bad = x509.OtherName(tpm_pki.PERMANENT_IDENTIFIER_OID, b"\x30\x03\x02\x01\x05")
    st = tpm_pki.statement(ak_cert=_ak_cert(san=[*tpm_pki.tpm_directory(), bad]))
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T7"


# --- T8 -----------------------------------------------------------------------------------


def _t8(st: tpm_pki.Statement) -> None:
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T8"


@pytest.mark.parametrize("field", ["sig", "certInfo", "pubArea"])
def test_t8_structure_one_byte_short(field: str) -> None:
    st = tpm_pki.statement()
    st.att_stmt[field] = st.att_stmt[field][:-1]
    _t8(st)


@pytest.mark.parametrize("field", ["sig", "certInfo", "pubArea"])
def test_t8_structure_one_byte_long(field: str) -> None:
    st = tpm_pki.statement()
    st.att_stmt[field] = st.att_stmt[field] + b"\x00"
    _t8(st)


def test_t8_wrong_magic() -> None:
    st = tpm_pki.statement()
    tpm_pki.resign(st, b"\xff\x54\x43\x48" + st.att_stmt["certInfo"][4:])
    _t8(st)


def test_t8_wrong_type_quote() -> None:
    st = tpm_pki.statement()
    tpm_pki.resign(st, st.att_stmt["certInfo"][:4] + b"\x80\x18" + st.att_stmt["certInfo"][6:])
    _t8(st)


@pytest.mark.parametrize("bit", [b for b in range(32) if (1 << b) & 0xFFF0F309])
def test_t8_reserved_attribute_bit(bit: int) -> None:
    area = tpm_pki.pub_area(
        pki.ec_key("p256", "tpm-attested").public_key(), attributes=tpm_pki.ATTRS_ECC | (1 << bit)
    )
    _t8(tpm_pki.statement(area=area))


def test_t8_rsa_sized_sig_for_ec_ak_is_parsed_as_tpmt_signature() -> None:
    st = tpm_pki.statement()
    st.att_stmt["sig"] = b"\x01" * 256
    _t8(st)


# --- T9 -----------------------------------------------------------------------------------


def _t9(st: tpm_pki.Statement) -> None:
    with pytest.raises(BadSignatureError) as exc:
        certify(st)
    assert exc.value.code == "bad-signature"
    assert exc.value.check == "T9"


@pytest.mark.parametrize("ak_kind", ["ecc", "rsa"])
def test_t9_flipped_signature_bit(ak_kind: str) -> None:
    st = tpm_pki.statement(ak=pki.ec_key("p256", "tpm-ak") if ak_kind == "ecc" else rsa_ak())
    sig = bytearray(st.att_stmt["sig"])
    sig[-1] ^= 0x01
    st.att_stmt["sig"] = bytes(sig)
    _t9(st)


def test_t9_flipped_cert_info_bit_in_qualified_name() -> None:
    st = tpm_pki.statement()
    info = bytearray(st.att_stmt["certInfo"])
    info[-1] ^= 0x01
    st.att_stmt["certInfo"] = bytes(info)
    _t9(st)


def test_t9_signed_by_another_key() -> None:
    st = tpm_pki.statement()
    st.att_stmt["sig"] = tpm_pki.signature(pki.ec_key("p256", "not-the-ak"), st.att_stmt["certInfo"])
    _t9(st)


@pytest.mark.parametrize("ak_kind", ["ecc", "rsa"])
def test_t9_hash_field_differs_from_alg(ak_kind: str) -> None:
    ak = pki.ec_key("p256", "tpm-ak") if ak_kind == "ecc" else rsa_ak()
    st = tpm_pki.statement(ak=ak)
    st.att_stmt["sig"] = tpm_pki.signature(ak, st.att_stmt["certInfo"], field_hash=tpm_pki.ALG_SHA384)
    _t9(st)


def test_t9_sha384_signature_with_alg_es256() -> None:
    ak = pki.ec_key("p256", "tpm-ak")
    st = tpm_pki.statement(ak=ak)
    st.att_stmt["sig"] = tpm_pki.signature(ak, st.att_stmt["certInfo"], hash_alg=tpm_pki.ALG_SHA384)
    _t9(st)


def test_t9_rsapss_scheme_fails() -> None:
    st = tpm_pki.statement(ak=rsa_ak(), alg=-257)
    st.att_stmt["sig"] = tpm_pki.signature(rsa_ak(), st.att_stmt["certInfo"], scheme=tpm_pki.ALG_RSAPSS)
    _t9(st)


def test_t9_rsassa_scheme_with_ec_ak_fails() -> None:
    st = tpm_pki.statement()
    sig = st.att_stmt["sig"]
    st.att_stmt["sig"] = struct.pack(">HH", tpm_pki.ALG_RSASSA, tpm_pki.ALG_SHA256) + tpm_pki.tpm2b(sig[6:])
    _t9(st)


def test_t9_ecdsa_scheme_with_rsa_ak_fails() -> None:
    st = tpm_pki.statement(ak=rsa_ak())
    st.att_stmt["sig"] = (
        struct.pack(">HH", tpm_pki.ALG_ECDSA, tpm_pki.ALG_SHA256) + tpm_pki.tpm2b(b"\x01") * 2
    )
    _t9(st)


def test_t9_null_signature_fails() -> None:
    st = tpm_pki.statement()
    st.att_stmt["sig"] = struct.pack(">H", tpm_pki.ALG_NULL)
    _t9(st)


def test_t9_bare_rsa_signature_accepted_and_recorded() -> None:
    # WebAuthn (Windows Hello) sends the bare signature instead of a TPMT_SIGNATURE.
    st = tpm_pki.statement(ak=rsa_ak(), alg=-257)
    st.att_stmt["sig"] = tpm_pki.signature(rsa_ak(), st.att_stmt["certInfo"], bare=True)
    assert certify(st).relaxations == ("tpm-bare-rsa-signature",)
    flipped = bytearray(st.att_stmt["sig"])
    flipped[0] ^= 0x80
    st.att_stmt["sig"] = bytes(flipped)
    _t9(st)


class _RefusedHash(hashes.HashAlgorithm):
    name = "sha1-refused-by-backend"
    digest_size = 20
    block_size = 64


def test_t9_sha1_refused_by_backend_is_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A FIPS or hardened backend refuses SHA-1 with UnsupportedAlgorithm; simulate that refusal.
    monkeypatch.setitem(tpm._ALG_HASH, -65535, (tpm_pki.ALG_SHA1, _RefusedHash))
    st = tpm_pki.statement(ak=rsa_ak(), alg=-65535)
    with pytest.raises(PolicyError) as exc:
        certify(st)
    assert exc.value.code == "policy"
    assert exc.value.check == "T9"


# --- T10 ----------------------------------------------------------------------------------


def test_t10_flipped_extra_data_bit() -> None:
    extra = bytearray(pki.KA_HASH)
    extra[5] ^= 0x01
    st = tpm_pki.statement(extra_data=bytes(extra))
    with pytest.raises(ChallengeMismatchError) as exc:
        acme(st)
    assert exc.value.code == "challenge-mismatch"
    assert exc.value.check == "T10"


def test_t10_token_instead_of_key_authorization() -> None:
    st = tpm_pki.statement(extra_data=pki.TOKEN_HASH)
    with pytest.raises(ChallengeMismatchError) as exc:
        acme(st)
    assert exc.value.check == "T10"


def test_t10_other_key_authorization() -> None:
    st = tpm_pki.statement()
    other = "otherToken." + "A" * 43
    with pytest.raises(ChallengeMismatchError) as exc:
        attestverify.verify(st.attobj(), other, roots={"tpm": [st.root]}, now=pki.NOW)
    assert exc.value.check == "T10"


def test_t10_always_sha256_even_for_rs1() -> None:
    st = tpm_pki.statement(
        ak=rsa_ak(), alg=-65535, extra_data=hashlib.sha1(pki.KEY_AUTHORIZATION.encode()).digest()
    )
    with pytest.raises(ChallengeMismatchError) as exc:
        acme(st)
    assert exc.value.check == "T10"


def test_t10_verify_certify_uses_given_extra_data() -> None:
    st = tpm_pki.statement(extra_data=b"\x01\x02\x03")
    assert certify(st, b"\x01\x02\x03").format == "tpm"
    with pytest.raises(ChallengeMismatchError) as exc:
        certify(st, b"\x01\x02\x04")
    assert exc.value.check == "T10"


# --- T11 / T12 ----------------------------------------------------------------------------


@pytest.mark.parametrize("name_alg", [tpm_pki.ALG_SHA1, 0x0027, 0x0012, 0x0010])
def test_t11_name_alg_not_allowed(name_alg: int) -> None:
    area = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), name_alg=name_alg)
    st = tpm_pki.statement(area=area, info=tpm_pki.cert_info(tpm_pki.name_of(area), pki.KA_HASH))
    with pytest.raises(PolicyError) as exc:
        certify(st)
    assert exc.value.check == "T11"


@pytest.mark.parametrize("name_alg", [tpm_pki.ALG_SHA384, tpm_pki.ALG_SHA512])
def test_t11_sha384_sha512_name_alg_pass(name_alg: int) -> None:
    area = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), name_alg=name_alg)
    st = tpm_pki.statement(area=area, info=tpm_pki.cert_info(tpm_pki.name_of(area, name_alg), pki.KA_HASH))
    assert certify(st).tpm.name_alg == name_alg  # type: ignore[union-attr]


def test_t12_another_keys_pub_area() -> None:
    st = tpm_pki.statement()
    st.att_stmt["pubArea"] = tpm_pki.pub_area(pki.ec_key("p256", "another key").public_key())
    with pytest.raises(KeyMismatchError) as exc:
        acme(st)
    assert exc.value.code == "key-mismatch"
    assert exc.value.check == "T12"


def test_t12_name_over_received_bytes_not_a_re_encoding() -> None:
    key = pki.ec_key("p256", "tpm-attested").public_key()
    area = tpm_pki.pub_area(key)
    reencoded = tpm_pki.pub_area(key, attributes=tpm_pki.ATTRS_ECC | 0x80)  # adminWithPolicy differs
    st = tpm_pki.statement(area=reencoded, info=tpm_pki.cert_info(tpm_pki.name_of(area), pki.KA_HASH))
    with pytest.raises(KeyMismatchError) as exc:
        certify(st)
    assert exc.value.check == "T12"


# --- T13 ----------------------------------------------------------------------------------


def _t13(area: bytes) -> None:
    with pytest.raises(PolicyError) as exc:
        certify(tpm_pki.statement(area=area))
    assert exc.value.code == "policy"
    assert exc.value.check == "T13"


@pytest.mark.parametrize("bit", [0x2, 0x10, 0x20])
def test_t13_required_attribute_cleared(bit: int) -> None:
    _t13(
        tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), attributes=tpm_pki.ATTRS_ECC & ~bit)
    )


def test_t13_restricted_set() -> None:
    _t13(
        tpm_pki.pub_area(
            pki.ec_key("p256", "tpm-attested").public_key(), attributes=tpm_pki.ATTRS_ECC | 0x10000
        )
    )


@pytest.mark.parametrize("bit", [0x4, 0x40, 0x80, 0x400, 0x800, 0x20000, 0x40000, 0x80000])
def test_t13_free_attribute_bits_pass(bit: int) -> None:
    area = tpm_pki.pub_area(
        pki.ec_key("p256", "tpm-attested").public_key(), attributes=tpm_pki.ATTRS_ECC ^ bit
    )
    assert certify(tpm_pki.statement(area=area)).format == "tpm"


def test_t13_symmetric_aes() -> None:
    sym = struct.pack(">HHH", tpm_pki.ALG_AES, 128, tpm_pki.ALG_CFB)
    _t13(tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), symmetric=sym))


@pytest.mark.parametrize("curve_id", [0x0010, 0x0020, 0x0001])
def test_t13_curve_not_allowed(curve_id: int) -> None:
    # BN P-256 (0x0010) and SM2 P-256 share the coordinate size of P-256; P-192 is smaller.
    key = pki.ec_key("p256", "tpm-attested").public_key()
    area = tpm_pki.pub_area(key, curve_id=curve_id)
    if curve_id == 0x0001:
        area = area[: -2 * 34] + tpm_pki.tpm2b(b"\x01" * 24) + tpm_pki.tpm2b(b"\x02" * 24)
    _t13(area)


def test_t13_rsa_1024() -> None:
    _t13(tpm_pki.pub_area(pki.rsa_key(1024, "tpm-attested-1024").public_key()))


@pytest.mark.parametrize("exponent", [1, 2, 4, 65536])
def test_t13_bad_exponent(exponent: int) -> None:
    _t13(tpm_pki.pub_area(rsa_attested().public_key(), exponent=exponent))


def test_t13_roca_attested_key() -> None:
    # Security regression: a ROCA-fingerprint attested key is refused before it is built.
    roca = rsa.RSAPublicNumbers(65537, tpm_pki.roca_modulus()).public_key()
    _t13(tpm_pki.pub_area(roca))


def test_t13_rsa_4096_and_explicit_exponent_pass() -> None:
    key = pki.rsa_key(4096, "tpm-attested-4096")
    area = tpm_pki.pub_area(key.public_key(), exponent=65537)
    assert certify(tpm_pki.statement(area=area)).public_key.key_size == 4096  # type: ignore[union-attr]


# --- T14 ----------------------------------------------------------------------------------


def test_t14_point_not_on_curve() -> None:
    area = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key())
    area = area[:-1] + bytes([area[-1] ^ 0x01])
    with pytest.raises(MalformedError) as exc:
        certify(tpm_pki.statement(area=area))
    assert exc.value.check == "T14"


def test_t14_rsa_modulus_with_leading_zero_byte() -> None:
    key = rsa_attested().public_key()
    area = tpm_pki.pub_area(key)
    area = area[:-256] + b"\x00" + area[-255:]
    with pytest.raises(MalformedError) as exc:
        certify(tpm_pki.statement(area=area))
    assert exc.value.check == "T14"


def test_t14_short_coordinates_are_left_padded() -> None:
    # Find a key with a leading zero byte in x or y (1 in 128 keys).
    for i in range(2000):
        key = pki.ec_key("p256", f"short-{i}")
        nums = key.public_key().public_numbers()
        if nums.x < 1 << 248 or nums.y < 1 << 248:
            break
    area = tpm_pki.pub_area(key.public_key(), strip_leading_zeros=True)
    identity = certify(tpm_pki.statement(area=area))
    assert identity.fingerprint == attestverify.fingerprint(key.public_key())


# --- order, arguments, containment ------------------------------------------------------------


def test_first_failing_check_decides() -> None:
    st = tpm_pki.statement(extra_data=b"\x00" * 32)  # T10 broken
    sig = bytearray(st.att_stmt["sig"])
    sig[-1] ^= 1  # T9 broken too
    st.att_stmt["sig"] = bytes(sig)
    with pytest.raises(BadSignatureError) as exc:
        certify(st)
    assert exc.value.check == "T9"


def test_verify_certify_naive_now() -> None:
    st = tpm_pki.statement()
    with pytest.raises(UsageError) as exc:
        tpm.verify_certify(st.att_stmt, pki.KA_HASH, roots=[st.root], now=dt.datetime(2026, 6, 1))
    assert exc.value.check == "D1"


@pytest.mark.parametrize("extra", [b"", b"\x00" * 65, "abc", None])
def test_verify_certify_bad_expected_extra_data(extra: object) -> None:
    st = tpm_pki.statement()
    with pytest.raises(UsageError) as exc:
        tpm.verify_certify(st.att_stmt, extra, roots=[st.root], now=pki.NOW)  # type: ignore[arg-type]
    assert exc.value.check == "D1"


@pytest.mark.parametrize("att_stmt", [b"\xa0", [], None])
def test_verify_certify_needs_a_mapping(att_stmt: object) -> None:
    with pytest.raises(UsageError) as exc:
        tpm.verify_certify(att_stmt, pki.KA_HASH, now=pki.NOW)  # type: ignore[arg-type]
    assert exc.value.check == "D1"


def test_verify_certify_non_text_keys() -> None:
    st = tpm_pki.statement()
    st.att_stmt[1] = b"x"  # type: ignore[index]
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert exc.value.check == "D6"


def test_verify_certify_unexpected_exception_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(akcert, "check_profile", boom)
    st = tpm_pki.statement()
    with pytest.raises(MalformedError) as exc:
        certify(st)
    assert isinstance(exc.value.__cause__, KeyError)
    assert exc.value.format == "tpm"


# --- vendor table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("manufacturer", "number", "vendor"),
    [
        ("id:4E544300", 0x4E544300, "Nuvoton Technology"),
        ("id:4e544300", 0x4E544300, "Nuvoton Technology"),
        ("id:53544D20", 0x53544D20, "ST Microelectronics"),
        ("id:414D4400", 0x414D4400, "AMD"),
        ("id:49424d00", 0x49424D00, "IBM"),
        ("id:12345678", 0x12345678, None),
        ("id:4E5443", None, None),
        ("id:4E54430000", None, None),
        ("ID:4E544300", None, None),
        ("NTC", None, None),
        (" id:4E544300", None, None),
    ],
)
def test_manufacturer_id_and_vendor(manufacturer: str, number: int | None, vendor: str | None) -> None:
    assert akcert.manufacturer_id(manufacturer) == number
    assert akcert.vendor_name(manufacturer) == vendor


def test_vendor_table_is_consistent() -> None:
    from importlib import resources

    table = json.loads(resources.files("attestverify").joinpath("data/tpm_vendors.json").read_text())
    for key, entry in table["vendors"].items():
        assert key == key.upper() and len(key) == 8
        assert bytes.fromhex(key).rstrip(b"\x00 ").decode("ascii") == entry["code"]


# --- committed swtpm fixtures (real TPM output, verified without swtpm) ----------------------


def _fixtures() -> list[pathlib.Path]:
    return sorted(FIXTURES.glob("*.json"))


def _load_fixture(path: pathlib.Path) -> tuple[dict[str, Any], x509.Certificate, dt.datetime]:
    data = json.loads(path.read_text())
    root = x509.load_pem_x509_certificate(data["root_pem"].encode())
    return data, root, dt.datetime.fromisoformat(data["now"])


def test_fixtures_present() -> None:
    assert {p.stem for p in _fixtures()} >= {
        "ak-ecc-key-ecc", "ak-ecc-key-rsa", "ak-rsa-key-ecc", "ak-rsa-key-rsa", "ak-rsa-rs1-key-rsa",
    }  # fmt: skip


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_swtpm_fixture_verifies(path: pathlib.Path) -> None:
    data, root, now = _load_fixture(path)
    identity = attestverify.verify(
        bytes.fromhex(data["attobj_hex"]), data["key_authorization"], roots={"tpm": [root]}, now=now,
        identifier=data["permanent_identifier"], identifier_type="permanent-identifier",
    )  # fmt: skip
    assert identity.identifiers == (data["permanent_identifier"],)
    assert identity.tpm is not None and identity.tpm.manufacturer == data["manufacturer"]
    assert identity.tpm.alg == data["alg"]
    assert identity.tpm.object_attributes == 0x00040072
    key_type = "RSA" if path.stem.endswith("key-rsa") else "ECC"
    assert identity.tpm.key_type == key_type
    assert isinstance(
        identity.public_key, rsa.RSAPublicKey if key_type == "RSA" else ec.EllipticCurvePublicKey
    )


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_swtpm_fixture_wrong_key_authorization(path: pathlib.Path) -> None:
    data, root, now = _load_fixture(path)
    with pytest.raises(ChallengeMismatchError) as exc:
        attestverify.verify(
            bytes.fromhex(data["attobj_hex"]), "x." + "B" * 43, roots={"tpm": [root]}, now=now
        )
    assert exc.value.check == "T10"


def test_swtpm_fixture_rs1_disabled() -> None:
    data, root, now = _load_fixture(FIXTURES / "ak-rsa-rs1-key-rsa.json")
    with pytest.raises(PolicyError) as exc:
        attestverify.verify(
            bytes.fromhex(data["attobj_hex"]), data["key_authorization"], roots={"tpm": [root]}, now=now,
            tpm_allow_rs1=False,
        )  # fmt: skip
    assert exc.value.check == "T2"


# --- from the second review, F2: huge alg integer


@pytest.mark.parametrize("alg", [10**5000, -(10**5000)], ids=["huge", "huge-negative"])
def test_f2_tpm_alg_beyond_int_str_limit_is_t2(alg: int) -> None:
    """F2 (SPEC §4.3 T2, §2.3 fallback is a bug): a decoded-Mapping statement whose `alg` has
    more than 4 300 decimal digits made the T2 message's `str(alg)` raise ValueError, so the
    api.py fallback (check None) answered instead of T2."""
    st = tpm_pki.statement()
    st.att_stmt["alg"] = alg
    with pytest.raises(MalformedError) as exc:
        attestverify.verify(st.attobj(), pki.KEY_AUTHORIZATION, {"tpm": [st.root]}, now=pki.NOW)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T2"
    with pytest.raises(MalformedError) as direct:
        tpm.verify_certify(st.att_stmt, pki.KA_HASH, roots=[st.root], now=pki.NOW)
    assert direct.value.check == "T2"


# --- from the second review, F6: even RSA modulus


def test_f6_tpm_even_rsa_modulus_is_t14() -> None:
    """F6 (SPEC §4.3 T14 "build the public key (... valid modulus)"): an attested RSA key whose
    `unique` modulus is even (not a product of two odd primes, so no RSA key at all) was
    accepted and returned as `identity.public_key`; `cryptography` does not reject it."""
    attested = pki.rsa_key(2048, "review2-even")
    area = tpm_pki.pub_area(attested.public_key())
    even = area[:-1] + bytes([area[-1] & 0xFE])
    assert even != area
    st = tpm_pki.statement(attested=attested, area=even)
    with pytest.raises(MalformedError) as exc:
        attestverify.verify(st.attobj(), pki.KEY_AUTHORIZATION, {"tpm": [st.root]}, now=pki.NOW)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T14"


# --- from the second review, checked and sound


def _tpm_error(st: tpm_pki.Statement, **kw: Any) -> AttestationError:
    with pytest.raises(AttestationError) as exc:
        attestverify.verify(st.attobj(), pki.KEY_AUTHORIZATION, {"tpm": [st.root]}, now=pki.NOW, **kw)
    return exc.value


def test_sound_tpm_first_failing_check_decides_pairs() -> None:
    """SPEC §3.3 "the first failing check decides", §4.3 order: two broken things at once,
    the earlier check id answers (T9 before T10, T10 before T11, T12 before T13)."""
    st = tpm_pki.statement(extra_data=b"\x00" * 32)
    st.att_stmt["sig"] = st.att_stmt["sig"][:-1] + bytes([st.att_stmt["sig"][-1] ^ 1])
    assert _tpm_error(st).check == "T9"
    area = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), name_alg=tpm_pki.ALG_SHA1)
    st = tpm_pki.statement(area=area, extra_data=b"\x00" * 32, info=None)
    assert _tpm_error(st).check == "T10"
    weak = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), attributes=0x00040070)
    st = tpm_pki.statement(area=weak, info=tpm_pki.cert_info(tpm_pki.name_of(b"other"), pki.KA_HASH))
    assert _tpm_error(st).check == "T12"


def test_sound_tpm_qualified_name_is_not_the_name() -> None:
    """SPEC §4.3 T12 uses `attested.name`, never `qualifiedName`: a certInfo whose
    qualifiedName (not name) is the name of pubArea fails T12."""
    area = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key())
    info = tpm_pki.cert_info(tpm_pki.name_of(b"x"), pki.KA_HASH, qualified_name=tpm_pki.name_of(area))
    err = _tpm_error(tpm_pki.statement(area=area, info=info))
    assert err.code == "key-mismatch"
    assert err.check == "T12"
