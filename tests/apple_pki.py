"""An Apple-like Managed Device Attestation PKI for tests (no real Apple keys exist here).

Root "Apple Enterprise Attestation Root CA"-like (P-384) -> "Apple Enterprise Attestation Sub CA 1"
-like (P-384) -> leaf with every Apple extension of SPEC §4.1, encoded as real devices do (raw
extnValue content; DER INTEGER for 8.13.1 and 8.13.3).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import cbor2
from cryptography import x509
from pki import NOT_AFTER, NOT_BEFORE, TOKEN_HASH, Issued, PrivateKey, ec_key, issue, name, raw_ext

P = "1.2.840.113635.100.8."
SERIAL = "C02XK1ABJGH5"
UDID = "00008103-001A2B3C4D5E001E"

# Every Apple leaf extension, as a real Mac sends it (values modelled on the real leaf vector).
DEFAULT_VALUES: Mapping[str, bytes] = {
    P + "9.1": SERIAL.encode(),
    P + "9.2": UDID.encode(),
    P + "9.4": b"J514sAP",
    P + "10.1": b"15.5",
    P + "10.2": b"15.5.1",
    P + "10.3": b"11881.121.1",
    P + "11.1": TOKEN_HASH,
    P + "13.1": b"\x02\x01\x00",
    P + "13.2": b"Full Security",
    P + "13.3": b"\x02\x01\x01",
}


@functools.cache
def hierarchy() -> tuple[Issued, Issued]:
    """(root, sub CA), both P-384, like Apple's."""
    root = issue(
        name(
            "Apple Enterprise Attestation Root CA",
            organization_name="Apple Inc.",
            state_or_province_name="California",
        ),
        ec_key("p384", "apple-root"),
        ca=True,
        not_before=NOT_BEFORE - dt.timedelta(days=3650),
        not_after=NOT_AFTER + dt.timedelta(days=3650),
    )
    sub = issue(
        name("Apple Enterprise Attestation Sub CA 1", organization_name="Apple Inc.", country_name="US"),
        ec_key("p384", "apple-sub"),
        root,
        ca=True,
        path_length=0,
    )
    return root, sub


def leaf(
    key: PrivateKey | None = None,
    *,
    values: Mapping[str, bytes | None] | None = None,
    issuer: Issued | None = None,
    ca: bool | None = False,
    not_after: dt.datetime = NOT_AFTER,
) -> Issued:
    """An Apple-like leaf; `values` overrides DEFAULT_VALUES (an OID mapped to None is dropped)."""
    merged: dict[str, bytes | None] = dict(DEFAULT_VALUES)
    if values is not None:
        merged.update(values)
    extensions = [raw_ext(oid, value) for oid, value in merged.items() if value is not None]
    return issue(
        name(
            "f3999096be4f8b05a3441129b42aa2198bba5c398116509166cbf2ca15b0b1aa",
            organizational_unit_name="AAA Certification",
            organization_name="Apple Inc.",
        ),
        key or ec_key("p384", "apple-leaf"),
        issuer or hierarchy()[1],
        ca=ca,
        extensions=extensions,
        not_after=not_after,
    )


def att_obj(x5c: list[bytes], **extra: object) -> bytes:
    """CBOR attestation object `{"fmt": "apple", "attStmt": {"x5c": x5c, **extra}}`."""
    return cbor2.dumps({"fmt": "apple", "attStmt": {"x5c": x5c, **extra}})


def root_cert() -> x509.Certificate:
    return hierarchy()[0].cert
