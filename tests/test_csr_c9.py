"""Issue 12, finding 6: `verify_csr` check C9 (`policy`, SPEC v2 §2.4) and PEM with trailing data (C1).

Each test changes exactly one thing of an otherwise accepted CSR: the requested extension, its
criticality, or one Microsoft enrollment name-value pair (1.3.6.1.4.1.311.13.2.1).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pki import ec_key, root
from x509_helpers import ECDSA_SHA256, der_len, seq, tlvs, unwrap

from attestverify import DeviceIdentity, MalformedError, PolicyError, verify_csr
from attestverify.identity import PERMANENT_IDENTIFIER, AcmeIdentifier, PermanentIdentifier

MS_PAIR_OID = bytes.fromhex("2b0601040182370d0201")  # 1.3.6.1.4.1.311.13.2.1
DEVICE = "c9-device"


def _identity() -> DeviceIdentity:
    key = ec_key("p256", "c9-device")
    return DeviceIdentity.build(
        format="tpm",
        public_key=key.public_key(),
        chain=(root("C9 Root").cert,),
        acme_identifiers=(AcmeIdentifier(PERMANENT_IDENTIFIER, DEVICE),),
        permanent_identifiers=(PermanentIdentifier(DEVICE),),
    )


def _csr(
    *extensions: tuple[x509.ExtensionType, bool], cn: str | None = None
) -> x509.CertificateSigningRequest:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(ec_key("p256", "c9-device"), hashes.SHA256())


def _bmp(text: str) -> bytes:
    raw = text.encode("utf-16-be")
    return b"\x1e" + der_len(len(raw)) + raw


def _pair(name_: str, value: str) -> bytes:
    return seq([_bmp(name_), _bmp(value)])


def _attribute(values: Sequence[bytes], oid: bytes = MS_PAIR_OID) -> bytes:
    # DER SET OF: values in ascending order of their encodings (cryptography enforces it).
    return seq([b"\x06" + bytes([len(oid)]) + oid, seq(sorted(values), tag=0x31)])


def _with_attribute(
    values: Sequence[bytes], oid: bytes = MS_PAIR_OID, *, before: Sequence[bytes] = ()
) -> bytes:
    """DER of `_csr()` with attributes `before` and then `oid` holding the SET of `values`, re-signed."""
    children = tlvs(unwrap(_csr().tbs_certrequest_bytes))
    old_attributes = tlvs(unwrap(children[3])) if len(children) > 3 else []
    attributes = sorted([*old_attributes, *before, _attribute(values, oid)])  # a DER SET OF too
    info = seq([*children[:3], seq(attributes, tag=0xA0)])
    signature = ec_key("p256", "c9-device").sign(info, ec.ECDSA(hashes.SHA256()))
    return seq([info, ECDSA_SHA256, b"\x03" + der_len(len(signature) + 1) + b"\x00" + signature])


def _ku(**flags: bool) -> x509.KeyUsage:
    fields = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
         "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False,
    )  # fmt: skip
    fields.update(flags)
    return x509.KeyUsage(**fields)


UNKNOWN = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.9"), b"\x05\x00")


def test_base_csr_accepted() -> None:
    verify_csr(_identity(), _csr(cn=DEVICE), identifier=DEVICE)


REFUSED = {
    "basicConstraints-ca": (x509.BasicConstraints(ca=True, path_length=None), True),
    "basicConstraints-ca-noncritical": (x509.BasicConstraints(ca=True, path_length=0), False),
    "keyUsage-keyCertSign": (_ku(digital_signature=True, key_cert_sign=True), True),
    "keyUsage-cRLSign": (_ku(crl_sign=True), False),
    "eku-any": (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]), False),
    "eku-client-and-any": (
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]),
        True,
    ),
    "nameConstraints": (
        x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None),
        False,
    ),
    "issuerAltName": (x509.IssuerAlternativeName([x509.DNSName("ca.example")]), False),
    "unknown-critical": (UNKNOWN, True),
    "certificatePolicies-critical": (
        x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("2.5.29.32.0"), None)]),
        True,
    ),
}
ACCEPTED = {
    "basicConstraints-not-ca": (x509.BasicConstraints(ca=False, path_length=None), True),
    "keyUsage-digitalSignature": (_ku(digital_signature=True), True),
    "eku-client": (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), True),
    "unknown-noncritical": (UNKNOWN, False),
    "ski-critical": (x509.SubjectKeyIdentifier(b"\x01" * 20), True),
    "certificatePolicies-noncritical": (
        x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("2.5.29.32.0"), None)]),
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_c9_refuses_extension(case: str) -> None:
    with pytest.raises(PolicyError) as exc:
        verify_csr(_identity(), _csr(REFUSED[case]), identifier=None)
    assert exc.value.check == "C9"
    assert exc.value.code == "policy"


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_c9_accepts_extension(case: str) -> None:
    verify_csr(_identity(), _csr(ACCEPTED[case]))


def test_c9_critical_san_allowed() -> None:
    san = x509.SubjectAlternativeName([x509.DNSName("a.example")])
    verify_csr(_identity(), _csr((san, True)), allow_other_sans=True)


@pytest.mark.parametrize("pair_name", ["SAN", "san", "San", " SAN ", "\tsan\r\n", "sAn"])
def test_c9_refuses_ms_san_pair(pair_name: str) -> None:
    csr = _with_attribute([_pair(pair_name, "upn=admin@corp.example")])
    with pytest.raises(PolicyError) as exc:
        verify_csr(_identity(), csr)
    assert exc.value.check == "C9"


@pytest.mark.parametrize(
    "pair_name", ["CertificateTemplate", "SANX", "S AN", "\u00a0SAN", "\uff33\uff21\uff2e", ""]
)
def test_c9_other_ms_pairs_allowed(pair_name: str) -> None:
    verify_csr(_identity(), _with_attribute([_pair(pair_name, "upn=admin@corp.example")]))


def test_c9_every_pair_is_examined() -> None:
    first = _pair("A", "B")  # sorts before the SAN pair in the DER SET
    assert first < _pair("SAN", "dns=evil.example")
    csr = _with_attribute([first, _pair("SAN", "dns=evil.example")])
    with pytest.raises(PolicyError) as exc:
        verify_csr(_identity(), csr)
    assert exc.value.check == "C9"
    verify_csr(_identity(), _with_attribute([_pair("CertificateTemplate", "User"), _pair("Other", "x")]))


def test_c9_every_attribute_is_examined() -> None:
    # Two name-value pair attributes: the harmless first must not hide the second.
    harmless = _attribute([_pair("A", "B")])
    assert harmless < _attribute([_pair("SAN", "dns=evil.example")])  # the harmless one comes first
    with pytest.raises(PolicyError) as exc:
        verify_csr(_identity(), _with_attribute([_pair("SAN", "dns=evil.example")], before=[harmless]))
    assert exc.value.check == "C9"
    verify_csr(_identity(), _with_attribute([_pair("Other", "x")], before=[harmless]))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(seq([_bmp("SAN")]), id="one-field"),
        pytest.param(seq([_bmp("SAN"), _bmp("x"), _bmp("y")]), id="three-fields"),
        pytest.param(seq([b"\x0c\x03SAN", _bmp("x")]), id="utf8-name"),
        pytest.param(seq([_bmp("CertificateTemplate"), b"\x0c\x01x"]), id="utf8-value"),
        pytest.param(b"\x1e\x06\x00S\x00A\x00N", id="bare-bmpstring"),
        pytest.param(b"\x1e\x03\x00S\x00", id="odd-bmpstring"),
    ],
)
def test_c9_undecodable_pair_refused(value: bytes) -> None:
    with pytest.raises(PolicyError) as exc:
        verify_csr(_identity(), _with_attribute([value]))
    assert exc.value.check == "C9"


def test_c9_other_attribute_with_same_shape_ignored() -> None:
    other_oid = bytes.fromhex("2b0601040182370d0202")  # 1.3.6.1.4.1.311.13.2.2 (CSP info): not judged here
    verify_csr(_identity(), _with_attribute([_pair("SAN", "x")], oid=other_oid))


# ---- PEM followed by anything else: C1 ----------------------------------------------------------


def _pem() -> bytes:
    return _csr(cn=DEVICE).public_bytes(Encoding.PEM)


@pytest.mark.parametrize(
    "suffix",
    [b"x", b"garbage\n", b"\n-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"],
)
def test_pem_followed_by_anything_is_c1(suffix: bytes) -> None:
    for form in (_pem() + suffix, (_pem() + suffix).decode()):
        with pytest.raises(MalformedError) as exc:
            verify_csr(_identity(), form)
        assert exc.value.check == "C1"


def test_pem_two_blocks_is_c1() -> None:
    with pytest.raises(MalformedError) as exc:
        verify_csr(_identity(), _pem() + _pem())
    assert exc.value.check == "C1"


@pytest.mark.parametrize(
    "wrap", [lambda p: p, lambda p: b"  \n" + p + b"\r\n\n ", lambda p: p.replace(b"\n", b"\r\n")]
)
def test_pem_with_whitespace_only_accepted(wrap: object) -> None:
    verify_csr(_identity(), wrap(_pem()))  # type: ignore[operator]


def test_pem_new_certificate_request_label_accepted() -> None:
    verify_csr(_identity(), _pem().replace(b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"))


def test_pem_mismatched_labels_c1() -> None:
    pem = _pem().replace(b"BEGIN CERTIFICATE REQUEST", b"BEGIN NEW CERTIFICATE REQUEST")
    with pytest.raises(MalformedError) as exc:
        verify_csr(_identity(), pem)
    assert exc.value.check == "C1"


def test_multi_valued_extension_request_is_c1() -> None:
    # cryptography reads one value; another reader could merge both: ambiguous, as two attributes are.
    ext_req = bytes.fromhex("2a864886f70d01090e")  # 1.2.840.113549.1.9.14
    san = seq([bytes.fromhex("0603551d11"), b"\x04\x0d" + seq([b"\x82\x09evil.test"])])
    with pytest.raises(MalformedError) as exc:
        verify_csr(_identity(), _with_attribute([seq([]), seq([san])], oid=ext_req))
    assert exc.value.check == "C1"
