"""Harness: the TPM decoders `TpmsAttest.parse`, `TpmtPublic.parse`, `TpmtSignature.parse`.

Byte 0 picks the structure; the rest is its bytes. A successful parse is also fed to
`compute_name` (a TpmtPublic) so the name path sees the parsed nameAlg values.
"""

from __future__ import annotations

import common

from attestverify.tpm import structures

_PARSERS = (structures.TpmsAttest.parse, structures.TpmtPublic.parse, structures.TpmtSignature.parse)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    parsed = common.guard(_PARSERS[data[0] % 3], body)
    if parsed is None:
        return
    name_alg = getattr(parsed, "name_alg", None)
    if isinstance(name_alg, int):
        common.guard(structures.compute_name, name_alg, body)


if __name__ == "__main__":
    common.main(test_one_input)
