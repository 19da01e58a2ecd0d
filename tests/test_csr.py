"""verify_csr: finalize-time binding of CSR, attested key and identifier (SPEC §2.4, C1-C8)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st
from pki import PrivateKey, ec_key, ed25519_key, name, root, rsa_key
from pyasn1.codec.der import encoder
from pyasn1.type import char, univ
from pyasn1_modules import rfc4043, rfc4108
from x509_helpers import (
    ECDSA_SHA256,
    der_len,
    seq,
    tlvs,
    unwrap,
)

from attestverify import csr as csr_module
from attestverify.csr import verify_csr
from attestverify.errors import (
    AttestationError,
    BadSignatureError,
    IdentifierMismatchError,
    KeyMismatchError,
    MalformedError,
    PolicyError,
    UsageError,
)
from attestverify.identity import (
    HARDWARE_MODULE,
    PERMANENT_IDENTIFIER,
    AcmeIdentifier,
    DeviceIdentity,
    HardwareModuleName,
    PermanentIdentifier,
)

PI_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.3")
HMN_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4")
UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")

DEVICE = "dev-1/1.3.6.1.4.1.311"
DEVICE_2 = "dev-2"
HW = "SN42/1.3.6.1.4.1.45724"
BAD_CSR = "urn:ietf:params:acme:error:badCSR"


def pi_name(value: str | None, assigner: str | None = None) -> x509.OtherName:
    obj = rfc4043.PermanentIdentifier()
    if value is not None:
        obj["identifierValue"] = value
    if assigner is not None:
        obj["assigner"] = univ.ObjectIdentifier(assigner)
    return x509.OtherName(PI_OID, bytes(encoder.encode(obj)))


def hmn_name(serial: bytes, hw_type: str) -> x509.OtherName:
    obj = rfc4108.HardwareModuleName()
    obj["hwType"] = univ.ObjectIdentifier(hw_type)
    obj["hwSerialNum"] = univ.OctetString(serial)
    return x509.OtherName(HMN_OID, bytes(encoder.encode(obj)))


def upn_name(upn: str) -> x509.OtherName:
    return x509.OtherName(UPN_OID, bytes(encoder.encode(char.UTF8String(upn))))


def device_key() -> PrivateKey:
    return ec_key("p256", "csr-device")


def make_identity(key: PrivateKey | None = None) -> DeviceIdentity:
    key = key or device_key()
    return DeviceIdentity.build(
        format="tpm",
        public_key=key.public_key(),
        chain=(root("CSR Test Root").cert,),
        acme_identifiers=(
            AcmeIdentifier(PERMANENT_IDENTIFIER, DEVICE),
            AcmeIdentifier(PERMANENT_IDENTIFIER, DEVICE_2),
            AcmeIdentifier(HARDWARE_MODULE, HW),
        ),
        permanent_identifiers=(PermanentIdentifier("dev-1", "1.3.6.1.4.1.311"), PermanentIdentifier("dev-2")),
        hardware_module_names=(HardwareModuleName("1.3.6.1.4.1.45724", b"SN42"),),
    )


def make_csr(
    key: PrivateKey | None = None,
    *,
    cn: str | None = None,
    sans: Sequence[x509.GeneralName] = (),
    extra: Sequence[x509.ExtensionType] = (),
) -> x509.CertificateSigningRequest:
    key = key or device_key()
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn is not None else []
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(subject))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    for ext in extra:
        builder = builder.add_extension(ext, critical=False)
    algorithm = None if key is ed25519_key("csr") else hashes.SHA256()
    return builder.sign(key, algorithm)


def der(request: x509.CertificateSigningRequest) -> bytes:
    return request.public_bytes(serialization.Encoding.DER)


# --- accepted CSRs ---------------------------------------------------------------------------


def test_minimal_csr_accepted() -> None:
    verify_csr(make_identity(), make_csr())


def test_full_binding_accepted() -> None:
    request = make_csr(cn=DEVICE, sans=[pi_name("dev-1", "1.3.6.1.4.1.311")])
    verify_csr(
        make_identity(),
        request,
        identifier=DEVICE,
        identifier_type=PERMANENT_IDENTIFIER,
        require_identifier_in_csr=True,
    )


def test_hardware_module_san_accepted() -> None:
    request = make_csr(sans=[hmn_name(b"SN42", "1.3.6.1.4.1.45724")])
    verify_csr(make_identity(), request, identifier=HW, identifier_type=HARDWARE_MODULE)


@pytest.mark.parametrize("form", ["object", "der", "bytearray", "memoryview", "pem-bytes", "pem-str"])
def test_input_forms(form: str) -> None:
    request = make_csr(cn=DEVICE)
    pem = request.public_bytes(serialization.Encoding.PEM)
    value: object = {
        "object": request,
        "der": der(request),
        "bytearray": bytearray(der(request)),
        "memoryview": memoryview(der(request)),
        "pem-bytes": b"\n" + pem,
        "pem-str": pem.decode(),
    }[form]
    verify_csr(make_identity(), value, identifier=DEVICE)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_other_key_types(kind: str) -> None:
    key: PrivateKey = rsa_key(2048, "csr-device") if kind == "rsa" else ed25519_key("csr")
    verify_csr(make_identity(key), make_csr(key), identifier=DEVICE)
    with pytest.raises(KeyMismatchError) as exc:
        verify_csr(make_identity(key), make_csr(), identifier=DEVICE)
    assert exc.value.check == "C3"


# --- C1 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        b"\x30\x03\x02\x01\x00",
        b"not a csr",
        b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END",
        "",
        "-----BEGIN CERTIFICATE REQUEST-----\nü\n",
        b"\x00" * 70000,
    ],
)
def test_c1_unparseable(value: bytes | str) -> None:
    with pytest.raises(MalformedError) as exc:
        verify_csr(make_identity(), value)
    assert exc.value.code == "malformed"
    assert exc.value.check == "C1"


def test_c1_trailing_bytes() -> None:
    with pytest.raises(MalformedError) as exc:
        verify_csr(make_identity(), der(make_csr()) + b"\x00")
    assert exc.value.check == "C1"


def _swap_oid(request: x509.CertificateSigningRequest) -> bytes:
    # 2.5.29.99 (unknown) -> 2.5.29.17 (subjectAltName), same length; the signature no longer
    # matches, which does not matter because C1 comes first.
    data = der(request)
    placeholder = bytes.fromhex("0603551d63")
    assert data.count(placeholder) == 1
    return data.replace(placeholder, bytes.fromhex("0603551d11"))


def test_c1_duplicate_extension() -> None:
    request = make_csr(
        sans=[x509.DNSName("a.example")],
        extra=[x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.99"), b"\x30\x00")],
    )
    with pytest.raises(MalformedError) as exc:
        verify_csr(make_identity(), _swap_oid(request), allow_other_sans=True)
    assert exc.value.check == "C1"


def test_c1_undecodable_san() -> None:
    junk = x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.99"), b"\x02\x01\x00")
    request = make_csr(extra=[junk])
    with pytest.raises(MalformedError) as exc:
        verify_csr(make_identity(), _swap_oid(request))
    assert exc.value.check == "C1"


def test_c1_undecodable_identity_other_name() -> None:
    bad = x509.OtherName(PI_OID, bytes.fromhex("30050c0361ff63"))  # invalid UTF-8
    with pytest.raises(MalformedError) as exc:
        verify_csr(make_identity(), make_csr(sans=[bad]))
    assert exc.value.check == "C1"


# --- C2 --------------------------------------------------------------------------------------


def test_c2_tampered_signature() -> None:
    data = bytearray(der(make_csr(cn=DEVICE)))
    data[-1] ^= 0x01  # last byte of the ECDSA s value
    with pytest.raises(BadSignatureError) as exc:
        verify_csr(make_identity(), bytes(data), identifier=DEVICE)
    assert exc.value.code == "bad-signature"
    assert exc.value.check == "C2"


def test_c2_tampered_subject() -> None:
    data = der(make_csr(cn=DEVICE_2))
    tampered = data.replace(b"dev-2", b"dev-3")
    with pytest.raises(BadSignatureError) as exc:
        verify_csr(make_identity(), tampered, identifier=DEVICE_2)
    assert exc.value.check == "C2"


# --- C3 --------------------------------------------------------------------------------------


def test_c3_csr_key_is_not_the_attested_key() -> None:
    other = ec_key("p256", "csr-attacker")
    with pytest.raises(KeyMismatchError) as exc:
        verify_csr(make_identity(), make_csr(other, cn=DEVICE), identifier=DEVICE)
    assert exc.value.code == "key-mismatch"
    assert exc.value.check == "C3"
    assert exc.value.acme_problem()["type"] == BAD_CSR


# --- C4 --------------------------------------------------------------------------------------


def test_c4_identifier_not_attested() -> None:
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), make_csr(), identifier="dev-9")
    assert exc.value.code == "identifier-mismatch"
    assert exc.value.check == "C4"
    problem = exc.value.acme_problem()
    assert problem["type"] == BAD_CSR
    assert problem["subproblems"][0]["type"] == "urn:ietf:params:acme:error:rejectedIdentifier"
    assert problem["subproblems"][0]["identifier"] == {"type": PERMANENT_IDENTIFIER, "value": "dev-9"}


def test_c4_identifier_of_other_type() -> None:
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), make_csr(), identifier=HW, identifier_type=PERMANENT_IDENTIFIER)
    assert exc.value.check == "C4"


def test_c4_lone_surrogate_identifier() -> None:
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), make_csr(), identifier="dev-2\ud800")
    assert exc.value.check == "C4"


def test_c4_skipped_without_match_identity() -> None:
    verify_csr(make_identity(), make_csr(cn="dev-9"), identifier="dev-9", match_identity=False)


# --- C5 --------------------------------------------------------------------------------------


def test_c5_common_name_differs() -> None:
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), make_csr(cn=DEVICE_2), identifier=DEVICE)
    assert exc.value.code == "identifier-mismatch"
    assert exc.value.check == "C5"


def test_c5_every_common_name_must_match() -> None:
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, DEVICE), x509.NameAttribute(NameOID.COMMON_NAME, "evil")]
    )
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    request = builder.sign(device_key(), hashes.SHA256())
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request, identifier=DEVICE)
    assert exc.value.check == "C5"


@pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")
def test_c5_empty_common_name_ignored() -> None:
    empty = x509.NameAttribute(NameOID.COMMON_NAME, "", _validate=False)
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([empty]))
        .sign(device_key(), hashes.SHA256())
    )
    verify_csr(make_identity(), request, identifier=DEVICE)


def test_c5_common_name_free_without_identifier() -> None:
    verify_csr(make_identity(), make_csr(cn="anything"))


# --- C6 --------------------------------------------------------------------------------------


def test_c6_csr_asks_for_another_permanent_identifier() -> None:
    request = make_csr(sans=[pi_name("victim-device", "1.3.6.1.4.1.311")])
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request)
    assert exc.value.code == "identifier-mismatch"
    assert exc.value.check == "C6"
    sub = exc.value.acme_problem()["subproblems"][0]
    assert sub["identifier"] == {"type": PERMANENT_IDENTIFIER, "value": "victim-device/1.3.6.1.4.1.311"}


def test_c6_assigner_must_match() -> None:
    # step-ca compared identifierValue only; draft-09 compares value and assigner.
    request = make_csr(sans=[pi_name("dev-1", "1.2.3")])
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request)
    assert exc.value.check == "C6"


def test_c6_attested_san_other_than_identifier() -> None:
    request = make_csr(sans=[pi_name("dev-2")])
    verify_csr(make_identity(), request)
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request, identifier=DEVICE)
    assert exc.value.check == "C6"


def test_c6_type_differs_from_identifier_type() -> None:
    request = make_csr(sans=[pi_name("dev-2")])
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request, identifier=HW, identifier_type=HARDWARE_MODULE)
    assert exc.value.check == "C6"


def test_c6_same_value_other_type_is_not_attested() -> None:
    # "SN42/1.3.6.1.4.1.45724" is attested as hardware-module only.
    request = make_csr(sans=[pi_name("SN42", "1.3.6.1.4.1.45724")])
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request)
    assert exc.value.check == "C6"


@pytest.mark.parametrize(
    "name",
    [pi_name(None, "1.2.3"), pi_name("a/b"), hmn_name(b"\xff\xfe", "1.2.3"), hmn_name(b"", "1.2.3")],
)
def test_c6_san_without_acme_value(name: x509.GeneralName) -> None:
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), make_csr(sans=[name]), match_identity=False, identifier=DEVICE)
    assert exc.value.check == "C6"


def test_c6_hardware_module_serial_differs() -> None:
    request = make_csr(sans=[hmn_name(b"SN43", "1.3.6.1.4.1.45724")])
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request)
    assert exc.value.check == "C6"


def test_c6_decoupled_matching() -> None:
    # step-ca #1526: the server validated the identifier elsewhere; the SAN must still equal it.
    request = make_csr(sans=[pi_name("elsewhere-42")])
    verify_csr(make_identity(), request, identifier="elsewhere-42", match_identity=False)
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request, identifier="elsewhere-43", match_identity=False)
    assert exc.value.check == "C6"


# --- C7 --------------------------------------------------------------------------------------


def test_c7_privacy_mode_forbids_identity_san() -> None:
    request = make_csr(sans=[pi_name("dev-2")])
    verify_csr(make_identity(), request)
    with pytest.raises(PolicyError) as exc:
        verify_csr(make_identity(), request, forbid_identifier_in_csr=True)
    assert exc.value.code == "policy"
    assert exc.value.check == "C7"


def test_c7_required_identity_san_missing() -> None:
    with pytest.raises(PolicyError) as exc:
        verify_csr(make_identity(), make_csr(cn=DEVICE), identifier=DEVICE, require_identifier_in_csr=True)
    assert exc.value.code == "policy"
    assert exc.value.check == "C7"


# --- C8 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        x509.DNSName("victim.example"),
        upn_name("admin@corp.example"),
        x509.RFC822Name("a@example.com"),
        x509.UniformResourceIdentifier("urn:ek:sha256:AAAA"),
        x509.IPAddress(ipaddress.ip_address("192.0.2.1")),
        x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])),
        x509.RegisteredID(x509.ObjectIdentifier("1.2.3")),
    ],
)
def test_c8_other_san_is_policy(name: x509.GeneralName) -> None:
    request = make_csr(sans=[pi_name("dev-2"), name])
    with pytest.raises(PolicyError) as exc:
        verify_csr(make_identity(), request)
    assert exc.value.code == "policy"
    assert exc.value.check == "C8"
    assert exc.value.acme_problem()["type"] == BAD_CSR
    verify_csr(make_identity(), request, allow_other_sans=True)


def test_c6_decided_before_c8() -> None:
    request = make_csr(sans=[x509.DNSName("victim.example"), pi_name("victim")])
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(make_identity(), request, allow_other_sans=True)
    assert exc.value.check == "C6"


# --- D1: caller arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"identifier": b"dev-2"},
        {"identifier_type": "dns"},
        {"identifier_type": "Permanent-Identifier"},
        {"match_identity": 1},
        {"allow_other_sans": None},
        {"require_identifier_in_csr": "yes"},
        {"forbid_identifier_in_csr": 0},
        {"require_identifier_in_csr": True, "forbid_identifier_in_csr": True},
        {"match_identity": False},  # without identifier a CSR could name anything
    ],
)
def test_d1_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError) as exc:
        verify_csr(make_identity(), make_csr(), **kwargs)  # type: ignore[arg-type]
    assert exc.value.code == "malformed"
    assert exc.value.check == "D1"


@pytest.mark.parametrize("identity", [None, "identity", object()])
def test_d1_identity_type(identity: object) -> None:
    with pytest.raises(UsageError) as exc:
        verify_csr(identity, make_csr())  # type: ignore[arg-type]
    assert exc.value.check == "D1"


@pytest.mark.parametrize("value", [None, 42, [b"csr"], {"csr": 1}])
def test_d1_csr_type(value: object) -> None:
    with pytest.raises(UsageError) as exc:
        verify_csr(make_identity(), value)  # type: ignore[arg-type]
    assert exc.value.check == "D1"


# --- the invariant ---------------------------------------------------------------------------


def test_unexpected_exception_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(csr_module, "_check_key", boom)
    with pytest.raises(MalformedError) as exc:
        verify_csr(make_identity(), make_csr())
    assert isinstance(exc.value.__cause__, RuntimeError)


@given(st.one_of(st.binary(max_size=300), st.text(max_size=100)))
@settings(max_examples=300, deadline=None)
def test_any_input_yields_attestation_error(value: bytes | str) -> None:
    with pytest.raises(AttestationError) as exc:
        verify_csr(make_identity(), value, identifier=DEVICE)
    assert exc.value.check == "C1"


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_every_bit_flip_and_truncation_fails_cleanly() -> None:
    # Exhaustive over one CSR with both identity SANs: every single-bit flip and every prefix
    # must end in a C-check failure (never an escaped or wrapped exception). The one benign
    # exception: the signature BIT STRING's unused-bits octet, which cryptography does not
    # bind, so a flip there may leave the request valid.
    identity = make_identity()
    request = make_csr(cn=DEVICE, sans=[pi_name("dev-1", "1.3.6.1.4.1.311")])
    data = der(request)
    candidates = [bytes(data[:n]) for n in range(len(data))]
    for position in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            candidates.append(bytes(flipped))
    accepted = 0
    for candidate in candidates:
        try:
            verify_csr(identity, candidate, identifier=DEVICE)
        except AttestationError as exc:
            assert exc.check in {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"}, exc
        else:
            accepted += 1
    assert accepted <= 8


# --- from the first review, R2: CSR with two extension requests

_EXT_REQ = bytes.fromhex("06092a864886f70d01090e")  # 1.2.840.113549.1.9.14 extensionRequest
_MS_EXT_REQ = bytes.fromhex("060a2b0601040182370201 0e".replace(" ", ""))  # 1.3.6.1.4.1.311.2.1.14


def _csr_parts(request: x509.CertificateSigningRequest) -> tuple[bytes, bytes, bytes, list[bytes]]:
    version, subject, spki, attributes = tlvs(unwrap(tlvs(unwrap(request.public_bytes(Encoding.DER)))[0]))
    return version, subject, spki, tlvs(unwrap(attributes))


def _signed_csr(key: ec.EllipticCurvePrivateKey, parts: list[bytes]) -> bytes:
    info = seq(parts)
    signature = key.sign(info, ec.ECDSA(hashes.SHA256()))
    return seq([info, ECDSA_SHA256, b"\x03" + der_len(len(signature) + 1) + b"\x00" + signature])


def _with_oid(attribute: bytes, oid_tlv: bytes) -> bytes:
    _, values = tlvs(unwrap(attribute))
    return seq([oid_tlv, values])


@pytest.mark.parametrize("second", ["extensionRequest", "msExtReq-first"])
def test_r2_csr_with_two_extension_requests_is_malformed(second: str) -> None:
    """R2 (SPEC §2.4 C1, C8): `cryptography` reads only the first extensionRequest (or
    msExtReq) attribute of a CSR and silently ignores another, while e.g. Go's x509 (step-ca)
    merges every extensionRequest. A CSR whose second attribute requests a DNS SAN passed C8
    here and could be issued with that SAN downstream. Such a CSR is ambiguous: C1."""
    key = ec_key("p256", "review-csr")
    identity = DeviceIdentity.build(
        format="tpm",
        public_key=key.public_key(),
        chain=(root("ReviewCsrRoot").cert,),
        acme_identifiers=(AcmeIdentifier(PERMANENT_IDENTIFIER, "dev-1"),),
    )
    clean = (
        x509.CertificateSigningRequestBuilder().subject_name(name())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    dirty = (
        x509.CertificateSigningRequestBuilder().subject_name(name())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("evil.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    verify_csr(identity, clean)
    version, subject, spki, clean_attrs = _csr_parts(clean)
    dirty_attrs = _csr_parts(dirty)[3]
    if second == "extensionRequest":
        attributes = clean_attrs + dirty_attrs
    else:  # msExtReq first (cryptography reads it), extensionRequest second (Go reads it)
        attributes = [_with_oid(clean_attrs[0], _MS_EXT_REQ), dirty_attrs[0]]
    smuggled = _signed_csr(key, [version, subject, spki, seq(attributes, tag=0xA0)])
    request = x509.load_der_x509_csr(smuggled)
    assert request.is_signature_valid
    assert not any(isinstance(e.value, x509.SubjectAlternativeName) for e in request.extensions)
    with pytest.raises(MalformedError) as exc:
        verify_csr(identity, smuggled)
    assert exc.value.code == "malformed"
    assert exc.value.check == "C1"


def test_r2_single_ms_ext_req_still_checked() -> None:
    """R2 (SPEC §2.4 C8): a lone msExtReq attribute is read by `cryptography`; its DNS SAN
    must still be refused (the fix must not drop this path)."""
    key = ec_key("p256", "review-csr")
    chain = (root("ReviewCsrRoot").cert,)
    identity = DeviceIdentity.build(format="tpm", public_key=key.public_key(), chain=chain)
    dirty = (
        x509.CertificateSigningRequestBuilder().subject_name(name())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("evil.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    version, subject, spki, attrs = _csr_parts(dirty)
    ms_only = _signed_csr(key, [version, subject, spki, seq([_with_oid(attrs[0], _MS_EXT_REQ)], tag=0xA0)])
    with pytest.raises(PolicyError) as exc:
        verify_csr(identity, ms_only)
    assert exc.value.check == "C8"
