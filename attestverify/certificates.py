"""`load_certificates()`: trust anchors and intermediates from a PEM bundle or DER file.

Every integrator passing `roots=` or `intermediates=` needs the same few lines to turn a file into
`x509.Certificate` objects; this is them, strict and bounded, raising only `UsageError` (D1): the
file is the caller's configuration, never device input.
"""

from __future__ import annotations

import os
import re

from cryptography import x509

from .errors import AttestationError, MalformedError, UsageError

__all__ = ["MAX_CERTIFICATES", "MAX_SOURCE_BYTES", "load_certificates"]

MAX_SOURCE_BYTES = 4 << 20
"""Largest file or byte string read (a system CA bundle is about 200 KiB)."""

MAX_CERTIFICATES = 256
"""Most certificates returned: the bound `verify()` puts on each `roots` format and `intermediates`."""

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([^\r\n-]{1,64})-----\r?\n(.*?)-----END \1-----", re.DOTALL
)  # fmt: skip
_PEM_MARKER = b"-----BEGIN"


def _fail(message: str) -> UsageError:
    return UsageError(message, check="D1")


def _read(source: str | os.PathLike[str]) -> tuple[bytes, str]:
    path = os.fspath(source)
    if not isinstance(path, str):
        raise _fail("load_certificates needs a str or os.PathLike[str] path, or bytes")
    if _PEM_MARKER.decode() in path:
        raise _fail("load_certificates got PEM text as a str path; pass the PEM as bytes (text.encode())")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise _fail(f"cannot read certificates from {path!r:.200}: {exc.strerror or exc}") from None
    return data, repr(path)[:200]


def _split_der(data: bytes) -> list[bytes]:
    """Split concatenated DER certificates by their outer SEQUENCE lengths."""
    items: list[bytes] = []
    offset = 0
    while offset < len(data):
        if data[offset] != 0x30 or offset + 2 > len(data):
            raise _fail(f"DER data at offset {offset} is not a certificate (SEQUENCE expected)")
        first = data[offset + 1]
        header = 2
        if first < 0x80:
            length = first
        elif 0x81 <= first <= 0x83:
            count = first & 0x7F
            header += count
            if offset + header > len(data):
                raise _fail(f"DER data at offset {offset} is truncated")
            length = int.from_bytes(data[offset + 2 : offset + header], "big")
        else:
            raise _fail(f"DER data at offset {offset} has an unsupported length encoding")
        end = offset + header + length
        if end > len(data):
            raise _fail(f"DER data at offset {offset} is truncated")
        items.append(data[offset:end])
        offset = end
    return items


def _too_many(what: str) -> UsageError:
    return _fail(f"{what} holds more than {MAX_CERTIFICATES} certificates")


def _parse(data: bytes, what: str) -> tuple[x509.Certificate, ...]:
    certs: list[x509.Certificate] = []
    if _PEM_MARKER in data:
        blocks = list(_PEM_BLOCK.finditer(data))
        if len(blocks) != data.count(_PEM_MARKER):
            raise _fail(f"{what}: a PEM block has no matching END line")
        if len(blocks) > MAX_CERTIFICATES:
            raise _too_many(what)
        for number, block in enumerate(blocks, 1):
            label = block.group(1).decode("ascii", "replace")
            if label != "CERTIFICATE":
                raise _fail(f"{what}: PEM block {number} is a {label!r}, not a CERTIFICATE")
            try:
                certs.append(x509.load_pem_x509_certificate(block.group(0)))
            except ValueError:
                raise _fail(f"{what}: PEM block {number} is not a valid certificate") from None
    else:
        parts = _split_der(data)
        if len(parts) > MAX_CERTIFICATES:
            raise _too_many(what)
        for number, der in enumerate(parts, 1):
            try:
                certs.append(x509.load_der_x509_certificate(der))
            except ValueError:
                raise _fail(f"{what}: DER certificate {number} does not parse") from None
    if not certs:
        raise _fail(f"{what} holds no certificate")
    return tuple(certs)


def load_certificates(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
) -> tuple[x509.Certificate, ...]:
    """Load certificates for `roots=` or `intermediates=` from a file or from bytes.

    ```python
    anchors = attestverify.load_certificates("/etc/acme/tpm-ak-ca.pem")
    identity = attestverify.verify(att_obj, key_authorization, {"tpm": anchors})
    ```

    Args:
        source: a path (`str` or `os.PathLike`) of a file, or `bytes` / `bytearray` /
            `memoryview` holding either PEM (one or many `CERTIFICATE` blocks; text around the
            blocks, as in CA bundles, is ignored) or DER (one certificate, or several
            concatenated). At most 4 MiB and 256 certificates.

    Returns:
        The certificates in file order, as a tuple of `x509.Certificate`.

    Raises:
        UsageError: `malformed`, check D1: `source` of another type (a `str` holding PEM text
            included: pass it as bytes), an unreadable file, more than 4 MiB or 256
            certificates, no certificate, a PEM block that is not a `CERTIFICATE` (a private
            key, a CSR) or does not parse, DER that does not parse.
    """
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            data, what = bytes(source[: MAX_SOURCE_BYTES + 1]), "the certificate data"
        elif isinstance(source, (str, os.PathLike)):
            data, what = _read(source)
        else:
            raise _fail(
                f"load_certificates needs a path or bytes, not {type(source).__name__}; "
                "pass certificate objects to roots= directly"
            )
        if len(data) > MAX_SOURCE_BYTES:
            raise _fail(f"{what} is larger than {MAX_SOURCE_BYTES} bytes")
        return _parse(data, what)
    except AttestationError:
        raise
    except Exception as exc:  # the API promises AttestationError only; reaching this is a bug
        err = MalformedError(f"unexpected {type(exc).__name__} while loading certificates")
        raise err from exc
