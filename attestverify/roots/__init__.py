"""Bundled trust anchors and path-building intermediates, as versioned data.

The PEM files next to this module are listed in `MANIFEST.json` with the SHA-256 of their DER;
`bundled()` refuses a file whose digest differs from the manifest, so a replaced file cannot
silently widen trust. Certificates are parsed once, on first use.

| format | anchors |
|---|---|
| `apple` | Apple Enterprise Attestation Root CA |
| `step` | Yubico PIV Root CA Serial 263751, Yubico Attestation Root 1 |
| `tpm` | Microsoft TPM Root Certificate Authority 2014 |
| `android-key` | Google hardware attestation root (RSA, 2022/2021/2019 issues), Key Attestation CA1 |

`step` also ships the four Yubico firmware 5.7.4+ intermediates as untrusted path-building
candidates (`bundled_intermediates("step")`); they are never anchors.
"""

from __future__ import annotations

import functools
import hashlib
import json
import pkgutil
from types import MappingProxyType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import UntrustedChainError, UsageError

__all__ = ["MANIFEST", "bundled", "bundled_intermediates"]


def _data(name: str) -> bytes:
    data = pkgutil.get_data(__name__, name)
    if data is None:  # a loader without get_data: not an installation this package supports
        raise UsageError(f"bundled file {name} cannot be read", check="D1")
    return data


def _read_manifest() -> Any:
    # pkgutil.get_data, not importlib.resources: same package data (zip installs too), without
    # importing zipfile, tempfile and the resources machinery at `import attestverify` (issue 14).
    text = _data("MANIFEST.json").decode("utf-8")
    return json.loads(text)


MANIFEST: Any = MappingProxyType(_read_manifest())
"""The parsed `MANIFEST.json`: `{"version": 1, "anchors": {fmt: [...]}, "intermediates": {fmt: [...]}}`,
each entry with `file`, `subject` (RFC 4514), `sha256` (hex, of the DER) and `not_after` (ISO 8601).
Read-only at the top level only: treat the nested values as read-only too."""


@functools.cache
def _load(kind: str, fmt: str) -> tuple[x509.Certificate, ...]:
    entries = MANIFEST[kind].get(fmt, [])
    certs = []
    for entry in entries:
        pem = _data(entry["file"])
        cert = x509.load_pem_x509_certificate(pem)
        digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
        if digest != entry["sha256"]:
            # A damaged or tampered installation must not silently widen (or change) trust.
            raise UntrustedChainError(
                f"bundled certificate {entry['file']} does not match MANIFEST.json", check="P1", rule="P1"
            )
        certs.append(cert)
    return tuple(certs)


def _known(fmt: str) -> None:
    if fmt not in MANIFEST["anchors"]:
        raise UsageError(f"no bundled anchors for format {fmt!r}", check="D1")


def bundled(format: str) -> tuple[x509.Certificate, ...]:  # noqa: A002
    """The bundled trust anchors of `format` (`"apple"`, `"step"`, `"tpm"` or `"android-key"`).

    Args:
        format: an implemented format name (exact case).

    Returns:
        The anchors in `MANIFEST` order, parsed once and cached (the same tuple every call).

    Raises:
        UsageError: (D1) for an unknown format name.
        UntrustedChainError: (`untrusted-chain`, check and rule P1) a bundled PEM file does not
            match its SHA-256 in `MANIFEST.json` (a damaged or tampered installation).
    """
    _known(format)
    return _load("anchors", format)


def bundled_intermediates(format: str) -> tuple[x509.Certificate, ...]:  # noqa: A002
    """The bundled untrusted path-building intermediates of `format` (only `step` has any).

    Args:
        format: an implemented format name (exact case).

    Returns:
        For `step` the four Yubico firmware 5.7.4+ intermediates; `()` for the other formats.

    Raises:
        UsageError: (D1) for an unknown format name.
        UntrustedChainError: (`untrusted-chain`, check and rule P1) a bundled PEM file does not
            match its SHA-256 in `MANIFEST.json`.
    """
    _known(format)
    return _load("intermediates", format)
