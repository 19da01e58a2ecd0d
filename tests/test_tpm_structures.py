"""TPM wire structures (attestverify.tpm.structures): exact decoding, T8 failures, name computation,
and a cross-check against tpm2-pytss unmarshalling on the same bytes (skipped without tpm2-pytss).
"""

from __future__ import annotations

import json
import pathlib
import struct

import cbor2
import optional
import pki
import pytest
import tpm_pki
from hypothesis import given, settings
from hypothesis import strategies as st
from vectors import read_json

from attestverify.errors import MalformedError, PolicyError
from attestverify.tpm import structures as s

_FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "testdata" / "swtpm-generated"


def real_structures() -> list[tuple[str, bytes, bytes, bytes]]:
    """(label, certInfo, pubArea, sig) of every real TPM output in testdata."""
    out = []
    for i, v in enumerate(read_json("vectors/swtpm/swtpm_vectors.json")["vectors"]):
        out.append(
            (
                f"stored-swtpm-{i}",
                bytes.fromhex(v["certInfo"]),
                bytes.fromhex(v["pubArea"]),
                bytes.fromhex(v["sig"]),
            )
        )
    for path in sorted(_FIXTURES.glob("*.json")):
        att = cbor2.loads(bytes.fromhex(json.loads(path.read_text())["attobj_hex"]))["attStmt"]
        out.append((path.stem, att["certInfo"], att["pubArea"], att["sig"]))
    return out


def windows_structures() -> list[tuple[str, bytes, bytes]]:
    names = ["dell-xps-13", "ecc-nuvoton", "lenovo-carbon-x1", "surface-pro-4"]
    out = []
    for name in names:
        raw = read_json(f"vectors/tpm/webauthn-pywebauthn-tpm-{name}/attstmt.json")
        out.append((name, bytes.fromhex(raw["certInfo_hex"]), bytes.fromhex(raw["pubArea_hex"])))
    return out


def _malformed(parse: object, data: object) -> MalformedError:
    with pytest.raises(MalformedError) as exc:
        parse(data)  # type: ignore[operator]
    assert exc.value.code == "malformed"
    assert exc.value.check == "T8"
    return exc.value


