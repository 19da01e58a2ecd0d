"""Harness: `attestverify.verify_csr` on fuzzed CSR bytes (DER or PEM).

The identity is built from `fuzz/seeds/_pki/csr-identity.json` (its key signed the seed CSRs).
Byte 0 picks the options (identifier, identifier_type, match_identity, allow_other_sans,
require/forbid identifier in CSR). A CSR accepted must carry the identity's key and a valid
self-signature (checked independently with `cryptography`): anything else is a forgery. A body
that is not PEM is also passed as the finalize payload's `str` form (unpadded base64url): the
outcome must be the same as for the bytes.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import common
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import attestverify
from attestverify.identity import AcmeIdentifier, DeviceIdentity, PermanentIdentifier


@functools.cache
def _identity() -> tuple[DeviceIdentity, tuple[str, ...]]:
    spec = json.loads((common.PKI / "csr-identity.json").read_text())
    key = serialization.load_pem_public_key(spec["public_key_pem"].encode())
    permanent = tuple(PermanentIdentifier(value=v, assigner=a) for v, a in spec["permanent_identifiers"])
    acme = tuple(AcmeIdentifier("permanent-identifier", p.acme_value() or "") for p in permanent)
    identity = DeviceIdentity.build(
        format="tpm",
        public_key=key,  # type: ignore[arg-type]
        chain=(),
        acme_identifiers=acme,
        permanent_identifiers=permanent,
    )
    return identity, (*identity.identifiers, "other-device", "")


def _independent_ok(data: bytes, identity: DeviceIdentity) -> bool:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            csr = x509.load_pem_x509_csr(data)
        else:
            csr = x509.load_der_x509_csr(data)
        spki = csr.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return spki == identity.public_key_der and csr.is_signature_valid
    except Exception:
        return False


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    identity, identifiers = _identity()
    b0, body = data[0], data[1:]
    kwargs: dict[str, Any] = {
        "match_identity": not b0 & 0x08,
        "allow_other_sans": bool(b0 & 0x10),
        "require_identifier_in_csr": bool(b0 & 0x20),
        "forbid_identifier_in_csr": bool(b0 & 0x40),
    }
    if b0 & 0x01:
        kwargs["identifier"] = identifiers[(b0 >> 1) % len(identifiers)]
    if b0 & 0x80:
        kwargs["identifier_type"] = "permanent-identifier" if b0 & 0x04 else "hardware-module"
    outcome = _outcome(identity, body, kwargs)
    if not body.lstrip().startswith(b"-----BEGIN"):
        text = base64.urlsafe_b64encode(body).rstrip(b"=").decode("ascii")
        if _outcome(identity, text, kwargs) != outcome:
            raise common.Finding("verify_csr judged the base64url str unlike the same DER bytes")
    if outcome is None and not _independent_ok(body, identity):
        raise common.Finding("verify_csr accepted a CSR without the identity key or a valid signature")


def _outcome(
    identity: DeviceIdentity, csr: bytes | str, kwargs: dict[str, Any]
) -> tuple[str, str | None] | None:
    """`None` when `csr` is accepted, else the failure's (code, check)."""
    try:
        attestverify.verify_csr(identity, csr, **kwargs)
    except attestverify.AttestationError as err:
        common.check_error(err)
        return err.code, err.check
    return None


if __name__ == "__main__":
    common.main(test_one_input)
