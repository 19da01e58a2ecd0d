"""Client classes for device-attest-01 on top of certbot's `acme` package (draft-ietf-acme-device-attest-09).

`acme` knows dns and ip identifiers and the RFC 8555 challenges only: these classes add the
`permanent-identifier` / `hardware-module` identifier types, the `device-attest-01` challenge
and its response `{"attObj": ...}` (or a device's `{"error": ...}`), and an order for device
identifiers (`ClientV2.new_order` derives dns/ip identifiers from the CSR, which has none here).
"""

from __future__ import annotations

from typing import Any

from acme import challenges, client, messages
from josepy.json_util import field
from josepy.jwk import JWK

PERMANENT_IDENTIFIER = messages.IdentifierType("permanent-identifier")
HARDWARE_MODULE = messages.IdentifierType("hardware-module")


@challenges.ChallengeResponse.register
class DeviceAttest01Response(challenges.ChallengeResponse):
    """The device-attest-01 response payload: `{"attObj": "<base64url CBOR>"}`."""

    typ = "device-attest-01"
    att_obj: str = field("attObj")


class DeviceAttest01Error(challenges.ChallengeResponse):
    """What an Apple client posts instead when the device could not attest: `{"error": "..."}`.

    Not registered: `DeviceAttest01Response` is the type's response class; this one is only sent.
    """

    typ = "device-attest-01"
    error: str = field("error")


@challenges.Challenge.register
class DeviceAttest01(challenges.KeyAuthorizationChallenge):
    """The device-attest-01 challenge (a token; the device binds the key authorization)."""

    typ = "device-attest-01"
    response_cls = DeviceAttest01Response

    def validation(self, account_key: JWK, **unused_kwargs: Any) -> str:
        return self.key_authorization(account_key)


def new_device_order(
    acme: client.ClientV2, identifier_type: str, value: str, csr_pem: bytes
) -> messages.OrderResource:
    """newOrder for one device identifier, with its authorizations fetched (as `new_order` does)."""
    order = messages.NewOrder(
        identifiers=[messages.Identifier(typ=messages.IdentifierType(identifier_type), value=value)]
    )
    response = acme._post(acme.directory["newOrder"], order)
    body = messages.Order.from_json(response.json())
    authorizations = [
        acme._authzr_from_response(acme._post_as_get(url), uri=url) for url in body.authorizations
    ]
    return messages.OrderResource(
        body=body, uri=response.headers.get("Location"), authorizations=authorizations, csr_pem=csr_pem
    )


def device_challenge(order: messages.OrderResource) -> messages.ChallengeBody:
    """The device-attest-01 challenge of the order's single authorization."""
    (authz,) = order.authorizations
    (challb,) = [c for c in authz.body.challenges if isinstance(c.chall, DeviceAttest01)]
    return challb