@pytest.mark.parametrize(
    ("label", "info", "area", "sig"), real_structures(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_real_swtpm_structures_parse(label: str, info: bytes, area: bytes, sig: bytes) -> None:
    attest = s.TpmsAttest.parse(info)
    public = s.TpmtPublic.parse(area)
    signature = s.TpmtSignature.parse(sig)
    assert attest.magic == s.TPM_GENERATED_VALUE and attest.type == s.TPM_ST_ATTEST_CERTIFY
    assert attest.name == s.compute_name(public.name_alg, area)
    assert public.raw == area
    assert signature.sig_alg in (s.ALG_RSASSA, s.ALG_ECDSA)


@pytest.mark.parametrize(
    ("label", "info", "area"), windows_structures(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_real_windows_structures_parse(label: str, info: bytes, area: bytes) -> None:
    attest = s.TpmsAttest.parse(info)
    public = s.TpmtPublic.parse(area)
    assert len(attest.extra_data) == 20  # SHA-1 for alg RS1
    assert attest.name == s.compute_name(public.name_alg, area)
    assert public.object_attributes in (0x00060472, 0x00040072, 0x00060432)


def test_sizes_seen() -> None:
    ecc = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key())
    rsa_area = tpm_pki.pub_area(pki.rsa_key(2048, "tpm-attested").public_key())
    assert (len(ecc), len(rsa_area)) == (86, 278)
    assert s.TpmtPublic.parse(ecc).curve_id == 0x0003
    assert s.TpmtPublic.parse(rsa_area).key_bits == 2048


# --- one byte short / long, per structure ------------------------------------------------------


def _samples() -> dict[str, tuple[object, bytes]]:
    _, info, area, sig = real_structures()[0]
    return {
        "certInfo": (s.TpmsAttest.parse, info),
        "pubArea": (s.TpmtPublic.parse, area),
        "sig": (s.TpmtSignature.parse, sig),
    }


@pytest.mark.parametrize("which", ["certInfo", "pubArea", "sig"])
def test_every_truncation_fails(which: str) -> None:
    parse, data = _samples()[which]
    for cut in range(len(data)):
        _malformed(parse, data[:cut])


@pytest.mark.parametrize("which", ["certInfo", "pubArea", "sig"])
def test_trailing_byte_fails(which: str) -> None:
    parse, data = _samples()[which]
    assert "trailing" in _malformed(parse, data + b"\x00").message


@pytest.mark.parametrize("value", [None, "abc", 5, memoryview(b"\x00")])
def test_non_bytes_fail(value: object) -> None:
    _malformed(s.TpmsAttest.parse, value)


# --- TPMS_ATTEST -------------------------------------------------------------------------------


def test_attest_wrong_magic() -> None:
    _malformed(s.TpmsAttest.parse, tpm_pki.cert_info(b"n", b"x", magic=0xFF544348))


@pytest.mark.parametrize("st_value", [0x8018, 0x801A, 0x8014, 0x0000])
def test_attest_wrong_type(st_value: int) -> None:
    _malformed(s.TpmsAttest.parse, tpm_pki.cert_info(b"n", b"x", st=st_value))


def test_attest_safe_must_be_boolean() -> None:
    assert s.TpmsAttest.parse(tpm_pki.cert_info(b"n", b"x", safe=0)).safe is False
    _malformed(s.TpmsAttest.parse, tpm_pki.cert_info(b"n", b"x", safe=2))


def test_attest_tpm2b_limits() -> None:
    assert s.TpmsAttest.parse(tpm_pki.cert_info(b"n" * 66, b"x" * 66)).extra_data == b"x" * 66
    _malformed(s.TpmsAttest.parse, tpm_pki.cert_info(b"n", b"x" * 67))
    _malformed(s.TpmsAttest.parse, tpm_pki.cert_info(b"n" * 67, b"x"))


# --- TPMT_PUBLIC -------------------------------------------------------------------------------


def _ecc_area(**kw: object) -> bytes:
    return tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), **kw)  # type: ignore[arg-type]


def test_public_unknown_type() -> None:
    area = _ecc_area()
    _malformed(s.TpmtPublic.parse, b"\x00\x25" + area[2:])
    _malformed(s.TpmtPublic.parse, b"\x00\x08" + area[2:])  # KEYEDHASH: not a key we accept


@pytest.mark.parametrize("name_alg", [0x0000, 0x1234, 0x0006])
def test_public_unregistered_name_alg(name_alg: int) -> None:
    _malformed(s.TpmtPublic.parse, _ecc_area(name_alg=name_alg))


@pytest.mark.parametrize("name_alg", [s.ALG_SHA1, 0x0012, 0x0027, s.ALG_NULL])
def test_public_registered_name_alg_parses(name_alg: int) -> None:
    # Whether the name algorithm is acceptable is T11 (policy), not a decoding question.
    assert s.TpmtPublic.parse(_ecc_area(name_alg=name_alg)).name_alg == name_alg


@pytest.mark.parametrize("bit", [b for b in range(32) if (1 << b) & s.ATTR_RESERVED_MASK])
def test_public_reserved_attribute_bits(bit: int) -> None:
    _malformed(s.TpmtPublic.parse, _ecc_area(attributes=tpm_pki.ATTRS_ECC | (1 << bit)))


def test_public_auth_policy_limit() -> None:
    area = _ecc_area()
    with_policy = area[:8] + tpm_pki.tpm2b(b"p" * 64) + area[10:]
    assert s.TpmtPublic.parse(with_policy).auth_policy == b"p" * 64
    _malformed(s.TpmtPublic.parse, area[:8] + tpm_pki.tpm2b(b"p" * 65) + area[10:])


@pytest.mark.parametrize(
    "symmetric",
    [
        struct.pack(">H", 0x0099),
        struct.pack(">HHH", s.ALG_AES, 128, 0x0099),
        struct.pack(">HH", s.ALG_AES, 128),
    ],
)
def test_public_bad_symmetric(symmetric: bytes) -> None:
    _malformed(s.TpmtPublic.parse, _ecc_area(symmetric=symmetric))


def test_public_symmetric_details() -> None:
    sym = struct.pack(">HHH", s.ALG_AES, 128, 0x0043)
    assert s.TpmtPublic.parse(_ecc_area(symmetric=sym)).symmetric == (s.ALG_AES, 128, 0x0043)


@pytest.mark.parametrize(
    ("scheme", "parsed"),
    [
        (struct.pack(">HH", s.ALG_ECDSA, s.ALG_SHA256), (s.ALG_ECDSA, s.ALG_SHA256)),
        (struct.pack(">HHH", s.ALG_ECDAA, s.ALG_SHA256, 7), (s.ALG_ECDAA, s.ALG_SHA256, 7)),
        (struct.pack(">HH", 0x0019, s.ALG_SHA384), (0x0019, s.ALG_SHA384)),
    ],
)
def test_public_ecc_schemes(scheme: bytes, parsed: tuple[int, ...]) -> None:
    assert s.TpmtPublic.parse(_ecc_area(scheme=scheme)).scheme == parsed


@pytest.mark.parametrize(
    "scheme",
    [
        struct.pack(">HH", s.ALG_RSASSA, s.ALG_SHA256),
        struct.pack(">HH", s.ALG_ECDSA, 0x0010),
        struct.pack(">H", 0x7777),
    ],
)
def test_public_bad_ecc_scheme(scheme: bytes) -> None:
    _malformed(s.TpmtPublic.parse, _ecc_area(scheme=scheme))


def test_public_rsa_schemes() -> None:
    key = pki.rsa_key(2048, "tpm-attested").public_key()
    for scheme, parsed in (
        (struct.pack(">HH", s.ALG_RSASSA, s.ALG_SHA256), (s.ALG_RSASSA, s.ALG_SHA256)),
        (struct.pack(">H", 0x0015), (0x0015,)),
        (struct.pack(">HH", 0x0017, s.ALG_SHA1), (0x0017, s.ALG_SHA1)),
    ):
        assert s.TpmtPublic.parse(tpm_pki.pub_area(key, scheme=scheme)).scheme == parsed
    _malformed(
        s.TpmtPublic.parse, tpm_pki.pub_area(key, scheme=struct.pack(">HH", s.ALG_ECDSA, s.ALG_SHA256))
    )


def test_public_kdf() -> None:
    area = _ecc_area()
    kdf_at = len(area) - 2 * 34 - 2
    assert area[kdf_at : kdf_at + 2] == b"\x00\x10"
    with_kdf = area[:kdf_at] + struct.pack(">HH", 0x0007, s.ALG_SHA256) + area[kdf_at + 2 :]
    assert s.TpmtPublic.parse(with_kdf).kdf == (0x0007, s.ALG_SHA256)
    _malformed(s.TpmtPublic.parse, area[:kdf_at] + struct.pack(">H", 0x0099) + area[kdf_at + 2 :])


def test_public_unregistered_curve() -> None:
    _malformed(s.TpmtPublic.parse, _ecc_area(curve_id=0x0099))


def test_public_ecc_coordinate_sizes() -> None:
    area = _ecc_area()
    head = area[: -2 * 34]
    _malformed(s.TpmtPublic.parse, head + tpm_pki.tpm2b(b"\x01" * 33) + tpm_pki.tpm2b(b"\x01" * 32))
    _malformed(s.TpmtPublic.parse, head + tpm_pki.tpm2b(b"") + tpm_pki.tpm2b(b"\x01" * 32))
    short = s.TpmtPublic.parse(head + tpm_pki.tpm2b(b"\x01" * 31) + tpm_pki.tpm2b(b"\x02"))
    assert (short.x, short.y) == (b"\x01" * 31, b"\x02")


def test_public_rsa_modulus_must_match_key_bits() -> None:
    key = pki.rsa_key(2048, "tpm-attested").public_key()
    _malformed(s.TpmtPublic.parse, tpm_pki.pub_area(key, key_bits=3072))
    _malformed(s.TpmtPublic.parse, tpm_pki.pub_area(key, key_bits=2047))
    area = tpm_pki.pub_area(key)
    _malformed(s.TpmtPublic.parse, area[:-258] + tpm_pki.tpm2b(b""))


# --- TPMT_SIGNATURE ----------------------------------------------------------------------------


def test_signature_forms() -> None:
    rsassa = struct.pack(">HH", s.ALG_RSASSA, s.ALG_SHA256) + tpm_pki.tpm2b(b"\x01" * 256)
    assert s.TpmtSignature.parse(rsassa).signature == b"\x01" * 256
    ecdsa = (
        struct.pack(">HH", s.ALG_ECDSA, s.ALG_SHA384) + tpm_pki.tpm2b(b"\x02" * 48) + tpm_pki.tpm2b(b"\x03")
    )
    parsed = s.TpmtSignature.parse(ecdsa)
    assert (parsed.hash_alg, parsed.r, parsed.s) == (s.ALG_SHA384, b"\x02" * 48, b"\x03")
    hmac_sig = struct.pack(">HH", s.ALG_HMAC, s.ALG_SHA256) + b"\x04" * 32
    assert s.TpmtSignature.parse(hmac_sig).signature == b"\x04" * 32
    assert s.TpmtSignature.parse(struct.pack(">H", s.ALG_NULL)).sig_alg == s.ALG_NULL


@pytest.mark.parametrize(
    "sig",
    [
        struct.pack(">HH", 0x0099, s.ALG_SHA256) + tpm_pki.tpm2b(b"\x01"),
        struct.pack(">HH", s.ALG_RSASSA, 0x0099) + tpm_pki.tpm2b(b"\x01"),
        struct.pack(">HH", s.ALG_RSASSA, s.ALG_SHA256) + tpm_pki.tpm2b(b"\x01" * 513),
        struct.pack(">HH", s.ALG_ECDSA, s.ALG_SHA256) + tpm_pki.tpm2b(b"\x01" * 67) + tpm_pki.tpm2b(b"\x01"),
        struct.pack(">HH", s.ALG_ECDSA, s.ALG_SHA256) + tpm_pki.tpm2b(b"\x01") + tpm_pki.tpm2b(b"\x01" * 67),
        struct.pack(">HH", s.ALG_HMAC, s.ALG_SHA256) + b"\x04" * 31,
        struct.pack(">HH", s.ALG_NULL, s.ALG_SHA256),
    ],
)
def test_signature_malformed(sig: bytes) -> None:
    _malformed(s.TpmtSignature.parse, sig)


# --- names -------------------------------------------------------------------------------------


def test_compute_name() -> None:
    area = _ecc_area()
    assert s.compute_name(s.ALG_SHA256, area) == tpm_pki.name_of(area)
    assert s.compute_name(s.ALG_SHA1, area)[:2] == b"\x00\x04"
    assert len(s.compute_name(s.ALG_SHA512, area)) == 66
    with pytest.raises(PolicyError) as exc:
        s.compute_name(0x0012, area)  # SM3-256: registered, but not computable here
    assert exc.value.check == "T11"


# --- robustness -------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_escape(data: bytes) -> None:
    for parse in (s.TpmsAttest.parse, s.TpmtPublic.parse, s.TpmtSignature.parse):
        try:
            parse(data)
        except MalformedError as err:
            assert err.check == "T8"


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_single_byte_mutations_never_escape(position: int, value: int) -> None:
    for parse, data in _samples().values():
        mutated = bytearray(data)
        mutated[position % len(mutated)] = value
        try:
            parse(bytes(mutated))  # type: ignore[operator]
        except MalformedError as err:
            assert err.check == "T8"


# --- tpm2-pytss cross-check ------------------------------------------------------------------


def _pytss() -> object:
    return optional.require_module("tpm2_pytss.types", "pip install '.[swtpm]'")


@pytest.mark.parametrize(
    ("label", "info", "area", "sig"), real_structures(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_crosscheck_with_tpm2_pytss(label: str, info: bytes, area: bytes, sig: bytes) -> None:
    types = _pytss()
    their_attest, used = types.TPMS_ATTEST.unmarshal(info)  # type: ignore[attr-defined]
    assert used == len(info)
    ours = s.TpmsAttest.parse(info)
    assert (ours.magic, ours.type) == (int(their_attest.magic), int(their_attest.type))
    assert ours.qualified_signer == bytes(their_attest.qualifiedSigner)
    assert ours.extra_data == bytes(their_attest.extraData)
    clock = their_attest.clockInfo
    assert (ours.clock, ours.reset_count, ours.restart_count, ours.safe) == (
        int(clock.clock), int(clock.resetCount), int(clock.restartCount), bool(clock.safe),
    )  # fmt: skip
    assert ours.firmware_version == int(their_attest.firmwareVersion)
    assert ours.name == bytes(their_attest.attested.certify.name)
    assert ours.qualified_name == bytes(their_attest.attested.certify.qualifiedName)

    their_public, used = types.TPMT_PUBLIC.unmarshal(area)  # type: ignore[attr-defined]
    assert used == len(area)
    public = s.TpmtPublic.parse(area)
    assert (public.type, public.name_alg, public.object_attributes) == (
        int(their_public.type), int(their_public.nameAlg), int(their_public.objectAttributes),
    )  # fmt: skip
    assert public.auth_policy == bytes(their_public.authPolicy)
    assert s.compute_name(public.name_alg, area) == bytes(their_public.get_name())
    if public.type == s.ALG_RSA:
        detail = their_public.parameters.rsaDetail
        assert public.symmetric[0] == int(detail.symmetric.algorithm)
        assert public.scheme[0] == int(detail.scheme.scheme)
        assert (public.key_bits, public.exponent) == (int(detail.keyBits), int(detail.exponent))
        assert public.modulus == bytes(their_public.unique.rsa)
    else:
        detail = their_public.parameters.eccDetail
        assert public.symmetric[0] == int(detail.symmetric.algorithm)
        assert public.scheme[0] == int(detail.scheme.scheme)
        assert public.curve_id == int(detail.curveID)
        assert public.kdf is not None and public.kdf[0] == int(detail.kdf.scheme)
        assert (public.x, public.y) == (bytes(their_public.unique.ecc.x), bytes(their_public.unique.ecc.y))

    their_sig, used = types.TPMT_SIGNATURE.unmarshal(sig)  # type: ignore[attr-defined]
    assert used == len(sig)
    signature = s.TpmtSignature.parse(sig)
    assert signature.sig_alg == int(their_sig.sigAlg)
    if signature.sig_alg == s.ALG_RSASSA:
        assert signature.hash_alg == int(their_sig.signature.rsassa.hash)
        assert signature.signature == bytes(their_sig.signature.rsassa.sig)
    else:
        assert signature.hash_alg == int(their_sig.signature.ecdsa.hash)
        assert (signature.r, signature.s) == (
            bytes(their_sig.signature.ecdsa.signatureR), bytes(their_sig.signature.ecdsa.signatureS),
        )  # fmt: skip


@pytest.mark.parametrize("which", ["certInfo", "pubArea", "sig"])
def test_tpm2_pytss_ignores_trailing_bytes_but_we_do_not(which: str) -> None:
    types = _pytss()
    parse, data = _samples()[which]
    theirs = {"certInfo": types.TPMS_ATTEST, "pubArea": types.TPMT_PUBLIC, "sig": types.TPMT_SIGNATURE}[which]  # type: ignore[attr-defined]
    _, used = theirs.unmarshal(data + b"\x00")
    assert used == len(data)  # it stops early and reports fewer bytes used
    _malformed(parse, data + b"\x00")
