"""Harness: `attestverify.apple.verify_statement` on a decoded-but-fuzzed attStmt.

Byte 0 is the options byte and byte 1 the time byte of `common.context` (anchors bundled or the
seed PKI, time, relaxations); the rest goes to `structured.att_stmt`. An accepted statement must
be a known seed identity.
"""

from __future__ import annotations

import common
import structured

from attestverify import apple

_KEYS = ("x5c",)


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    stmt = structured.att_stmt(data[2:], "apple", _KEYS)
    if stmt is None:
        return
    ctx = common.context(data[0], data[1], "apple")
    identity = common.guard(apple.verify_statement, stmt, ctx)
    if identity is not None:
        common.check_accepted(identity, "apple.verify_statement")


if __name__ == "__main__":
    common.main(test_one_input)
