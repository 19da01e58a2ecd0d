"""Harness: `attestverify.verify` on the base64url `str` form (the ACME payload's `attObj`).

Input layout as in fuzz_verify.py; the statement bytes are read as Latin-1 text, so every
code point below 256 (padding, `+`, `/`, whitespace, non-ASCII) reaches the D2 checks.
"""

from __future__ import annotations

import common

import attestverify


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    kwargs = common.verify_kwargs(data[0], data[1], data[2])
    text = data[3:].decode("latin-1")
    identity = common.guard(attestverify.verify, text, common.KEY_AUTHORIZATION, **kwargs)
    if identity is not None:
        common.check_accepted(identity, "verify(str)")


if __name__ == "__main__":
    common.main(test_one_input)
