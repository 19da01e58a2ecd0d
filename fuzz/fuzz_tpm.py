"""Harness: `attestverify.tpm.verify_statement` and `tpm.verify_certify` on a fuzzed attStmt.

Byte 0 is the options byte and byte 1 the time byte of `common.context`; bit 0x02 of byte 0
(unused by tpm) switches to `verify_certify`, whose expected extraData is picked from
SHA-256(KA) and the real WebAuthn values. The rest goes to `structured.att_stmt`. An accepted
statement must be a known identity.
"""

from __future__ import annotations

import common
import structured

from attestverify import tpm

_KEYS = ("ver", "alg", "x5c", "sig", "certInfo", "pubArea")


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    stmt = structured.att_stmt(data[2:], "tpm", _KEYS)
    if stmt is None:
        return
    options = data[0]
    ctx = common.context(options, data[1], "tpm")
    if options & 0x02:
        extras = common.extra_data()
        expected = extras[((options >> 2) & 0x07) % len(extras)]
        flags = tpm.Options.from_context(ctx)
        identity = common.guard(
            tpm.verify_certify,
            stmt,
            expected,
            roots=ctx.anchors,
            now=ctx.now,
            allow_rs1=flags.allow_rs1,
            allow_sha1_chain=flags.allow_sha1_chain,
        )
    else:
        identity = common.guard(tpm.verify_statement, stmt, ctx)
    if identity is not None:
        common.check_accepted(identity, "tpm")


if __name__ == "__main__":
    common.main(test_one_input)
