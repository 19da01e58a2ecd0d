"""device-attest-01 end to end: certbot's `acme` client -> acme2certifier -> attestverify.

For each format: order -> challenge -> finalize -> a certificate whose key is the attested key;
then the negative paths reach the client with the right problem types: a statement bound to
another token (challenge invalid, badAttestationStatement), a CSR with another key (badCSR), and
an order for an identifier the device did not attest (rejectedIdentifier subproblem), and a
device's `{"error": ...}` payload (badAttestationStatement quoting it). The
identity travels from challenge to finalize as a record (no second verification).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from attestverify import DeviceIdentity, testing

pytestmark = pytest.mark.integration


@dataclass
class Client:
    acme: Any  # acme.client.ClientV2 (imported only when the e2e dependencies are present)
    key: Any  # josepy.JWK of the ACME account


@pytest.fixture(scope="module")
def client(a2c_server: Any) -> Iterator[Client]:
    from acme import client as acme_client_module
    from acme import messages
    from josepy.jwa import ES256
    from josepy.jwk import JWKEC

    key = JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = acme_client_module.ClientNetwork(key, alg=ES256, user_agent="attestverify-e2e")
    directory = messages.Directory.from_json(net.get(a2c_server.directory).json())
    acme = acme_client_module.ClientV2(directory, net)
    registration = acme.new_account(
        messages.NewRegistration.from_data(email="device-admin@example.invalid", terms_of_service_agreed=True)
    )
    net.account = registration
    yield Client(acme, key)


def _identifier(fmt: str, identifier_type: str) -> str:
    if fmt == "step":
        return str(10_000_000 + secrets.randbelow(90_000_000))
    if fmt == "apple":
        return "C02" + secrets.token_hex(4).upper()  # upper case: acme2certifier must keep it
    if fmt == "android-key":
        return "ANDROID" + secrets.token_hex(5).upper()
    if identifier_type == "hardware-module":
        return f"HSM-{secrets.token_hex(3)}/1.3.6.1.4.1.99999.1"
    return "EK-" + secrets.token_hex(4).upper() + "/1.3.6.1.4.1.311"


def _poll_authz(c: Client, authz: Any, deadline: float) -> Any:
    while True:
        authz, _ = c.acme.poll(authz)
        if authz.body.status.name in ("valid", "invalid") or time.monotonic() > deadline:
            return authz
        time.sleep(0.05)


def _challenge(
    c: Client,
    server: Any,
    fmt: str,
    identifier_type: str,
    *,
    attest: str | None = None,
    bind_other_token: bool = False,
) -> tuple[Any, Any, testing.TestStatement, str]:
    """Order an identifier, answer with a kit statement: (order, authz, statement, value)."""
    from integration.device_acme import DeviceAttest01Response, device_challenge, new_device_order

    value = _identifier(fmt, identifier_type)
    order = new_device_order(c.acme, identifier_type, value, b"")
    challb = device_challenge(order)
    key_authorization = challb.chall.key_authorization(c.key)
    if bind_other_token:
        key_authorization = "x" + key_authorization
    variations: dict[str, Any] = {"identifier_type": identifier_type} if fmt == "tpm" else {}
    st = testing.make_statement(fmt, key_authorization, identifier=attest or value, **variations)
    server.trust(fmt, st.roots_pem())
    c.acme.answer_challenge(challb, DeviceAttest01Response(att_obj=st.att_obj_b64))
    authz = _poll_authz(c, order.authorizations[0], time.monotonic() + 10)
    return order, authz, st, value


def _finalize(c: Client, order: Any, key: Any, value: str, identifier_type: str) -> Any:
    csr = testing.make_csr(key, value, identifier_type=identifier_type)
    pem = csr.public_bytes(serialization.Encoding.PEM)
    order = order.update(csr_pem=pem)
    deadline = dt.datetime.now() + dt.timedelta(seconds=20)
    return c.acme.finalize_order(order, deadline)


CASES = [("apple", "permanent-identifier"), ("step", "permanent-identifier"),
         ("tpm", "permanent-identifier"), ("tpm", "hardware-module"),
         ("android-key", "permanent-identifier")]  # fmt: skip


@pytest.mark.parametrize(("fmt", "identifier_type"), CASES)
def test_certificate_for_the_attested_key(
    client: Client, a2c_server: Any, fmt: str, identifier_type: str
) -> None:
    order, authz, st, value = _challenge(client, a2c_server, fmt, identifier_type)
    assert authz.body.status.name == "valid", authz.body.challenges
    done = _finalize(client, order, st.device_key, value, identifier_type)
    cert = x509.load_pem_x509_certificates(done.fullchain_pem.encode())[0]
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(*spki) == st.expected.public_key_der
    # What finalize used: the record the validator stored at the challenge.
    with sqlite3.connect(a2c_server.workdir / "records.db") as db:
        (stored,) = db.execute(
            "SELECT record FROM identity_record WHERE identifier_value = ?", (value,)
        ).fetchall()
    restored = DeviceIdentity.from_record(json.loads(stored[0]))
    assert restored.public_key_der == st.expected.public_key_der and restored.format == fmt


def _challenge_error(authz: Any) -> Any:
    (challb,) = [c for c in authz.body.challenges if c.chall.typ == "device-attest-01"]
    return challb.error


@pytest.mark.parametrize("fmt", ["apple", "step", "tpm", "android-key"])
def test_statement_for_another_token_is_rejected(client: Client, a2c_server: Any, fmt: str) -> None:
    _, authz, _, _ = _challenge(client, a2c_server, fmt, "permanent-identifier", bind_other_token=True)
    assert authz.body.status.name == "invalid"
    error = _challenge_error(authz)
    assert error.typ == "urn:ietf:params:acme:error:badAttestationStatement"


def test_csr_with_another_key_is_bad_csr(client: Client, a2c_server: Any) -> None:
    from acme import messages

    order, authz, _, value = _challenge(client, a2c_server, "step", "permanent-identifier")
    assert authz.body.status.name == "valid"
    with pytest.raises(messages.Error) as exc:
        _finalize(client, order, testing.new_key("p256"), value, "permanent-identifier")
    assert exc.value.typ == "urn:ietf:params:acme:error:badCSR"


def test_identifier_not_attested_is_rejected_identifier(client: Client, a2c_server: Any) -> None:
    _, authz, _, _ = _challenge(client, a2c_server, "step", "permanent-identifier", attest="99999999")
    assert authz.body.status.name == "invalid"
    error = _challenge_error(authz)
    assert error.typ == "urn:ietf:params:acme:error:badAttestationStatement"
    assert [s.typ for s in error.subproblems or []] == ["urn:ietf:params:acme:error:rejectedIdentifier"]


def test_device_error_payload_is_bad_attestation_statement(client: Client, a2c_server: Any) -> None:
    # An Apple client that could not attest posts {"error": ...}: the challenge fails with the
    # device's text quoted in the problem (SPEC v2 §2.6, J1).
    from integration.device_acme import DeviceAttest01Error, device_challenge, new_device_order

    order = new_device_order(client.acme, "permanent-identifier", _identifier("apple", ""), b"")
    challb = device_challenge(order)
    client.acme.answer_challenge(challb, DeviceAttest01Error(error="attestation unavailable: no network"))
    authz = _poll_authz(client, order.authorizations[0], time.monotonic() + 10)
    assert authz.body.status.name == "invalid"
    error = _challenge_error(authz)
    assert error.typ == "urn:ietf:params:acme:error:badAttestationStatement"
    assert "'attestation unavailable: no network'" in error.detail
