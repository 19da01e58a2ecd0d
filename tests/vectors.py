"""The one way tests reach the copied real vectors in `testdata/` (see testdata/README.md).

`load_vector(id)` returns the manifest record with the certificates of its chain loaded and its
pinned verification time as a tz-aware datetime; tests never open vector paths themselves, and
take every other test-data path (`SWTPM_FIXTURES`, `FUZZ_REGRESSIONS`, `REPO`) from here.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import pathlib
from dataclasses import dataclass
from typing import Any

from cryptography import x509

REPO = pathlib.Path(__file__).resolve().parents[1]
"""The repository root (docs, README, the package)."""
TESTDATA = REPO / "testdata"
"""Every file a test reads lives under here; tests take paths from this module only."""
SWTPM_FIXTURES = TESTDATA / "swtpm-generated"
"""Committed swtpm `TPM2_Certify` statements (tests/swtpm_tool.py writes them)."""
FUZZ_REGRESSIONS = TESTDATA / "fuzz-regressions"
"""Fuzzer inputs that once failed, exactly as the harness saw them."""


@functools.cache
def manifest() -> dict[str, dict[str, Any]]:
    data = json.loads((TESTDATA / "vectors" / "MANIFEST.json").read_text())
    return {v["id"]: v for v in data["vectors"]}


def read_bytes(relative: str) -> bytes:
    """Bytes of a file under testdata/ (paths as written in MANIFEST.json)."""
    return (TESTDATA / relative).read_bytes()


def read_json(relative: str) -> Any:
    return json.loads(read_bytes(relative))


def _embedded(ref: str) -> bytes:
    # "path#attStmt.x5c[i]" or "path#JWS-header.x5c[i]": certificate i of an embedded x5c.
    import base64
    import re

    path, _, where = ref.partition("#")
    doc = read_json(path)
    match = re.fullmatch(r"(.*)\.x5c\[(\d+)\]", where)
    assert match, ref
    container = _find_x5c(doc, match.group(1))
    item = container[int(match.group(2))]
    return base64.b64decode(item + "=" * (-len(item) % 4)) if isinstance(item, str) else bytes(item)


def _find_x5c(doc: Any, where: str) -> list[Any]:
    def walk(node: Any) -> list[Any] | None:
        if isinstance(node, dict):
            if "x5c" in node and isinstance(node["x5c"], list):
                return node["x5c"]
            for value in node.values():
                found = walk(value)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                found = walk(value)
                if found is not None:
                    return found
        return None

    found = walk(doc)
    assert found is not None, where
    return found


def certificate_der(ref: str) -> bytes:
    """DER of one certificate reference from MANIFEST.json (PEM, DER or embedded x5c)."""
    if "#" in ref:
        return _embedded(ref)
    data = read_bytes(ref)
    if b"-----BEGIN" in data:
        return _pem_der(data)
    return data


def _pem_der(data: bytes) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)


def certificate(ref: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate_der(ref))


@dataclass(frozen=True)
class Vector:
    id: str
    record: dict[str, Any]
    now: dt.datetime | None

    @property
    def chain_der(self) -> list[bytes]:
        """The chain as DER, leaf first, trust anchor last."""
        return [certificate_der(ref) for ref in self.record["chain"]]

    @property
    def x5c_der(self) -> list[bytes]:
        """The chain without its trust anchor (what a device would send)."""
        anchor = self.record.get("trust_anchor")
        return [certificate_der(r) for r in self.record["chain"] if r != anchor]

    @property
    def anchor(self) -> x509.Certificate:
        return certificate(self.record["trust_anchor"])

    @property
    def decoded(self) -> dict[str, Any]:
        return self.record.get("decoded", {})  # type: ignore[no-any-return]

    @property
    def expected(self) -> dict[str, Any]:
        return self.record.get("expected", {})  # type: ignore[no-any-return]


def load_vector(vector_id: str) -> Vector:
    record = manifest()[vector_id]
    pinned = record.get("pinned_verification_time")
    now = dt.datetime.fromisoformat(pinned.replace("Z", "+00:00")) if pinned else None
    return Vector(vector_id, record, now)


def vector_ids(prefix: str) -> list[str]:
    return sorted(i for i in manifest() if i.startswith(prefix))
