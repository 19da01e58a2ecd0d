"""Harness: the strict CBOR layer, `cbor.decode_statement` and `cbor.decode_inner_bstr`.

Byte 0 picks the entry point (bytes, base64url text, inner byte string). Besides the
exception oracle, an accepted item is cross-checked (SPEC §7: whatever the well-formedness
scan accepts, `cbor2` must decode, to the same value) and its shape checked against §3.2
(no floats or tags, text/int keys, nesting <= 16).
"""

from __future__ import annotations

import base64
import binascii

import cbor2
import common

from attestverify import cbor

_MAX_DEPTH = 16


def _shape(value: object, depth: int = 0) -> None:
    if depth > _MAX_DEPTH + 1:
        raise common.Finding("accepted item nests deeper than 16")
    if isinstance(value, dict):
        if len(value) > 256:
            raise common.Finding("accepted map has more than 256 entries")
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise common.Finding(f"accepted map key of type {type(key).__name__}")
            _shape(item, depth + 1)
    elif isinstance(value, list):
        if len(value) > 256:
            raise common.Finding("accepted array has more than 256 entries")
        for item in value:
            _shape(item, depth + 1)
    elif value is None or isinstance(value, (bool, int, str, bytes)):
        return
    else:
        raise common.Finding(f"accepted a {type(value).__name__} value")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0] % 3, data[1:]
    if mode == 0:
        value = common.guard(cbor.decode_statement, body)
        raw = body
    elif mode == 1:
        text = body.decode("latin-1")
        value = common.guard(cbor.decode_statement, text)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raw = b""
    else:
        value = common.guard(cbor.decode_inner_bstr, body, check="S3")
        if value is not None and not isinstance(value, bytes):
            raise common.Finding("decode_inner_bstr returned a non-bytes value")
        raw = body
    if value is None:
        return
    _shape(value)
    try:
        reference = cbor2.loads(raw)
    except Exception as exc:
        raise common.Finding(f"accepted by the scan but cbor2 fails: {exc!r}"[:300]) from exc
    if reference != value:
        raise common.Finding("decoded value differs from cbor2's")


if __name__ == "__main__":
    common.main(test_one_input)
