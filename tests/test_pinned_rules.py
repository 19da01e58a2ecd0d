"""Issue 12, findings 1, 2 and 4: relaxation triggers from signed data only, the pinned validator's
closed list of certificate rules (SPEC v2 §5.3), strict outer certificate encoding and unrepresentable
validity dates at x5c parse time (SPEC v2 §3.2, x5c row: A2/S2/T3)."""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from typing import Any

import chain_faults
import pytest
import statements
from chain_faults import build, edit_tbs, with_alg
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from pki import KEY_AUTHORIZATION, NOW, Issued, ec_key, issue, name, rsa_key
from vectors import load_vector, read_json
from x509_helpers import RSA_SHA256, RSA_SHA256_ABSENT, der_len, seq, sign_raw, tlvs, unwrap

import attestverify
from attestverify import certder, certrules, certsig, tpm, x509path
from attestverify.errors import MalformedError, UntrustedChainError


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _outer_parts(der: bytes) -> list[bytes]:
    return tlvs(unwrap(der))


def _with_outer_alg(der: bytes, alg: bytes) -> bytes:
    """The certificate bytes with only the unsigned outer signatureAlgorithm replaced."""
    tbs, _, bits = _outer_parts(der)
    return seq([tbs, alg, bits])


def _load(der: bytes) -> x509.Certificate:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x509.load_der_x509_certificate(der)


# ---- finding 1: the attack, reproduced -------------------------------------------------------
# An RSA-signed chain tier 1 rejects (one closed-list rule broken); the relay deletes the NULL of one
# certificate's outer signatureAlgorithm. Before the fix the pinned validator ran, read (c) from the
# outer copy and accepted, listing rsa-sig-params-absent.

ATTACKS = ["leaf-serial-negative", "leaf-serial-30-octets", "leaf-generalizedtime-before-2050", "leaf-v1",
           "mid-empty-subject", "mid-rsa-pss-key-signs-pkcs1"]  # fmt: skip


