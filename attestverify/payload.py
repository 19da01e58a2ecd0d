"""The ACME challenge response payload `{"attObj": "..."}` (check J1).

The payload is JSON from the network, so decoding is bounded: at most 1 MiB, strict UTF-8, and a
nesting depth checked *before* `json` recurses into it (the C scanner recurses once per level).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Union

from .errors import MalformedError, public_boundary, quote, shown
from .jsonlimits import nests_deeper_than, reject_constant

__all__ = ["MAX_PAYLOAD_BYTES", "MAX_JSON_DEPTH", "parse_challenge_payload"]

MAX_PAYLOAD_BYTES = 1 << 20
"""Largest accepted payload (bytes, or characters for `str`); an attObj is at most ~87 kB."""

MAX_JSON_DEPTH = 64
"""Deepest accepted JSON nesting; the real payload is one flat object."""

_MEMBER = "attObj"
_ERROR = "error"  # what an Apple client sends instead when the device could not attest
_ERROR_QUOTE = 64  # bytes of the device's error text quoted in the message

Payload = Union[bytes, bytearray, memoryview, str, Mapping[object, object]]  # noqa: UP007 - runtime alias on 3.10


class _Ambiguous(dict):  # type: ignore[type-arg]
    """A JSON object that named `attObj` more than once (`json` would silently keep the last)."""


def _pairs_hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj: dict[str, object] = _Ambiguous(pairs) if sum(k == _MEMBER for k, _ in pairs) > 1 else dict(pairs)
    return obj


def _fail(message: str) -> MalformedError:
    return MalformedError(message, check="J1")


def _check_depth(text: str) -> None:
    if nests_deeper_than(text, MAX_JSON_DEPTH):
        raise _fail(f"the payload nests deeper than {MAX_JSON_DEPTH} levels")


def _decode_json(text: str) -> object:
    _check_depth(text)
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=reject_constant)
    except RecursionError:
        raise _fail("the payload nests too deeply") from None
    except ValueError as exc:  # JSONDecodeError, huge integers, NaN/Infinity
        raise _fail(f"the payload is not valid JSON: {str(exc)[:80]}") from None


def _as_text(payload: object) -> str:
    if isinstance(payload, str):
        if not 1 <= len(payload) <= MAX_PAYLOAD_BYTES:
            raise _fail(f"the payload must hold 1 ... {MAX_PAYLOAD_BYTES} characters")
        return payload
    if isinstance(payload, (bytes, bytearray, memoryview)):
        data = bytes(payload)
        if not 1 <= len(data) <= MAX_PAYLOAD_BYTES:
            raise _fail(f"the payload must hold 1 ... {MAX_PAYLOAD_BYTES} bytes")
        try:
            return data.decode("utf-8", "strict")
        except UnicodeDecodeError:
            raise _fail("the payload is not UTF-8") from None
    raise _fail(f"the payload must be bytes, str or a mapping, not {type(payload).__name__}")


def _device_error(value: object) -> MalformedError:
    """J1 for a payload carrying `"error"`: the client reports that attestation failed."""
    if isinstance(value, str):
        text = shown(value, _ERROR_QUOTE)
    elif isinstance(value, (bytes, bytearray)):  # only from a caller's Mapping
        text = f"{quote(bytes(value), _ERROR_QUOTE)} (hex)"
    else:
        text = f"of type {type(value).__name__}"
    return _fail(f"the client reports that the device could not attest: error {text}")


def _att_obj(top: object) -> str:
    if not isinstance(top, Mapping):
        raise _fail("the payload must be a JSON object")
    if isinstance(top, _Ambiguous):
        raise _fail("the payload names 'attObj' more than once")
    if _ERROR in top:
        # Even beside an attObj: a client that says attestation failed must not be verified.
        raise _device_error(top[_ERROR])
    if _MEMBER not in top:
        raise _fail("the payload has no 'attObj' member")
    value = top[_MEMBER]
    if not isinstance(value, str):
        raise _fail(f"'attObj' must be a string, found {type(value).__name__}")
    return value


def parse_challenge_payload(payload: Payload) -> str:
    """Return the `attObj` string of an ACME `device-attest-01` challenge response payload.

    The payload is the JWS payload POSTed to the challenge URL, `{"attObj": "<base64url>"}`.
    Other members are ignored, except `"error"`: what an Apple client sends when attestation
    failed on the device. It fails with its text quoted (at most 64 bytes), even beside an
    `attObj`. The returned string is not checked here; pass it to `verify()`, which enforces the
    base64url rules (check D2).

    Args:
        payload: the JSON payload as UTF-8 `bytes` or `str` (at most 1 MiB, nesting at most 64
            levels), or an already decoded mapping.

    Returns:
        The value of the `attObj` member.

    Raises:
        MalformedError: (check J1) the payload is not UTF-8, too large, not JSON, nests too
            deeply, is not an object, names `attObj` twice, carries an `"error"` member, or
            `attObj` is missing or not a string.
    """
    # A hostile Mapping may raise anything; the API promises our errors, here with check J1.
    with public_boundary(wrap=_unexpected):
        if isinstance(payload, Mapping):
            return _att_obj(payload)
        return _att_obj(_decode_json(_as_text(payload)))


def _unexpected(exc: BaseException, fmt: str | None) -> MalformedError:
    del fmt  # a payload has no format
    return _fail(f"unexpected {type(exc).__name__} while reading the payload")
