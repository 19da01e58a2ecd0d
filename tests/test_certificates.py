"""`attestverify.load_certificates`: PEM bundles and DER files for `roots=` / `intermediates=`."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pki import root

import attestverify
from attestverify import UsageError, load_certificates
from attestverify.certificates import MAX_CERTIFICATES, MAX_SOURCE_BYTES

A = root("load_certificates root A").cert
B = root("load_certificates root B").cert
PEM_A, PEM_B = A.public_bytes(Encoding.PEM), B.public_bytes(Encoding.PEM)
DER_A, DER_B = A.public_bytes(Encoding.DER), B.public_bytes(Encoding.DER)


def rejected(source: Any) -> UsageError:
    with pytest.raises(UsageError) as exc:
        load_certificates(source)
    assert exc.value.check == "D1"
    return exc.value


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PEM_A, (A,)),
        (PEM_A + PEM_B, (A, B)),
        (b"# Subject: A\n" + PEM_A + b"\n# Subject: B\n" + PEM_B.replace(b"\n", b"\r\n"), (A, B)),
        (DER_A, (A,)),
        (DER_A + DER_B, (A, B)),
    ],
    ids=["pem", "pem-bundle", "bundle-with-comments-crlf", "der", "der-concatenated"],
)
def test_forms(tmp_path: pathlib.Path, data: bytes, expected: tuple[Any, ...]) -> None:
    path = tmp_path / "certs"
    path.write_bytes(data)
    for source in (data, bytearray(data), memoryview(data), str(path), path):
        assert load_certificates(source) == expected


def test_result_is_usable_as_roots() -> None:
    # The docs' usage: a tuple of x509.Certificate that verify() accepts as one format's anchors.
    anchors = load_certificates(PEM_A)
    with pytest.raises(attestverify.AttestationError) as err:
        attestverify.verify(b"\xa0", "t." + "A" * 43, {"tpm": anchors})
    assert err.value.check == "D4"


@pytest.mark.parametrize(
    "source", [None, 12, [PEM_A], A, PEM_A.decode()], ids=["none", "int", "list", "cert", "pem-str"]
)
def test_other_types_are_usage_errors(source: object) -> None:
    rejected(source)


def test_pem_text_as_str_gets_a_hint() -> None:
    assert "as bytes" in rejected(PEM_A.decode()).message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "no certificate"),
        (b"\x30\x03\x02\x01\x01", "does not parse"),
        (DER_A[:-1], "truncated"),
        (DER_A + b"\x00", "not a certificate"),
        (
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "'PRIVATE KEY', not a CERTIFICATE",
        ),
        (
            PEM_A + b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            "block 2",
        ),
        (b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "not a valid certificate"),
        (PEM_A[:-30], "no matching END"),
    ],
    ids=[
        "empty",
        "bad-der",
        "truncated-der",
        "trailing-byte",
        "private-key",
        "csr-in-bundle",
        "bad-pem",
        "no-end",
    ],
)
def test_bad_content(data: bytes, words: str) -> None:
    assert words in rejected(data).message


def test_unreadable_path(tmp_path: pathlib.Path) -> None:
    assert "cannot read" in rejected(tmp_path / "missing.pem").message
    assert "cannot read" in rejected(str(tmp_path)).message  # a directory


def test_bounds(tmp_path: pathlib.Path) -> None:
    assert "larger than" in rejected(b"\x00" * (MAX_SOURCE_BYTES + 1)).message
    big = tmp_path / "big"
    big.write_bytes(b"#" * (MAX_SOURCE_BYTES + 1))
    assert "larger than" in rejected(big).message
    assert f"more than {MAX_CERTIFICATES}" in rejected(PEM_A * (MAX_CERTIFICATES + 1)).message
    assert f"more than {MAX_CERTIFICATES}" in rejected(DER_A * (MAX_CERTIFICATES + 1)).message
    assert len(load_certificates(PEM_A * MAX_CERTIFICATES)) == MAX_CERTIFICATES
