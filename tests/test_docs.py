"""The code in the documentation runs as written (docs/acme.md, the README usage block).

Each page's ```python blocks are executed in order, in one namespace, then the functions they
define are called with generated statements of every format (statements.py and the *_pki
helpers), including the failure paths whose ACME problem documents the page promises.
"""

from __future__ import annotations

import base64
import json
import pathlib
import re
import sys
import types
from typing import Any

import apple_pki
import cbor2
import pki
import pytest
import statements
import tpm_pki
import yubikey_pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from vectors import REPO

import attestverify

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
ACME = "urn:ietf:params:acme:error:"
TPM_DEVICE_ID = "TPM-4711"


def _run_blocks(path: pathlib.Path) -> dict[str, Any]:
    blocks = _BLOCK.findall(path.read_text(encoding="utf-8"))
    assert blocks, f"no python blocks in {path.name}"
    # A real module, so that dataclasses and pickling find it, as a reader's file would be.
    module = types.ModuleType(f"docs_{path.stem.lower()}")
    sys.modules[module.__name__] = module
    for index, block in enumerate(blocks):
        # dont_inherit: run the block as written, without this file's `from __future__` imports.
        code = compile(block, f"{path.name}[block {index}]", "exec", dont_inherit=True)
        exec(code, module.__dict__)
    return module.__dict__


@pytest.fixture(scope="module")
def acme() -> dict[str, Any]:
    return _run_blocks(REPO / "docs" / "acme.md")


@pytest.fixture(scope="module")
def readme() -> dict[str, Any]:
    return _run_blocks(REPO / "README.md")


def _payload(att_obj: bytes) -> bytes:
    b64 = base64.urlsafe_b64encode(att_obj).rstrip(b"=").decode()
    return json.dumps({"attObj": b64}).encode()


def _csr(key: Any, sans: list[x509.GeneralName] | None = None, cn: str | None = None) -> bytes:
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)] if cn else [])
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(Encoding.DER)


def _permanent(value: str) -> list[x509.GeneralName]:
    return [tpm_pki.permanent_identifier_san(value)]


def _authz(ns: dict[str, Any], value: str, case: statements.Case) -> Any:
    return ns["Authorization"]("permanent-identifier", value, case.key_authorization)


def test_acme_new_order_identifier_syntax(acme: dict[str, Any]) -> None:
    check = acme["check_order_identifier"]
    assert check({"type": "permanent-identifier", "value": "C02XK1ABJGH5"}) is None
    assert check({"type": "hardware-module", "value": "4711/1.3.6.1.4.1.99"}) is None
    problem = check({"type": "hardware-module", "value": "4711"})
    assert problem["type"] == ACME + "malformed" and problem["status"] == 400


def test_acme_apple_challenge_then_finalize(acme: dict[str, Any]) -> None:
    case = statements.apple()
    roots = {"apple": list(case.roots)}
    authz = _authz(acme, apple_pki.SERIAL, case)
    identity = acme["validate_challenge"](authz, _payload(case.cbor), roots=roots, now=case.now)
    assert identity is not None and authz.status == "valid" and authz.error is None
    assert authz.fingerprint == identity.fingerprint and authz.validated_at == case.now

    leaf_key = pki.ec_key("p384", "apple-leaf")
    good = _csr(leaf_key, _permanent(apple_pki.SERIAL))
    assert acme["finalize"](authz, good) is None
    assert json.loads(authz.record)["record"] == 1  # stored as JSON, restored without re-verifying

    other_key = _csr(pki.ec_key("p384", "not-attested"), _permanent(apple_pki.SERIAL))
    problem = acme["finalize"](authz, other_key)
    assert problem["type"] == ACME + "badCSR" and problem["status"] == 400

    other_identity = _csr(leaf_key, _permanent("SOMEONE-ELSE"))
    problem = acme["finalize"](authz, other_identity)
    assert problem["type"] == ACME + "badCSR"
    assert problem["subproblems"][0]["type"] == ACME + "rejectedIdentifier"

    dns = _csr(leaf_key, [*_permanent(apple_pki.SERIAL), x509.DNSName("example.com")])
    assert acme["finalize"](authz, dns)["type"] == ACME + "badCSR"

    forged = json.loads(authz.record)
    forged["public_key_der"] = (
        base64.urlsafe_b64encode(
            pki.ec_key("p384", "not-attested")
            .public_key()
            .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        )
        .rstrip(b"=")
        .decode()
    )
    authz.record = json.dumps(forged)  # a store writer swapping the key: fingerprint no longer matches
    with pytest.raises(attestverify.MalformedError) as exc:
        acme["finalize"](authz, other_key)
    assert exc.value.check == "R1"


def test_acme_challenge_failures_become_problems(acme: dict[str, Any]) -> None:
    case = statements.apple()
    roots = {"apple": list(case.roots)}
    wrong = _authz(acme, "NOT-THIS-DEVICE", case)
    assert acme["validate_challenge"](wrong, _payload(case.cbor), roots=roots, now=case.now) is None
    assert wrong.status == "invalid"
    assert wrong.error["type"] == ACME + "badAttestationStatement"
    assert wrong.error["subproblems"][0]["identifier"]["value"] == "NOT-THIS-DEVICE"

    bundled = _authz(acme, apple_pki.SERIAL, case)  # the test PKI does not chain to Apple's root
    assert acme["validate_challenge"](bundled, _payload(case.cbor), now=case.now) is None
    assert bundled.error["type"] == ACME + "badAttestationStatement"

    garbage = _authz(acme, apple_pki.SERIAL, case)
    assert acme["validate_challenge"](garbage, b'{"attObj": 1}', roots=roots, now=case.now) is None
    assert garbage.status == "invalid"

    not_ready = _authz(acme, apple_pki.SERIAL, case)
    assert acme["finalize"](not_ready, b"")["type"] == ACME + "orderNotReady"