def _attack(fault: str) -> tuple[bytes, x509.Certificate, x509.Certificate]:
    """(edited leaf DER, mid, root): the fault's chain, leaf outer NULL deleted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chain = chain_faults.FAULTS[fault][0]("none")
    edited = _with_outer_alg(_der(chain.leaf), RSA_SHA256_ABSENT)
    assert _der(chain.leaf) != edited
    return edited, chain.candidates[0], chain.anchors[0]


@pytest.mark.parametrize("fault", ATTACKS)
def test_outer_null_deletion_is_malformed_at_parse(fault: str) -> None:
    edited, mid, _ = _attack(fault)
    with pytest.raises(MalformedError) as exc, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography warns about the negative serial it still parses
        x509path.parse_x5c([edited, _der(mid)], check="A2")
    assert exc.value.check == "A2"
    assert "signatureAlgorithm" in exc.value.message


@pytest.mark.parametrize("fault", ATTACKS)
def test_outer_null_deletion_does_not_switch_the_pinned_validator_on(fault: str) -> None:
    # Certificates given by a caller skip parse_x5c: the trigger is still read from the TBS only.
    edited, mid, root = _attack(fault)
    leaf = _load(edited)
    assert (
        x509path._triggers([leaf, mid], allow_legacy_f9=True, allow_sha1=True, allow_android_batch=False)
        == frozenset()
    )
    with pytest.raises(UntrustedChainError):
        x509path.validate_path(leaf, [mid], [root], NOW, check="A3")


@pytest.mark.parametrize("fault", ATTACKS)
def test_signed_trigger_does_not_relax_the_closed_list(fault: str) -> None:
    # The same faults with a genuine (c) trigger, signed, in the mid certificate.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chain = chain_faults.FAULTS[fault][0]("c")
    with pytest.raises(UntrustedChainError) as exc:
        x509path.validate_path(chain.leaf, chain.candidates, chain.anchors, NOW, check="A3")
    assert exc.value.rule in ("P3", "P4", "P7")


def test_signed_trigger_alone_still_accepted() -> None:
    chain = build("c")
    path = x509path.validate_path(chain.leaf, chain.candidates, chain.anchors, NOW, check="S4")
    assert path.relaxations == ("rsa-sig-params-absent",)
    assert x509path._triggers(
        chain.candidates, allow_legacy_f9=False, allow_sha1=False, allow_android_batch=False
    ) == {"rsa-sig-params-absent"}


def test_sig_alg_reads_the_tbs_copy() -> None:
    chain = build("c")
    alg = certsig.sig_alg(chain.candidates[0])
    assert alg is not None and alg.params is None and alg.rsa_params_absent
    outer_only = _load(_with_outer_alg(_der(build("none").candidates[0]), RSA_SHA256_ABSENT))
    alg = certsig.sig_alg(outer_only)
    assert alg is not None and alg.params == b"\x05\x00" and not alg.rsa_params_absent


# ---- finding 1: the real Windows Hello statement under the bundled Microsoft root ------------


def _windows() -> tuple[dict[str, Any], bytes, Any]:
    vector_id = "tpm/webauthn-pywebauthn-tpm-dell-xps-13"
    vector = load_vector(vector_id)
    raw = read_json("vectors/tpm/webauthn-pywebauthn-tpm-dell-xps-13/attstmt.json")
    att_stmt: dict[str, Any] = {
        "ver": raw.get("ver") or "2.0", "alg": raw["alg"], "x5c": list(vector.x5c_der),
        "sig": bytes.fromhex(raw["sig_hex"]), "certInfo": bytes.fromhex(raw["certInfo_hex"]),
        "pubArea": bytes.fromhex(raw["pubArea_hex"]),
    }  # fmt: skip
    digest = hashlib.sha1 if raw["alg"] == -65535 else hashlib.sha256
    extra = digest(
        bytes.fromhex(raw["authData_hex"]) + bytes.fromhex(raw["clientDataHash_hex"] or "")
    ).digest()
    return att_stmt, extra, vector


@pytest.mark.parametrize("index", [0, 1])
def test_windows_hello_outer_null_deleted_is_malformed(index: int) -> None:
    att_stmt, extra, vector = _windows()
    assert tpm.verify_certify(att_stmt, extra, now=vector.now).relaxations == (
        "tpm-rs1",
        "tpm-bare-rsa-signature",
    )
    original = att_stmt["x5c"][index]
    assert _outer_parts(original)[1] == RSA_SHA256  # RSA PKCS#1 v1.5 with NULL
    att_stmt["x5c"][index] = _with_outer_alg(original, RSA_SHA256_ABSENT)
    with pytest.raises(MalformedError) as exc:
        tpm.verify_certify(att_stmt, extra, now=vector.now)
    assert exc.value.check == "T3"
    # Handed over as certificates (no x5c parsing), it never lists rsa-sig-params-absent.
    certs = [_load(item) for item in att_stmt["x5c"]]
    try:
        path = x509path.validate_path(
            certs[0], certs[1:], attestverify.roots.bundled("tpm"), vector.now, check="T5"
        )
    except UntrustedChainError:
        return
    assert "rsa-sig-params-absent" not in path.relaxations


# ---- finding 4: one accepted encoding per certificate ----------------------------------------


def _leaf() -> Issued:
    r = issue(name("StrictRoot"), rsa_key(2048, "strict-root"), None, ca=True)
    return issue(name("StrictLeaf"), ec_key("p256", "strict-leaf"), r)


@pytest.mark.parametrize("unused", [1, 2, 7])
def test_signature_bit_string_unused_bits_malformed(unused: int) -> None:
    der = _leaf().der
    tbs, alg, bits = _outer_parts(der)
    body = unwrap(bits)
    # Make the padding bits zero so that even a DER-checking reader accepts the BIT STRING itself.
    signature = bytearray(body[1:])
    signature[-1] &= 0xFF ^ ((1 << unused) - 1)
    edited = seq([tbs, alg, b"\x03" + der_len(len(signature) + 1) + bytes([unused]) + bytes(signature)])
    assert certder.outer_problem(edited) == "the signatureValue BIT STRING has a non-zero unused-bits count"
    with pytest.raises(MalformedError) as exc:
        x509path.parse_x5c([edited], check="S2")
    assert exc.value.check == "S2"


def test_outer_alg_differs_from_tbs_alg_malformed() -> None:
    leaf = _leaf()
    edited = _with_outer_alg(leaf.der, RSA_SHA256_ABSENT)
    assert (
        certder.outer_problem(edited) == "the outer signatureAlgorithm differs from tbsCertificate.signature"
    )


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d + b"\x00", id="trailing-byte"),
        pytest.param(lambda d: b"\x30\x83\x00" + d[2:] if d[1] == 0x82 else b"", id="non-minimal-length"),
        pytest.param(lambda d: b"\x30\x80" + d[4:] + b"\x00\x00", id="indefinite-length"),
        pytest.param(lambda d: b"\x31" + d[1:], id="not-a-sequence"),
        pytest.param(lambda d: d[:-1], id="truncated"),
    ],
)
def test_non_der_outer_encoding(mutate: Any) -> None:
    der = _leaf().der
    assert certder.outer_problem(der) is None
    edited = mutate(der)
    assert edited and certder.outer_problem(edited) is not None
    with pytest.raises(MalformedError) as exc:
        x509path.parse_x5c([edited], check="T3")
    assert exc.value.check == "T3"


def test_outer_problem_never_raises_on_short_input() -> None:
    for data in (
        b"",
        b"\x30",
        b"\x30\x00",
        b"\x30\x02\x30\x00",
        b"\x30\x84\xff\xff\xff\xff",
        b"\x1f\x01\x00",
    ):
        assert isinstance(certder.outer_problem(data), str)


# ---- finding 2: validity dates that cannot be represented ------------------------------------


def _year_zero(which: int) -> bytes:
    r = issue(name("ZeroRoot"), rsa_key(2048, "zero-root"), None, ca=True)
    far = dt.datetime(2060, 1, 1, tzinfo=dt.timezone.utc)
    kw = {"not_before": far, "not_after": dt.datetime(2061, 1, 1, tzinfo=dt.timezone.utc)}
    leaf = issue(name("ZeroLeaf"), ec_key("p256", "zero-leaf"), r, **kw)  # type: ignore[arg-type]
    tbs = bytearray(leaf.cert.tbs_certificate_bytes)
    stamp = b"20600101000000Z" if which == 0 else b"20610101000000Z"
    tbs[tbs.index(stamp) : tbs.index(stamp) + 4] = b"0000"
    signed = bytes(tbs)
    return seq(
        [signed, RSA_SHA256, b"\x03" + der_len(257) + b"\x00" + sign_raw(signed, r.key, hashes.SHA256())]
    )


@pytest.mark.parametrize("which", [0, 1], ids=["notBefore", "notAfter"])
def test_year_zero_validity_malformed(which: int) -> None:
    der = _year_zero(which)
    with pytest.raises(MalformedError) as exc:
        x509path.parse_x5c([der], check="A2")
    assert exc.value.check == "A2"
    with pytest.raises(MalformedError) as verify_exc:
        attestverify.verify({"fmt": "apple", "attStmt": {"x5c": [der]}}, KEY_AUTHORIZATION, now=NOW)
    assert verify_exc.value.check == "A2"


def test_year_zero_certificate_from_caller_is_never_used() -> None:
    # A caller-supplied intermediate or anchor with year 0000 does not reach the pinned validator.
    chain = build("c")
    zero = _load(_year_zero(0))
    path = x509path.validate_path(chain.leaf, [zero, *chain.candidates], chain.anchors, NOW, check="S4")
    assert path.relaxations == ("rsa-sig-params-absent",)
    with pytest.raises(UntrustedChainError) as exc:
        x509path.validate_path(chain.leaf, chain.candidates, [zero], NOW, check="S4")
    assert exc.value.check == "S4"


# ---- the closed list, unit by unit -----------------------------------------------------------


def test_certificate_problem_unit_rules() -> None:
    chain = build("none")
    assert certrules.certificate_problem(chain.leaf) is None
    mid_key = chain.mid.key
    twenty = edit_tbs(chain.leaf, mid_key, chain_faults.set_serial(2**159))  # 00 80 ..: 20 value octets
    assert certrules.certificate_problem(twenty) is None
    cases = {
        "not positive": chain_faults.set_serial(-1),
        "longer than 20": chain_faults.set_serial(2**200),
        "not a v3": chain_faults.v1,
        "before 2050": chain_faults.generalized("not_before"),
    }
    for text, edit in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cert = edit_tbs(chain.leaf, mid_key, edit)
        problem = certrules.certificate_problem(cert)
        assert problem is not None and text in problem[1], (text, problem)


def test_rsa_pss_key_with_parameters_needs_the_same_parameters() -> None:
    alg = certsig.SigAlg(oid="1.2.840.113549.1.1.10", params=b"\x30\x00", outer=b"", inner=b"")
    assert certsig.pss_key_problem(alg, ("1.2.840.113549.1.1.10", b"\x30\x03\x02\x01\x20")) is not None
    assert certsig.pss_key_problem(alg, ("1.2.840.113549.1.1.10", None)) is None
    assert certsig.pss_key_problem(alg, ("1.2.840.113549.1.1.10", b"\x30\x00")) is None
    pkcs1 = certsig.SigAlg(oid="1.2.840.113549.1.1.11", params=None, outer=b"", inner=b"")
    assert certsig.pss_key_problem(pkcs1, ("1.2.840.113549.1.1.10", None)) is not None
    assert certsig.pss_key_problem(pkcs1, ("1.2.840.113549.1.1.1", b"\x05\x00")) is None
    assert with_alg(RSA_SHA256) is not None


# ---- the property-test failure of finding 4, as an explicit example ---------------------------
# test_bit_flips_in_the_cbor_bytes failed on some runs (seed-independent: the generated keys differ
# per process) when a flip landed in the unused-bits octet of a certificate's signatureValue and the
# signature's last bits were zero: the statement verified with altered `identity.chain` bytes.


@pytest.mark.parametrize("case", statements.all_cases(), ids=lambda c: c.name)
@pytest.mark.parametrize("unused", [1, 2])
def test_unused_bits_in_any_x5c_certificate_of_a_valid_statement_rejected(
    case: statements.Case, unused: int
) -> None:
    attestverify.verify(case.fresh(), case.key_authorization, **case.kwargs())
    for index, der in enumerate(case.att_stmt["x5c"]):
        tbs, alg, bits = _outer_parts(der)
        body = bytearray(unwrap(bits))
        body[0] = unused
        body[-1] &= 0xFF ^ ((1 << unused) - 1)  # padding bits zero: acceptable to a DER BIT STRING reader
        obj = case.fresh()
        obj["attStmt"]["x5c"][index] = seq([tbs, alg, b"\x03" + der_len(len(body)) + bytes(body)])
        with pytest.raises(MalformedError) as exc:
            attestverify.verify(obj, case.key_authorization, **case.kwargs())
        assert exc.value.check in ("A2", "S2", "T3", "K2")
