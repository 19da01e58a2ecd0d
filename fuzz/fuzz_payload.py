"""Harness: `attestverify.parse_challenge_payload` (SPEC §2.6, check J1).

Byte 0 picks bytes or text input. An accepted payload must be a JSON object whose single
`attObj` member is the returned string (cross-checked with the standard `json` module) and that
carries no `"error"` member (SPEC v2 §2.6).
"""

from __future__ import annotations

import json

import common

import attestverify


def test_one_input(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    payload: bytes | str = body if data[0] & 1 else body.decode("utf-8", "surrogateescape")
    result = common.guard(attestverify.parse_challenge_payload, payload)
    if result is None:
        return
    if not isinstance(result, str):
        raise common.Finding(f"returned {type(result).__name__}")
    try:
        decoded = json.loads(payload)
        reference = decoded["attObj"]
    except Exception as exc:
        raise common.Finding(f"accepted a payload json rejects: {exc!r}"[:300]) from exc
    if "error" in decoded:
        raise common.Finding("accepted a payload carrying an error member")
    if reference != result:
        raise common.Finding("returned attObj differs from json's")


if __name__ == "__main__":
    common.main(test_one_input)
