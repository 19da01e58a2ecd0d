"""Run-time adapters that let acme2certifier 0.46.3 serve device-attest-01 with attestverify.

Each adapter wraps one acme2certifier function in this process (never its installed files);
the numbers match docs/integrations/acme2certifier.md:

1. identifier types: `permanent-identifier` and `hardware-module` are not allowed types
   (`Order._get_allowed_identifier_types`), and their values fail `validate_identifier`; we add
   both types and validate values with `attestverify.parse_identifier` (draft-09 syntax).
2. challenge set: such identifiers get only `device-attest-01`
   (`ChallengeFactory._challenge_types_for_identifier`).
3. validator: there is no device-attest-01 validator; `DeviceAttestValidator` is registered in the
   validator registry (`create_challenge_validator_registry`).
4. payload: the challenge POST payload is dropped before validation
   (`Challenge._perform_challenge_validation(name, _payload)`); we keep it for the validator, with
   the challenge's order and authorization names.
5. lower-cased keys: acme2certifier lower-cases every JSON key of a payload (`dkeys_lower`), so
   `attObj` arrives as `attobj`; the validator restores that one key and passes the payload to
   `attestverify.parse_challenge_payload` (which also turns a client's `"error"` into J1).
6. challenge errors under sqlite: the wsgi DB handler's `challenge_update` never writes
   `validation_error`, so an invalid challenge carries no problem; we write the column.
7. finalize: the CSR check compares CN/SAN with the order's dns/ip identifiers
   (`Certificate._validate_csr_against_order`); for device identifiers we restore the stored
   identity records and run `attestverify.verify_csr` (key, identifier and SAN binding) on the
   finalize payload's `csr` member as the client sent it: `Order._finalize_csr` keeps it for us,
   because acme2certifier recodes it into padded standard base64 (`b64_url_recode`) first.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from acme2certifier.acme_srv import certificate as a2c_certificate
from acme2certifier.acme_srv import challenge as a2c_challenge
from acme2certifier.acme_srv import challenge_business_logic as a2c_logic
from acme2certifier.acme_srv import order as a2c_order
from acme2certifier.acme_srv.challenge_validators.base import (
    ChallengeContext,
    ChallengeValidator,
    ValidationResult,
)
from acme2certifier.dbhandlers import wsgi_handler
from cryptography import x509

import attestverify
from attestverify import AttestationError

from . import store

DEVICE_TYPES = ("permanent-identifier", "hardware-module")
FORMATS = ("apple", "step", "tpm", "android-key")  # android-key is enabled only when listed
CHALLENGE = "device-attest-01"
_pending: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()
LOGGER = logging.getLogger("a2c_glue")


def _roots() -> dict[str, list[Any]]:
    """Per-format roots from A2C_GLUE_ROOTS (a JSON file {fmt: PEM path}); test PKIs only."""
    import os

    with open(os.environ["A2C_GLUE_ROOTS"], encoding="utf-8") as handle:
        paths = json.load(handle)
    roots = {}
    for fmt, path in paths.items():
        with open(path, "rb") as pem:
            roots[fmt] = x509.load_pem_x509_certificates(pem.read())
    return roots


class DeviceAttestValidator(ChallengeValidator):  # type: ignore[misc]
    """device-attest-01: `attestverify.verify`, then the identity record is stored (adapter 3)."""

    def get_challenge_type(self) -> str:
        return CHALLENGE

    def perform_validation(self, context: ChallengeContext) -> ValidationResult:
        with _lock:
            pending = _pending.pop(context.challenge_name, None)
        if pending is None:
            return ValidationResult(success=False, invalid=True, error_message="no challenge payload")
        # adapter 5: restore the one key the strict parser reads; "error" is lower case already
        payload = {("attObj" if key == "attobj" else key): value for key, value in pending["payload"].items()}
        key_authorization = f"{context.token}.{context.jwk_thumbprint}"
        id_type = context.authorization_type
        try:
            identity = attestverify.verify(
                attestverify.parse_challenge_payload(payload),
                key_authorization,
                _roots(),
                identifier=context.authorization_value,
                identifier_type=id_type,
                formats=FORMATS,
                # A test PKI has no status list; a real server passes a cached android.StatusList.
                android_status=attestverify.android.STATUS_UNCHECKED,
            )
        except AttestationError as err:
            # The stored error is returned to the client as the challenge's problem document.
            return ValidationResult(success=False, invalid=True, error_message=json.dumps(err.acme_problem()))
        store.save(
            pending["order"],
            pending["authorization"],
            id_type,
            context.authorization_value,
            identity.to_record(),
        )
        return ValidationResult(success=True, invalid=False)


def _patch_identifiers() -> None:  # adapter 1
    original_types = a2c_order.Order._get_allowed_identifier_types

    def allowed(self: Any) -> list[str]:
        return [*original_types(self), *DEVICE_TYPES]

    original_validate = a2c_order.validate_identifier

    def validate(logger: Any, id_type: str, identifier: str, *args: Any, **kw: Any) -> bool:
        if id_type in DEVICE_TYPES:
            try:
                attestverify.parse_identifier(id_type, identifier)
            except AttestationError:
                return False
            return True
        return bool(original_validate(logger, id_type, identifier, *args, **kw))

    a2c_order.Order._get_allowed_identifier_types = allowed
    a2c_order.validate_identifier = validate


def _patch_challenge_set() -> None:  # adapter 2
    original = a2c_logic.ChallengeFactory._challenge_types_for_identifier

    def types(self: Any, id_type: str) -> list[str]:
        if id_type and id_type.lower() in DEVICE_TYPES:
            return [CHALLENGE]
        return list(original(self, id_type))

    a2c_logic.ChallengeFactory._challenge_types_for_identifier = types


def _patch_registry() -> None:  # adapter 3
    original = a2c_challenge.create_challenge_validator_registry

    def create(logger: Any, config: Any = None) -> Any:
        registry = original(logger, config)
        registry.register_validator(DeviceAttestValidator(logger))
        return registry

    a2c_challenge.create_challenge_validator_registry = create


def _patch_payload() -> None:  # adapter 4
    original = a2c_challenge.Challenge._perform_challenge_validation

    def perform(self: Any, challenge_name: str, payload: dict[str, str]) -> bool:
        names = self.dbstore.challenge_lookup(
            "name", challenge_name, ["authorization__name", "authorization__order__name"]
        )
        with _lock:
            _pending[challenge_name] = {
                "payload": dict(payload or {}),
                "authorization": names.get("authorization"),  # the wsgi handler renames this key
                "order": names.get("authorization__order__name"),
            }
        return bool(original(self, challenge_name, payload))

    a2c_challenge.Challenge._perform_challenge_validation = perform


def _patch_validation_error() -> None:  # adapter 6
    original = wsgi_handler.DBstore.challenge_update

    def update(self: Any, data_dic: dict[str, Any]) -> None:
        error = data_dic.get("validation_error")
        original(self, data_dic)
        if error is not None:
            self._db_open()
            self.cursor.execute(
                "UPDATE challenge SET validation_error = :error WHERE name = :name",
                {"error": error, "name": data_dic["name"]},
            )
            self._db_close()

    wsgi_handler.DBstore.challenge_update = update


_payload_csr: dict[str, str] = {}  # order name -> the finalize payload's `csr` member


def _patch_finalize() -> None:  # adapter 7
    original = a2c_certificate.Certificate._validate_csr_against_order
    original_finalize = a2c_order.Order._finalize_csr

    def finalize(self: Any, order_name: str, payload: dict[str, str], header: Any = None) -> Any:
        with _lock:
            _payload_csr[order_name] = payload["csr"]
        try:
            return original_finalize(self, order_name, payload, header)
        finally:
            with _lock:
                _payload_csr.pop(order_name, None)

    def check(self: Any, certificate_name: str, csr: str) -> bool:
        order = self._get_certificate_info(certificate_name).get("order")
        identifiers = json.loads(self.repository.order_lookup("name", order, ["identifiers"])["identifiers"])
        device = [i for i in identifiers if str(i.get("type", "")).lower() in DEVICE_TYPES]
        if not device:
            return bool(original(self, certificate_name, csr))
        if len(device) != len(identifiers):
            return False  # never mix device and dns/ip identifiers in one certificate
        records = store.load(order)
        with _lock:
            payload_csr = _payload_csr.get(order)
        if payload_csr is None:
            return False
        for ident in device:
            matching = [r for t, v, r in records if t == ident["type"].lower() and v == ident["value"]]
            if len(matching) != 1:
                return False
            try:
                attestverify.verify_csr(
                    attestverify.DeviceIdentity.from_record(matching[0]),
                    payload_csr,
                    identifier=ident["value"],
                    identifier_type=ident["type"].lower(),
                )
            except AttestationError as err:
                LOGGER.warning("finalize: %s", err)
                return False
        return True

    a2c_order.Order._finalize_csr = finalize
    a2c_certificate.Certificate._validate_csr_against_order = check


def apply() -> None:
    """Install every adapter (idempotence is not needed: the launcher calls this once)."""
    _patch_identifiers()
    _patch_challenge_set()
    _patch_registry()
    _patch_payload()
    _patch_validation_error()
    _patch_finalize()
