"""`inspect()` hooks of the `tpm` format: the TPM structures and the AK certificate, untrusted.

The same strict decoders as verification, but nothing is checked against anything: a failing
part is reported in place as `{"error": ...}`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from .. import describe, fields
from ..asn1 import raw_extension
from ..errors import MalformedError
from . import akcert, structures
from .constants import Alg, ObjectAttribute

__all__ = ["describe_leaf", "describe_statement"]

_BLOBS = ("certInfo", "pubArea", "sig")
_MAX_STRUCTURE = 2048


def describe_statement(att_stmt: Mapping[object, object]) -> dict[str, Any]:
    """`inspect()` hook: `{"tpm": {"certInfo", "pubArea", "sig"}}`, each decoded or an error."""
    blobs = {
        key: describe.guard(
            functools.partial(fields.get_bytes, att_stmt, key, check="T4", max_len=_MAX_STRUCTURE)
        )
        for key in _BLOBS
    }
    cert_info, pub_area, sig = blobs["certInfo"], blobs["pubArea"], blobs["sig"]
    result: dict[str, Any] = {}
    result["certInfo"] = (
        describe.guard(lambda: describe.jsonable(structures.TpmsAttest.parse(cert_info)))
        if isinstance(cert_info, bytes)
        else cert_info
    )
    result["pubArea"] = (
        describe.guard(lambda: _pub_area(pub_area, cert_info)) if isinstance(pub_area, bytes) else pub_area
    )
    result["sig"] = describe.guard(lambda: _signature(sig)) if isinstance(sig, bytes) else sig
    return {"tpm": result}


def _pub_area(data: bytes, cert_info: object) -> dict[str, Any]:
    public = structures.TpmtPublic.parse(data)
    result: dict[str, Any] = describe.jsonable(public)
    del result["raw"]
    result["type_name"] = Alg.label(public.type)
    result["name_alg_name"] = Alg.label(public.name_alg)
    result["attributes"] = ObjectAttribute.flags(public.object_attributes)
    name = describe.guard(lambda: structures.compute_name(public.name_alg, data))
    if isinstance(name, bytes):
        result["name"] = name.hex()
        if isinstance(cert_info, bytes):
            attest = describe.guard(lambda: structures.TpmsAttest.parse(cert_info))
            if isinstance(attest, structures.TpmsAttest):
                # A consistency hint only: the certInfo signature is not checked here.
                result["name_matches_certInfo"] = attest.name == name
    else:
        result["name"] = name
    return result


def _signature(data: bytes) -> dict[str, Any]:
    signature = structures.TpmtSignature.parse(data)
    result: dict[str, Any] = describe.jsonable(signature)
    result["sig_alg_name"] = Alg.label(signature.sig_alg)
    result["hash_alg_name"] = Alg.label(signature.hash_alg)
    return result


def describe_leaf(cert: x509.Certificate) -> dict[str, Any]:
    """`inspect()` hook for `x5c[0]` of a `tpm` statement: `{"tpm_ak": ...}`, the T6 profile and
    T7 identities as verification would judge them (no chain is checked)."""
    return {"tpm_ak": describe.guard(lambda: _ak(cert))}


def _ak(cert: x509.Certificate) -> dict[str, Any]:
    result: dict[str, Any] = {
        "profile": describe.guard(lambda: describe.jsonable(akcert.check_profile(cert)))
    }
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        result["subject_alt_name"] = None
        return result
    if len(raw_extension(san)) > describe.MAX_EXTENSION_VALUE:
        result["subject_alt_name"] = describe.error(
            MalformedError(
                f"subjectAltName over {describe.MAX_EXTENSION_VALUE} bytes is not decoded", check="T7"
            )
        )
        return result
    directories = san.value.get_values_for_type(x509.DirectoryName)
    result["directory_names"] = [describe.name(functools.partial(_same, d)) for d in directories]
    result["identities"] = describe.guard(lambda: _ak_identities(cert))
    return result


def _same(name: x509.Name) -> x509.Name:
    return name


def _ak_identities(cert: x509.Certificate) -> dict[str, Any]:
    permanent, hardware = akcert.identities(cert)
    return {
        "permanent_identifiers": [describe.jsonable(p) | {"acme_value": p.acme_value()} for p in permanent],
        "hardware_module_names": [describe.jsonable(h) | {"acme_value": h.acme_value()} for h in hardware],
    }
