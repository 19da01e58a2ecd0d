"""Harness: `attestverify.verify` on CBOR bytes.

Input layout: bytes 0 and 1 choose the options (anchors bundled or the seed PKI, the validation
time, relaxation flags, the enabled formats, an identifier), byte 2 the validation time; the
rest is the statement. Oracle: `common.guard` plus `common.check_accepted` on success.
"""

from __future__ import annotations

import common

import attestverify


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    kwargs = common.verify_kwargs(data[0], data[1], data[2])
    identity = common.guard(attestverify.verify, data[3:], common.KEY_AUTHORIZATION, **kwargs)
    if identity is not None:
        common.check_accepted(identity, "verify(bytes)")


if __name__ == "__main__":
    common.main(test_one_input)
