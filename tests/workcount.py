"""Counting the expensive work of a verification instead of timing it (deterministic under load).

`PublicKeyOps` wraps the two places where a certificate signature is checked: the pinned
validator's `certsig.verifier` callables and the tier-1 validator `x509path._tier1` (cryptography's
Rust verifier, which cannot be instrumented from inside). An RSA key with an exponent above 64 bits
is what turns one signature check into seconds of modular exponentiation; each time such a key
would reach a check it is recorded in `huge` and the check is skipped (InvalidSignature, or a tier-1
refusal), so a regression is reported by the counter instead of costing the time.

`CborWork` and `count_cbor_reads` count the size-dependent work of `cbor.decode_statement`: the
base64url checks and decodes, CBOR scans, cbor2 decodes, and the input bytes the scanner reads.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa

from attestverify import api, cbor, certsig, x509path

_HUGE_EXPONENT_BITS = 64


def huge_exponent(key: object) -> bool:
    """Whether `key` is RSA with a public exponent too large to be safe in a signature check."""
    return isinstance(key, rsa.RSAPublicKey) and key.public_numbers().e.bit_length() > _HUGE_EXPONENT_BITS


def _cert_key(cert: x509.Certificate) -> object:
    try:
        return cert.public_key()
    except Exception:  # noqa: BLE001 - an unreadable key cannot be used in a check either
        return None


class PublicKeyOps:
    """Counts signature checks: `checks` performed, `huge` attempted under a huge-exponent key."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.checks = 0
        self.huge = 0
        real_verifier = certsig.verifier
        real_tier1 = x509path._tier1

        def verifier(alg: certsig.SigAlg, key: object) -> Callable[[bytes, bytes], None] | str:
            verify = real_verifier(alg, key)
            if isinstance(verify, str):
                return verify

            def counted(signature: bytes, data: bytes) -> None:
                if huge_exponent(key):
                    self.huge += 1
                    raise InvalidSignature
                self.checks += 1
                verify(signature, data)

            return counted

        def tier1(
            leaf: x509.Certificate,
            candidates: list[x509.Certificate],
            anchors: Any,
            now: datetime,
        ) -> tuple[tuple[x509.Certificate, ...] | None, str]:
            # Any huge-exponent issuer handed to the Rust verifier may be used in a check there.
            # The anchors arrive as a cached `Store` (already key-checked, not enumerable) or a list.
            listed = anchors if isinstance(anchors, (list, tuple)) else []
            reaching = sum(huge_exponent(_cert_key(c)) for c in [*candidates, *listed])
            if reaching:
                self.huge += reaching
                return None, "a huge-exponent key reached the tier-1 verifier (counted, not run)"
            self.checks += 1
            return real_tier1(leaf, candidates, anchors, now)

        monkeypatch.setattr(certsig, "verifier", verifier)
        monkeypatch.setattr(x509path, "_tier1", tier1)


class CborWork:
    """Counts the size-dependent work of `decode_statement`: base64url checks and decodes, CBOR
    scans and cbor2 decodes. Counted, not timed: CI runs on a loaded machine."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: dict[str, int] = {"alphabet": 0, "b64decode": 0, "scan": 0, "cbor2": 0}
        pattern, scan = cbor._BASE64URL, cbor._scan

        def alphabet(text: str) -> object:
            self.calls["alphabet"] += 1
            return pattern.fullmatch(text)

        def b64decode(text: str) -> bytes:
            self.calls["b64decode"] += 1
            return base64.urlsafe_b64decode(text)

        def scanning(data: bytes, check: str, *, text_keys: bool) -> None:
            self.calls["scan"] += 1
            scan(data, check, text_keys=text_keys)

        def loads(data: bytes) -> object:
            self.calls["cbor2"] += 1
            raise ValueError("counted, not decoded")  # the scan passed: only the count matters here

        monkeypatch.setattr(cbor, "_BASE64URL", SimpleNamespace(fullmatch=alphabet))
        monkeypatch.setattr(cbor, "base64", SimpleNamespace(urlsafe_b64decode=b64decode))
        monkeypatch.setattr(cbor, "_scan", scanning)
        monkeypatch.setattr(cbor, "cbor2", SimpleNamespace(loads=loads))


class _CountedBytes(bytes):
    """Input bytes that count what the scanner reads: one per indexed byte, a slice's length."""

    reads: list[int]

    def __getitem__(self, key: Any) -> Any:
        item: Any = super().__getitem__(key)
        self.reads[0] += len(item) if isinstance(key, slice) else 1
        return item


def count_cbor_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the input bytes the CBOR scanner reads (its work: it never recurses)."""
    reads = [0]
    init = cbor._Scanner.__init__

    def counting(scanner: Any, data: bytes, check: str, *, text_keys: bool) -> None:
        counted = _CountedBytes(data)
        counted.reads = reads
        init(scanner, counted, check, text_keys=text_keys)

    monkeypatch.setattr(cbor._Scanner, "__init__", counting)
    return reads


def count_format_verifiers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calls `verify()` makes into a format verifier (apple, step, tpm, android-key)."""
    calls = [0]

    def counting(real: Callable[..., Any]) -> Callable[..., Any]:
        def verify_statement(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            return real(*args, **kwargs)

        return verify_statement

    for fmt, real in list(api._REGISTRY.items()):
        monkeypatch.setitem(api._REGISTRY, fmt, counting(real))
    return calls
