"""Harness: `attestverify.android.verify_statement` on a decoded-but-fuzzed attStmt.

Byte 0 is the options byte and byte 1 the time byte of `common.context` (anchors bundled or the
seed PKI, time; for android-key bit 0x04 passes a `StatusList` listing one seed intermediate
instead of `STATUS_UNCHECKED`, bit 0x08 allows unverified boot); the rest goes to
`structured.att_stmt`. Seeds: the real Android chains (Pixel, Sony with relaxation (d), the
software-attested one) with a dummy signature, and generated statements of every leaf key type.
An accepted statement must be a known seed identity.
"""

from __future__ import annotations

import common
import structured

from attestverify import android

_KEYS = ("alg", "sig", "x5c")


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    stmt = structured.att_stmt(data[2:], "android", _KEYS)
    if stmt is None:
        return
    ctx = common.context(data[0], data[1], android.FORMAT)
    identity = common.guard(android.verify_statement, stmt, ctx)
    if identity is not None:
        common.check_accepted(identity, "android.verify_statement")


if __name__ == "__main__":
    common.main(test_one_input)
