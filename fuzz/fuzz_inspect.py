"""Harness: `attestverify.inspect` (decode without trusting, SPEC §2.6).

Byte 0 picks bytes or base64url text. Only D2-D4 may raise; the result must be
JSON-serializable, say `"verified": False`, and report no item as an internal error (an item
decoder that let a foreign exception through).
"""

from __future__ import annotations

import json

import common

import attestverify


def _walk(value: object) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            error = item.get("error")
            if isinstance(error, dict) and str(error.get("message", "")).startswith("internal error"):
                raise common.Finding(f"inspect item reported {error['message']}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    statement: bytes | str = body.decode("latin-1") if data[0] & 1 else body
    result = common.guard(attestverify.inspect, statement)
    if result is None:
        return
    if result.get("verified") is not False:
        raise common.Finding("inspect result is not marked unverified")
    json.dumps(result, allow_nan=False)
    _walk(result)


if __name__ == "__main__":
    common.main(test_one_input)
