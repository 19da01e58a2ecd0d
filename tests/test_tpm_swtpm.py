"""Fresh `TPM2_Certify` statements from a software TPM (swtpm + tpm2-pytss), verified end to end.

Skipped, with the reason, when `swtpm` or `tpm2_pytss` is missing; CI without them still verifies
the committed real swtpm output in tests/test_tpm.py. One swtpm process serves the session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import cbor2
import optional
import pki
import pytest
import swtpm_tool

import attestverify
from attestverify.errors import (
    BadSignatureError,
    ChallengeMismatchError,
    KeyMismatchError,
    PolicyError,
)
from attestverify.tpm import structures

pytestmark = pytest.mark.swtpm

optional.require_binary("swtpm", "apt-get install swtpm swtpm-tools")
optional.require_module("tpm2_pytss", "pip install '.[swtpm]'")

KA_DIGEST = hashlib.sha256(pki.KEY_AUTHORIZATION.encode()).digest()


@pytest.fixture(scope="session")
def esapi() -> Iterator[Any]:
    with swtpm_tool.Swtpm() as tpm:
        context = swtpm_tool.open_esapi(tpm)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def certified(esapi: Any) -> dict[str, swtpm_tool.Certified]:
    return {
        name: swtpm_tool.certify(esapi, name, ak_t, key_t, alg, KA_DIGEST)
        for name, ak_t, key_t, alg in swtpm_tool.VARIANTS
    }


def _verify(attobj: bytes, root: Any, **kw: Any) -> attestverify.DeviceIdentity:
    return attestverify.verify(attobj, pki.KEY_AUTHORIZATION, roots={"tpm": [root]}, now=pki.NOW, **kw)


def _with(out: swtpm_tool.Certified, **changes: Any) -> tuple[bytes, Any]:
    attobj, root = swtpm_tool.attestation_object(out)
    decoded = cbor2.loads(attobj)
    decoded["attStmt"].update(changes)
    return cbor2.dumps(decoded), root


@pytest.mark.parametrize("variant", [v[0] for v in swtpm_tool.VARIANTS])
def test_fresh_statement_verifies(certified: dict[str, swtpm_tool.Certified], variant: str) -> None:
    out = certified[variant]
    attobj, root = swtpm_tool.attestation_object(out)
    expected = f"{swtpm_tool.permanent_identifier_value(out)}/{swtpm_tool.PERMANENT_ID_ASSIGNER}"
    identity = _verify(attobj, root, identifier=expected)
    assert identity.identifiers == (expected,)
    assert identity.tpm is not None
    assert identity.tpm.manufacturer == out.manufacturer
    assert identity.tpm.alg == out.alg
    assert identity.tpm.key_type == ("RSA" if variant.endswith("key-rsa") else "ECC")
    public = structures.TpmtPublic.parse(out.pub_area)
    assert identity.tpm.object_attributes == public.object_attributes


@pytest.mark.parametrize("variant", [v[0] for v in swtpm_tool.VARIANTS])
def test_fresh_structures_match_tpm2_pytss(certified: dict[str, swtpm_tool.Certified], variant: str) -> None:
    from tpm2_pytss.types import TPMS_ATTEST, TPMT_PUBLIC, TPMT_SIGNATURE

    out = certified[variant]
    theirs, _ = TPMS_ATTEST.unmarshal(out.cert_info)
    ours = structures.TpmsAttest.parse(out.cert_info)
    assert ours.extra_data == bytes(theirs.extraData) == KA_DIGEST
    assert ours.name == bytes(theirs.attested.certify.name)
    assert ours.firmware_version == int(theirs.firmwareVersion)
    their_public, _ = TPMT_PUBLIC.unmarshal(out.pub_area)
    ours_public = structures.TpmtPublic.parse(out.pub_area)
    assert structures.compute_name(ours_public.name_alg, out.pub_area) == bytes(their_public.get_name())
    their_sig, _ = TPMT_SIGNATURE.unmarshal(out.sig)
    assert structures.TpmtSignature.parse(out.sig).sig_alg == int(their_sig.sigAlg)


def test_fresh_wrong_key_authorization(certified: dict[str, swtpm_tool.Certified]) -> None:
    attobj, root = swtpm_tool.attestation_object(certified["ak-ecc-key-ecc"])
    with pytest.raises(ChallengeMismatchError) as exc:
        attestverify.verify(attobj, "other." + "C" * 43, roots={"tpm": [root]}, now=pki.NOW)
    assert exc.value.check == "T10"


@pytest.mark.parametrize("variant", ["ak-ecc-key-ecc", "ak-rsa-key-rsa"])
def test_fresh_flipped_signature(certified: dict[str, swtpm_tool.Certified], variant: str) -> None:
    out = certified[variant]
    sig = bytearray(out.sig)
    sig[-3] ^= 0x01
    attobj, root = _with(out, sig=bytes(sig))
    with pytest.raises(BadSignatureError) as exc:
        _verify(attobj, root)
    assert exc.value.check == "T9"


def test_fresh_another_keys_pub_area(certified: dict[str, swtpm_tool.Certified]) -> None:
    out = certified["ak-ecc-key-ecc"]
    attobj, root = _with(out, pubArea=certified["ak-rsa-key-ecc"].pub_area)
    with pytest.raises(KeyMismatchError) as exc:
        _verify(attobj, root)
    assert exc.value.check == "T12"


def test_fresh_rs1_disabled(certified: dict[str, swtpm_tool.Certified]) -> None:
    attobj, root = swtpm_tool.attestation_object(certified["ak-rsa-rs1-key-rsa"])
    with pytest.raises(PolicyError) as exc:
        _verify(attobj, root, tpm_allow_rs1=False)
    assert exc.value.check == "T2"


def test_fresh_restricted_attested_key(esapi: Any) -> None:
    from tpm2_pytss.constants import TPMA_OBJECT

    out = swtpm_tool.certify(
        esapi, "restricted", "ecc256:ecdsa-sha256:null", "ecc256:ecdsa-sha256:null", -7, KA_DIGEST,
        key_extra_attributes=int(TPMA_OBJECT.RESTRICTED),
    )  # fmt: skip
    attobj, root = swtpm_tool.attestation_object(out)
    with pytest.raises(PolicyError) as exc:
        _verify(attobj, root)
    assert exc.value.check == "T13"


def test_fresh_sha1_name_alg(esapi: Any) -> None:
    out = swtpm_tool.certify(
        esapi, "sha1-name", "ecc256:ecdsa-sha256:null", "ecc256", -7, KA_DIGEST, key_name_alg="sha1"
    )
    attobj, root = swtpm_tool.attestation_object(out)
    with pytest.raises(PolicyError) as exc:
        _verify(attobj, root)
    assert exc.value.check == "T11"