def test_acme_usage_errors_are_not_client_problems(acme: dict[str, Any]) -> None:
    case = statements.apple()
    authz = acme["Authorization"]("permanent-identifier", apple_pki.SERIAL, pki.TOKEN)  # no thumbprint
    with pytest.raises(attestverify.UsageError) as exc:
        acme["validate_challenge"](authz, _payload(case.cbor), now=case.now)
    assert exc.value.check == "D1"
    assert authz.status == "pending"


def test_acme_tpm_with_own_ak_ca(acme: dict[str, Any]) -> None:
    san = [*tpm_pki.tpm_directory(), tpm_pki.permanent_identifier_san(TPM_DEVICE_ID)]
    st = tpm_pki.statement(san=san)
    case = statements._case("tpm-doc", st.attobj(), (st.root,))
    assert acme["ROOTS"] is None
    roots = {"tpm": attestverify.load_certificates(st.root.public_bytes(Encoding.PEM))}
    authz = _authz(acme, TPM_DEVICE_ID, case)
    identity = acme["validate_challenge"](authz, _payload(case.cbor), roots=roots, now=case.now)
    assert identity is not None and identity.format == "tpm", authz.error
    assert acme["finalize"](authz, _csr(st.attested, _permanent(TPM_DEVICE_ID))) is None
    ak_csr = _csr(st.ak, _permanent(TPM_DEVICE_ID))  # the AK is never the attested key
    assert acme["finalize"](authz, ak_csr)["type"] == ACME + "badCSR"


def test_acme_decoupled_identifier(acme: dict[str, Any]) -> None:
    case = statements.step("p256")
    roots = {"step": list(case.roots)}
    slot_key = yubikey_pki.slot_key("p256")
    inventory = {attestverify.fingerprint(slot_key.public_key()): "asset-42"}

    def allowed(identity: attestverify.DeviceIdentity, value: str) -> bool:
        return inventory.get(identity.fingerprint) == value

    authz = _authz(acme, "asset-42", case)
    identity = acme["validate_challenge_decoupled"](
        authz, _payload(case.cbor), allowed, roots=roots, now=case.now
    )
    assert identity is not None and identity.identifiers == ("15732500",)
    assert acme["finalize_decoupled"](authz, identity, _csr(slot_key, _permanent("asset-42"))) is None
    problem = acme["finalize_decoupled"](authz, identity, _csr(slot_key, _permanent("15732500")))
    assert problem["subproblems"][0]["type"] == ACME + "rejectedIdentifier"

    refused = _authz(acme, "asset-43", case)
    assert (
        acme["validate_challenge_decoupled"](refused, _payload(case.cbor), allowed, roots=roots, now=case.now)
        is None
    )
    assert refused.error["type"] == ACME + "rejectedIdentifier"


def test_acme_mdm_device_properties(acme: dict[str, Any]) -> None:
    root, sub = apple_pki.hierarchy()
    nonce = b"mdm-nonce-0123456789"
    leaf = apple_pki.leaf(values={apple_pki.P + "11.1": nonce})
    props = acme["device_properties"]([leaf.der, sub.der], nonce, roots=[root.cert], now=pki.NOW)
    assert props["serial_number"] == apple_pki.SERIAL and props["udid"] == apple_pki.UDID
    assert props["sip_enabled"] is True and props["secure_boot"] == "Full Security"
    with pytest.raises(attestverify.ChallengeMismatchError) as exc:
        acme["device_properties"]([leaf.der, sub.der], b"another nonce", roots=[root.cert], now=pki.NOW)
    assert exc.value.check == "A6"


PERMANENT = "permanent-identifier"


@pytest.mark.parametrize("case", [statements.apple(), statements.step("ed25519")], ids=lambda c: c.name)
def test_readme_usage_block(readme: dict[str, Any], case: statements.Case) -> None:
    options = {"roots": {case.fmt: list(case.roots)}, "now": case.now}
    value = apple_pki.SERIAL if case.fmt == "apple" else "15732500"
    identity, problem = readme["on_challenge"](
        _payload(case.cbor), case.key_authorization, PERMANENT, value, **options
    )
    assert problem is None and identity.identifiers[-1] == value
    key = pki.ec_key("p384", "apple-leaf") if case.fmt == "apple" else yubikey_pki.slot_key("ed25519")
    assert readme["on_finalize"](identity, _csr(key, _permanent(value)), PERMANENT, value) is None
    other = _csr(ec.generate_private_key(ec.SECP256R1()), _permanent(value))
    assert readme["on_finalize"](identity, other, PERMANENT, value)["type"] == ACME + "badCSR"

    _, problem = readme["on_challenge"](
        _payload(case.cbor), case.key_authorization, PERMANENT, "nope", **options
    )
    assert problem["subproblems"][0]["type"] == ACME + "rejectedIdentifier"
    _, problem = readme["on_challenge"](
        cbor2.dumps({"fmt": "x"}), case.key_authorization, PERMANENT, value, **options
    )
    assert problem["type"] == ACME + "badAttestationStatement"
