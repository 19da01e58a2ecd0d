"""Issue 12, finding 7: `identifier_type=None` means permanent-identifier (T, SPEC v2 §2.1, §2.4).

A device attesting the hardware-module identifier `ABC/1.2.3` must not satisfy a permanent-identifier
order for the same string: D7 and C4 call `matches(identifier, T)` with T = `identifier_type` or
`"permanent-identifier"`, C6 requires an identity SAN of type T when `identifier` is given, and the
CLI's `--identifier` without `--identifier-type` follows `verify`.
"""

from __future__ import annotations

import pathlib
from typing import Any

import cbor2
import pki
import pytest
import tpm_pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

import attestverify
from attestverify import IdentifierMismatchError, verify_csr
from attestverify.cli import main
from attestverify.identifiers import HARDWARE_MODULE, PERMANENT_IDENTIFIER

HW_VALUE = "ABC/1.2.3"
PI_VALUE = "device-7"


@pytest.fixture(scope="module")
def statement() -> tpm_pki.Statement:
    _, intermediate = tpm_pki.test_ca()
    sans = [
        *tpm_pki.tpm_directory(),
        tpm_pki.permanent_identifier_san(PI_VALUE),
        tpm_pki.hardware_module_san("1.2.3", b"ABC"),
    ]
    ak_cert = tpm_pki.ak_certificate(pki.ec_key("p256", "tpm-ak").public_key(), intermediate, san=sans)
    return tpm_pki.statement(ak_cert=ak_cert)


def _verify(st: tpm_pki.Statement, **kw: Any) -> attestverify.DeviceIdentity:
    return attestverify.verify(
        st.attobj(), pki.KEY_AUTHORIZATION, roots={"tpm": [st.root]}, now=pki.NOW, **kw
    )


def test_statement_attests_both_types(statement: tpm_pki.Statement) -> None:
    identity = _verify(statement)
    assert [(a.type, a.value) for a in identity.acme_identifiers] == [
        (PERMANENT_IDENTIFIER, PI_VALUE), (HARDWARE_MODULE, HW_VALUE),
    ]  # fmt: skip
    assert identity.matches(HW_VALUE)  # matches() itself still matches any type


def test_d7_hardware_module_value_needs_its_type(statement: tpm_pki.Statement) -> None:
    with pytest.raises(IdentifierMismatchError) as exc:
        _verify(statement, identifier=HW_VALUE)
    assert exc.value.check == "D7"
    assert exc.value.identifier_type == PERMANENT_IDENTIFIER
    assert _verify(statement, identifier=HW_VALUE, identifier_type=HARDWARE_MODULE).matches(
        HW_VALUE, HARDWARE_MODULE
    )
    with pytest.raises(IdentifierMismatchError):
        _verify(statement, identifier=HW_VALUE, identifier_type=PERMANENT_IDENTIFIER)


def test_d7_permanent_identifier_default(statement: tpm_pki.Statement) -> None:
    _verify(statement, identifier=PI_VALUE)
    _verify(statement, identifier=PI_VALUE, identifier_type=PERMANENT_IDENTIFIER)
    with pytest.raises(IdentifierMismatchError) as exc:
        _verify(statement, identifier=PI_VALUE, identifier_type=HARDWARE_MODULE)
    assert exc.value.check == "D7"


def _csr(st: tpm_pki.Statement, sans: list[x509.GeneralName]) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(st.attested, hashes.SHA256())


@pytest.fixture(scope="module")
def identity(statement: tpm_pki.Statement) -> attestverify.DeviceIdentity:
    return _verify(statement)


def test_c4_hardware_module_value_needs_its_type(
    identity: attestverify.DeviceIdentity, statement: tpm_pki.Statement
) -> None:
    request = _csr(statement, [])
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(identity, request, identifier=HW_VALUE)
    assert exc.value.check == "C4"
    verify_csr(identity, request, identifier=HW_VALUE, identifier_type=HARDWARE_MODULE)
    verify_csr(identity, request, identifier=PI_VALUE)


def test_c6_san_must_be_of_type_t(
    identity: attestverify.DeviceIdentity, statement: tpm_pki.Statement
) -> None:
    hw_san = tpm_pki.hardware_module_san("1.2.3", b"ABC")
    request = _csr(statement, [hw_san])
    # match_identity=False skips C4: C6 alone must refuse a hardware-module SAN for a T order.
    with pytest.raises(IdentifierMismatchError) as exc:
        verify_csr(identity, request, identifier=HW_VALUE, match_identity=False)
    assert exc.value.check == "C6"
    verify_csr(identity, request, identifier=HW_VALUE, identifier_type=HARDWARE_MODULE, match_identity=False)
    verify_csr(identity, request, identifier=HW_VALUE, identifier_type=HARDWARE_MODULE)
    # Without an identifier a SAN of either type is judged only against the identity.
    verify_csr(identity, request)


def test_cli_identifier_type_default(
    statement: tpm_pki.Statement, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stmt = tmp_path / "st.cbor"
    stmt.write_bytes(cbor2.dumps(statement.attobj()))
    root = tmp_path / "root.pem"
    root.write_bytes(statement.root.public_bytes(Encoding.PEM))
    base = ["verify", str(stmt), "--key-authorization", pki.KEY_AUTHORIZATION,
            "--now", pki.NOW.isoformat(), "--roots", f"tpm={root}", "--identifier", HW_VALUE]  # fmt: skip
    assert main(base) == 1
    assert "identifier-mismatch" in capsys.readouterr().err
    assert main([*base, "--identifier-type", "hardware-module"]) == 0
