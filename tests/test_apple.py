"""Format `apple` (SPEC §4.1 A1-A7), `apple.decode_extensions` and `apple.verify_device_properties` (§2.6).

Positive statements are generated (no Apple private keys exist): see `apple_pki.py`. The real Mac
leaf of `testdata/vectors/apple/` is used for extension decoding and for the negatives it supports
(its Sub CA is not public and it expired on 2025-10-12). A real WebAuthn anonymous `apple` leaf
shows that extension 8.2 is not a freshness code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from types import MappingProxyType
from typing import Any

import apple_pki as ap
import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pki import (
    KA_HASH,
    KEY_AUTHORIZATION,
    NOW,
    TOKEN_HASH,
    ec_key,
    ed25519_key,
    issue,
    name,
    raw_ext,
    rsa_key,
)
from vectors import load_vector, read_json

import attestverify
from attestverify import apple
from attestverify.errors import (
    ChallengeMismatchError,
    IdentifierMismatchError,
    MalformedError,
    PolicyError,
    UntrustedChainError,
    UsageError,
)
from attestverify.identity import AcmeIdentifier, AppleDetails

P = ap.P
NONCE = P + "11.1"
REAL_LEAF = "apple/nanoca-mda-leaf-TMWFWWWP67"
# A7 (identity building) has no failure code; the identifier tests below cover its rules.
IDENTITY_CHECK = "A7"
MDM_NONCE = bytes(range(1, 17))  # a DeviceAttestationNonce as an MDM server would send it


def _verify(statement: Any, **kw: Any) -> attestverify.DeviceIdentity:
    kw.setdefault("roots", {"apple": [ap.root_cert()]})
    kw.setdefault("now", NOW)
    return attestverify.verify(statement, KEY_AUTHORIZATION, **kw)


def _x5c(**leaf_kw: Any) -> list[bytes]:
    return [ap.leaf(**leaf_kw).der, ap.hierarchy()[1].der]


def _fails(statement: Any, error: type[Exception], **kw: Any) -> Any:
    with pytest.raises(error) as exc:
        _verify(statement, **kw)
    assert exc.value.format == "apple"  # type: ignore[attr-defined]
    return exc.value


# --- positive -----------------------------------------------------------------------------------


@pytest.mark.parametrize("curve", ["p384", "p256"])
def test_generated_statement_every_field(curve: str) -> None:
    leaf = ap.leaf(ec_key(curve, "apple-leaf"))
    root, sub = ap.hierarchy()
    identity = _verify(ap.att_obj([leaf.der, sub.der]))

    point = leaf.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    assert identity.format == "apple"
    assert identity.public_key == leaf.key.public_key()
    assert identity.public_key_der == leaf.cert.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    assert identity.fingerprint == "SHA256:" + base64.b64encode(hashlib.sha256(point).digest()).decode()
    assert identity.identifiers == (ap.UDID, ap.SERIAL)
    assert identity.acme_identifiers == (
        AcmeIdentifier("permanent-identifier", ap.UDID),
        AcmeIdentifier("permanent-identifier", ap.SERIAL),
    )
    assert identity.serial_number == ap.SERIAL
    assert identity.udid == ap.UDID
    assert identity.permanent_identifiers == ()
    assert identity.hardware_module_names == ()
    assert identity.relaxations == ()
    assert identity.chain == (leaf.cert, sub.cert, root.cert)
    assert identity.step is None and identity.tpm is None
    assert identity.apple == AppleDetails(
        nonce=TOKEN_HASH,
        os_version="15.5",
        sepos_version="15.5.1",
        llb_version="11881.121.1",
        software_update_device_id="J514sAP",
        sip_status=0,
        secure_boot="Full Security",
        third_party_kexts=1,
        extensions=identity.apple.extensions if identity.apple else {},
        binding="token",
    )
    assert identity.apple is not None
    assert dict(identity.apple.extensions) == dict(ap.DEFAULT_VALUES)
    with pytest.raises(TypeError):
        identity.apple.extensions["x"] = b""  # type: ignore[index]
    assert identity.matches(ap.UDID) and identity.matches(ap.SERIAL, "permanent-identifier")
    assert not identity.matches(ap.SERIAL, "hardware-module")
    assert not identity.matches(ap.SERIAL.lower())


def test_input_forms_agree() -> None:
    x5c = _x5c()
    raw = ap.att_obj(x5c)
    text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    mapping = {"fmt": "apple", "attStmt": {"x5c": x5c}}
    results = [_verify(form) for form in (raw, text, mapping)]
    assert {r.fingerprint for r in results} == {results[0].fingerprint}
    assert all(r.identifiers == (ap.UDID, ap.SERIAL) for r in results)


def test_unknown_attstmt_keys_ignored() -> None:
    assert _verify(ap.att_obj(_x5c(), alg=-7, sig=b"x")).serial_number == ap.SERIAL


@pytest.mark.parametrize("identifier", [ap.UDID, ap.SERIAL])
def test_identifier_matches(identifier: str) -> None:
    identity = _verify(ap.att_obj(_x5c()), identifier=identifier, identifier_type="permanent-identifier")
    assert identifier in identity.identifiers


def test_identifier_mismatch_d7() -> None:
    err = _fails(ap.att_obj(_x5c()), IdentifierMismatchError, identifier="C02XK1ABJGH6")
    assert err.code == "identifier-mismatch"
    assert err.check == "D7"


def test_identifier_wrong_type_d7() -> None:
    err = _fails(
        ap.att_obj(_x5c()), IdentifierMismatchError, identifier=ap.SERIAL, identifier_type="hardware-module"
    )
    assert err.check == "D7"


def test_slash_value_kept_but_not_an_identifier() -> None:
    identity = _verify(ap.att_obj(_x5c(values={P + "9.1": b"C02/XK1"})))
    assert identity.serial_number == "C02/XK1"
    assert identity.identifiers == (ap.UDID,)


def test_user_enrollment_leaf_has_no_identifiers() -> None:
    identity = _verify(ap.att_obj(_x5c(values={P + "9.1": None, P + "9.2": None})))
    assert identity.serial_number is None and identity.udid is None
    assert identity.identifiers == () and identity.acme_identifiers == ()
    with pytest.raises(IdentifierMismatchError):
        _verify(ap.att_obj(_x5c(values={P + "9.1": None, P + "9.2": None})), identifier=ap.SERIAL)


def test_undecodable_informational_values_become_none() -> None:
    values = {
        P + "9.4": b"\xff",
        P + "10.1": b"\xc3\x28",
        P + "13.1": b"\x02\x02\x00\x00",  # non-minimal INTEGER
        P + "13.2": b"\x80",
        P + "13.3": b"\x02\x01\xff",  # negative INTEGER
    }
    identity = _verify(ap.att_obj(_x5c(values=values)))
    assert identity.apple is not None
    assert identity.apple.software_update_device_id is None
    assert identity.apple.os_version is None
    assert identity.apple.sip_status is None
    assert identity.apple.secure_boot is None
    assert identity.apple.third_party_kexts is None
    assert identity.apple.extensions[P + "13.1"] == b"\x02\x02\x00\x00"
    assert identity.identifiers == (ap.UDID, ap.SERIAL)


def test_empty_serial_not_an_identifier() -> None:
    identity = _verify(ap.att_obj(_x5c(values={P + "9.1": b""})))
    assert identity.serial_number == ""
    assert identity.identifiers == (ap.UDID,)


# --- A1 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "att_stmt",
    [
        pytest.param({}, id="missing"),
        pytest.param({"x5c": b"\x30\x00"}, id="not-array"),
        pytest.param({"x5c": []}, id="empty"),
        pytest.param({"x5c": [b"\x30\x00"] * 11}, id="11-items"),
        pytest.param({"x5c": ["MIIB"]}, id="item-text"),
        pytest.param({"x5c": [b""]}, id="item-empty"),
    ],
)
def test_a1_x5c_shape(att_stmt: dict[str, Any]) -> None:
    err = _fails(cbor2.dumps({"fmt": "apple", "attStmt": att_stmt}), MalformedError)
    assert err.code == "malformed"
    assert err.check == "A1"


def test_a1_eleven_real_certificates() -> None:
    err = _fails(ap.att_obj(_x5c() + [ap.hierarchy()[1].der] * 9), MalformedError)
    assert err.check == "A1"


# --- A2 -----------------------------------------------------------------------------------------


def test_a2_garbage_der() -> None:
    err = _fails(ap.att_obj([b"\x30\x03abc", ap.hierarchy()[1].der]), MalformedError)
    assert err.code == "malformed"
    assert err.check == "A2"


def test_a2_trailing_byte() -> None:
    x5c = _x5c()
    err = _fails(ap.att_obj([x5c[0] + b"\x00", x5c[1]]), MalformedError)
    assert err.check == "A2"


def test_a2_trailing_byte_on_sub_ca() -> None:
    x5c = _x5c()
    err = _fails(ap.att_obj([x5c[0], x5c[1] + b"\x00"]), MalformedError)
    assert err.check == "A2"


# --- A3 -----------------------------------------------------------------------------------------


def test_a3_wrong_root() -> None:
    # Same subject name as the real issuer of the Sub CA, another key: only the signature differs.
    other = issue(ap.root_cert().subject, ec_key("p384", "other-apple-root"), None, ca=True)
    err = _fails(ap.att_obj(_x5c()), UntrustedChainError, roots={"apple": [other.cert]})
    assert err.code == "untrusted-chain"
    assert err.check == "A3"
    assert err.rule == "P3"


def test_a3_bundled_root_rejects_generated_chain() -> None:
    err = _fails(ap.att_obj(_x5c()), UntrustedChainError, roots=None)
    assert err.check == "A3"


def test_a3_expired_leaf() -> None:
    x5c = _x5c(not_after=NOW - dt.timedelta(seconds=1))
    err = _fails(ap.att_obj(x5c), UntrustedChainError)
    assert err.check == "A3"
    assert err.rule == "P4"


def test_a3_leaf_valid_until_now_inclusive() -> None:
    assert _verify(ap.att_obj(_x5c(not_after=NOW))).serial_number == ap.SERIAL


def test_a3_missing_sub_ca() -> None:
    err = _fails(ap.att_obj([ap.leaf().der]), UntrustedChainError)
    assert err.check == "A3"
    assert err.rule == "P3"


def test_a3_sub_ca_as_intermediates_argument() -> None:
    identity = _verify(ap.att_obj([ap.leaf().der]), intermediates=[ap.hierarchy()[1].cert])
    assert identity.chain[1] == ap.hierarchy()[1].cert


def test_a3_self_signed_leaf() -> None:
    key = ec_key("p384", "apple-self")
    exts = [raw_ext(oid, value) for oid, value in ap.DEFAULT_VALUES.items()]
    self_signed = issue(name("self"), key, None, ca=False, extensions=exts)
    err = _fails(ap.att_obj([self_signed.der]), UntrustedChainError)
    assert err.check == "A3"
    assert err.rule == "P1"


def test_a3_self_signed_leaf_even_if_given_as_root() -> None:
    key = ec_key("p384", "apple-self")
    self_signed = issue(name("self"), key, None, ca=False)
    err = _fails(ap.att_obj([self_signed.der]), UntrustedChainError, roots={"apple": [self_signed.cert]})
    assert err.check == "A3"
    assert err.rule == "P9"


# --- A4 -----------------------------------------------------------------------------------------


def test_a4_leaf_is_ca() -> None:
    # Under the pathLen=0 Sub CA a CA leaf could be caught by path validation; without it, A4 decides.
    root_, _ = ap.hierarchy()
    sub = issue(
        name("Apple Enterprise Attestation Sub CA 1"), ec_key("p384", "apple-sub-nolen"), root_, ca=True
    )
    leaf = ap.leaf(ec_key("p384", "apple-ca-leaf"), issuer=sub, ca=True)
    err = _fails(ap.att_obj([leaf.der, sub.der]), PolicyError)
    assert err.code == "policy"
    assert err.check == "A4"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda: rsa_key(2048, "apple-leaf"), id="rsa-2048"),
        pytest.param(lambda: ec_key("p521", "apple-leaf"), id="p521"),
        pytest.param(lambda: ec_key("k256", "apple-leaf"), id="secp256k1"),
        pytest.param(lambda: ed25519_key("apple-leaf"), id="ed25519"),
    ],
)
def test_a4_leaf_key_type(key: Any) -> None:
    err = _fails(ap.att_obj(_x5c(key=key())), PolicyError)
    assert err.code == "policy"
    assert err.check == "A4"


# --- A5 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("oid", [P + "9.1", P + "9.2"])
def test_a5_identifier_not_utf8(oid: str) -> None:
    err = _fails(ap.att_obj(_x5c(values={oid: b"C02\xff"})), MalformedError)
    assert err.code == "malformed"
    assert err.check == "A5"


# --- A6 -----------------------------------------------------------------------------------------


def test_a6_wrong_nonce() -> None:
    err = _fails(
        ap.att_obj(_x5c(values={NONCE: hashlib.sha256(b"other-token").digest()})), ChallengeMismatchError
    )
    assert err.code == "challenge-mismatch"
    assert err.check == "A6"


def test_a6_nonce_over_key_authorization() -> None:
    err = _fails(ap.att_obj(_x5c(values={NONCE: KA_HASH})), ChallengeMismatchError)
    assert err.check == "A6"


def test_a6_nonce_one_bit_flipped() -> None:
    flipped = bytes([TOKEN_HASH[0] ^ 1]) + TOKEN_HASH[1:]
    err = _fails(ap.att_obj(_x5c(values={NONCE: flipped})), ChallengeMismatchError)
    assert err.check == "A6"


def test_a6_nonce_truncated() -> None:
    err = _fails(ap.att_obj(_x5c(values={NONCE: TOKEN_HASH[:31]})), ChallengeMismatchError)
    assert err.check == "A6"


def test_a6_nonce_der_wrapped() -> None:
    # Apple places the digest raw; an OCTET STRING wrapper is a different value.
    err = _fails(ap.att_obj(_x5c(values={NONCE: b"\x04\x20" + TOKEN_HASH})), ChallengeMismatchError)
    assert err.check == "A6"


def test_a6_absent_nonce_rejected_by_default() -> None:
    err = _fails(ap.att_obj(_x5c(values={NONCE: None})), ChallengeMismatchError)
    assert err.code == "challenge-mismatch"
    assert err.check == "A6"


def test_a6_absent_nonce_relaxed() -> None:
    identity = _verify(ap.att_obj(_x5c(values={NONCE: None})), apple_require_nonce=False)
    assert identity.relaxations == ("apple-nonce-absent",)
    assert identity.apple is not None and identity.apple.nonce is None


def test_a6_empty_nonce_rejected_by_default() -> None:
    err = _fails(ap.att_obj(_x5c(values={NONCE: b""})), ChallengeMismatchError)
    assert err.check == "A6"


def test_a6_empty_nonce_relaxed() -> None:
    identity = _verify(ap.att_obj(_x5c(values={NONCE: b""})), apple_require_nonce=False)
    assert identity.relaxations == ("apple-nonce-absent",)


def test_a6_wrong_nonce_fails_even_when_relaxed() -> None:
    x5c = _x5c(values={NONCE: KA_HASH})
    err = _fails(ap.att_obj(x5c), ChallengeMismatchError, apple_require_nonce=False)
    assert err.check == "A6"


def test_a6_correct_nonce_not_recorded_as_relaxed() -> None:
    assert _verify(ap.att_obj(_x5c()), apple_require_nonce=False).relaxations == ()


def test_a6_webauthn_nonce_extension_is_not_a_freshness_code() -> None:
    wrapped = b"\x30\x24\xa1\x22\x04\x20" + TOKEN_HASH  # WebAuthn's SEQUENCE { [1] OCTET STRING }
    x5c = _x5c(values={NONCE: None, "1.2.840.113635.100.8.2": wrapped})
    err = _fails(ap.att_obj(x5c), ChallengeMismatchError)
    assert err.check == "A6"


def test_a6_real_webauthn_anonymous_leaf() -> None:
    # A real Apple WebAuthn anonymous-attestation chain validates to its own root at its pinned
    # time, but its only nonce is 8.2 (SHA-256 of authData || clientDataHash): A6 must fail.
    vector = load_vector("webauthn/fido2-apple-anonymous")
    # tests/vectors.py does not read this file's {"hex": ...} x5c items, so they are read here.
    x5c = [bytes.fromhex(item["hex"]) for item in read_json(vector.record["files"][0])["attStmt"]["x5c"]]
    assert vector.anchor.subject.rfc4514_string().endswith("CN=Apple WebAuthn Root CA")
    err = _fails(ap.att_obj(x5c), ChallengeMismatchError, roots={"apple": [vector.anchor]}, now=vector.now)
    assert err.check == "A6"


# --- the real Mac leaf (testdata/vectors/apple) ---------------------------------------------------


def _real_leaf() -> tuple[Any, x509.Certificate]:
    vector = load_vector(REAL_LEAF)
    return vector, x509.load_der_x509_certificate(vector.chain_der[0])


def test_real_leaf_decodes_every_field() -> None:
    vector, leaf = _real_leaf()
    decoded = apple.decode_extensions(leaf, strict=True)
    expected = vector.decoded
    assert decoded.serial_number == "TMWFWWWP67" == expected["serial_number"]
    assert decoded.udid == "00006030-000651690A84001C" == expected["udid"]
    assert (
        decoded.details.os_version == decoded.details.sepos_version == decoded.details.llb_version == "15.5"
    )
    assert decoded.details.software_update_device_id == "J514sAP"
    assert decoded.details.secure_boot == "Full Security"
    assert decoded.details.sip_status == 0
    assert decoded.details.third_party_kexts == 0
    assert decoded.details.nonce == bytes.fromhex(expected["nonce_hex"])
    assert attestverify.fingerprint(leaf.public_key()) == expected["fingerprint"]  # type: ignore[arg-type]


def test_real_leaf_raw_extensions_match_expected_file() -> None:
    _, leaf = _real_leaf()
    expected = read_json("vectors/apple/nanoca-mda-leaf-TMWFWWWP67.expected.json")["apple_extensions"]
    decoded = apple.decode_extensions(leaf)
    assert isinstance(decoded.details.extensions, MappingProxyType)
    assert {oid: raw.hex() for oid, raw in decoded.details.extensions.items()} == {
        oid: item["raw_hex"] for oid, item in expected.items()
    }


def test_real_leaf_nonce_is_a_32_byte_digest() -> None:
    # The real freshness code is 32 bytes, the size of a SHA-256 digest, as an ACME client's
    # SHA-256(token) would be; its preimage (the nanoca challenge) was never published, so that
    # it *is* SHA-256 of something cannot be shown. It is not the digest of nanoca's test strings.
    _, leaf = _real_leaf()
    nonce = apple.decode_extensions(leaf).details.nonce
    assert nonce is not None and len(nonce) == 32
    for guess in (b"", b"challenge", b"wrong challenge", b"test"):
        assert hashlib.sha256(guess).digest() != nonce


def test_real_leaf_missing_sub_ca_at_pinned_time() -> None:
    vector, _ = _real_leaf()
    assert vector.now == dt.datetime(2025, 7, 14, tzinfo=dt.timezone.utc)
    err = _fails(ap.att_obj(vector.x5c_der), UntrustedChainError, roots=None, now=vector.now)
    assert err.check == "A3"


def test_real_leaf_expired_now() -> None:
    vector, _ = _real_leaf()
    err = _fails(ap.att_obj(vector.x5c_der), UntrustedChainError, roots={"apple": [vector.anchor]}, now=NOW)
    assert err.check == "A3"
    assert err.rule == "P4"


def test_real_leaf_through_device_properties_fails_at_chain() -> None:
    vector, leaf = _real_leaf()
    nonce = apple.decode_extensions(leaf).details.nonce
    assert nonce is not None
    with pytest.raises(UntrustedChainError) as exc:
        apple.verify_device_properties(vector.x5c_der, nonce, now=vector.now)
    assert exc.value.check == "A3"


def test_decode_extensions_lenient_and_limited() -> None:
    leaf = ap.leaf(values={P + "9.1": b"\xff", P + "9.2": b"x" * 2000}).cert
    decoded = apple.decode_extensions(leaf, max_value_len=1024)
    assert decoded.serial_number is None
    assert decoded.udid is None
    assert decoded.details.extensions[P + "9.2"] == b"x" * 2000
    with pytest.raises(MalformedError) as exc:
        apple.decode_extensions(leaf, strict=True)
    assert exc.value.check == "A5"


def test_decode_extensions_non_apple_certificate() -> None:
    decoded = apple.decode_extensions(ap.hierarchy()[1].cert, strict=True)
    assert decoded == apple.AppleExtensions(details=AppleDetails(extensions=decoded.details.extensions))
    assert dict(decoded.details.extensions) == {}


# --- verify_device_properties ---------------------------------------------------------------------


def _mdm_chain(nonce: bytes | None = MDM_NONCE) -> list[bytes]:
    return _x5c(values={NONCE: nonce})


def _dp(certificates: Any, nonce: Any = MDM_NONCE, **kw: Any) -> attestverify.DeviceIdentity:
    kw.setdefault("roots", [ap.root_cert()])
    kw.setdefault("now", NOW)
    return apple.verify_device_properties(certificates, nonce, **kw)


def test_device_properties_positive() -> None:
    identity = _dp(_mdm_chain())
    root_, sub = ap.hierarchy()
    assert identity.format == "apple"
    assert identity.identifiers == (ap.UDID, ap.SERIAL)
    assert identity.chain[1:] == (sub.cert, root_.cert)
    assert identity.apple is not None and identity.apple.nonce == MDM_NONCE
    assert identity.apple.os_version == "15.5" and identity.apple.third_party_kexts == 1
    assert identity.relaxations == ()


def test_device_properties_certificate_objects() -> None:
    certs = [x509.load_der_x509_certificate(d) for d in _mdm_chain()]
    assert _dp(certs).serial_number == ap.SERIAL


def test_device_properties_nonce_32_bytes() -> None:
    assert _dp(_mdm_chain(b"\x07" * 32), b"\x07" * 32).udid == ap.UDID


def test_device_properties_nonce_mismatch() -> None:
    with pytest.raises(ChallengeMismatchError) as exc:
        _dp(_mdm_chain(), MDM_NONCE[:-1] + b"\x00")
    assert exc.value.code == "challenge-mismatch"
    assert exc.value.check == "A6"
    assert exc.value.format == "apple"


def test_device_properties_acme_statement_is_not_an_mdm_answer() -> None:
    # An ACME leaf holds SHA-256(token), not the raw nonce: hashing is never applied here.
    with pytest.raises(ChallengeMismatchError) as exc:
        _dp(_x5c(), hashlib.sha256(TOKEN_HASH).digest())
    assert exc.value.check == "A6"


def test_device_properties_absent_nonce() -> None:
    with pytest.raises(ChallengeMismatchError) as exc:
        _dp(_mdm_chain(None))
    assert exc.value.check == "A6"
    assert _dp(_mdm_chain(None), require_nonce=False).relaxations == ("apple-nonce-absent",)


@pytest.mark.parametrize("nonce", [b"", b"\x00" * 33, "text-nonce", None])
def test_device_properties_bad_nonce_argument(nonce: Any) -> None:
    with pytest.raises(UsageError) as exc:
        _dp(_mdm_chain(), nonce)
    assert exc.value.check == "D1"


def test_device_properties_naive_now() -> None:
    with pytest.raises(UsageError) as exc:
        _dp(_mdm_chain(), now=dt.datetime(2026, 6, 1, 12, 0))
    assert exc.value.check == "D1"


@pytest.mark.parametrize("certificates", [b"\x30\x00", "MIIB", None, [42], [object()]])
def test_device_properties_bad_certificates_argument(certificates: Any) -> None:
    with pytest.raises(UsageError) as exc:
        _dp(certificates)
    assert exc.value.check == "D1"


def test_device_properties_bad_roots_argument() -> None:
    with pytest.raises(UsageError) as exc:
        _dp(_mdm_chain(), roots=[b"not a certificate"])
    assert exc.value.check == "D1"


def test_device_properties_require_nonce_must_be_bool() -> None:
    with pytest.raises(UsageError) as exc:
        _dp(_mdm_chain(), require_nonce=0)
    assert exc.value.check == "D1"


@pytest.mark.parametrize("count", [0, 11])
def test_device_properties_chain_length(count: int) -> None:
    with pytest.raises(MalformedError) as exc:
        _dp([ap.hierarchy()[1].der] * count)
    assert not isinstance(exc.value, UsageError)
    assert exc.value.check == "A1"


def test_device_properties_garbage_certificate() -> None:
    with pytest.raises(MalformedError) as exc:
        _dp([b"\x30\x82garbage", ap.hierarchy()[1].der])
    assert not isinstance(exc.value, UsageError)
    assert exc.value.code == "malformed"
    assert exc.value.check == "A2"


def test_device_properties_bundled_roots_by_default() -> None:
    with pytest.raises(UntrustedChainError) as exc:
        _dp(_mdm_chain(), roots=None)
    assert exc.value.check == "A3"


def test_device_properties_leaf_policy() -> None:
    with pytest.raises(PolicyError) as exc:
        _dp(_x5c(key=rsa_key(2048, "apple-leaf"), values={NONCE: MDM_NONCE}))
    assert exc.value.check == "A4"


def test_device_properties_wraps_internal_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(apple, "_verify", boom)
    with pytest.raises(MalformedError) as exc:
        _dp(_mdm_chain())
    assert isinstance(exc.value.__cause__, KeyError)
    assert exc.value.format == "apple"
