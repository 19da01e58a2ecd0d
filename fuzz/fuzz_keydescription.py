"""Harness: `attestverify.android.keydescription.decode_key_description` on raw extension values.

The whole input is the extnValue of 1.3.6.1.4.1.11129.2.1.17. Seeds are the KeyDescriptions of
the real Android chains in testdata (Pixel 3, 8a, 9 Pro, 9a, Sony Xperia 10 III, the software
attested Pixel XL, the WebAuthn Pixel 8a) and generated ones of every attestationVersion.
Oracle: only `MalformedError` (K6) or a `KeyDescription` whose version is allowed and whose
AuthorizationList tags strictly ascend; decoding the same bytes twice gives equal results.
"""

from __future__ import annotations

import atheris
import common

with atheris.instrument_imports(include=["attestverify"]):
    # android-key is not imported by common.py (not registered yet): instrument it here.
    from attestverify.android import keydescription

_VERSIONS = frozenset({1, 2, 3, 4, 100, 200, 300, 400})


def test_one_input(data: bytes) -> None:
    result = common.guard(keydescription.decode_key_description, data)
    if result is None:
        return
    if not isinstance(result, keydescription.KeyDescription):
        raise common.Finding(f"decode_key_description returned {type(result).__name__}")
    if result.attestation_version not in _VERSIONS and not 400 < result.attestation_version < 2**31:
        raise common.Finding(f"accepted attestationVersion {result.attestation_version}")
    for auth in (result.software_enforced, result.hardware_enforced):
        if any(a >= b for a, b in zip(auth.tags, auth.tags[1:], strict=False)):
            raise common.Finding(f"accepted tags out of order or repeated: {auth.tags[:16]}")
    if keydescription.decode_key_description(data) != result:
        raise common.Finding("decoding the same bytes twice gave different results")


if __name__ == "__main__":
    common.main(test_one_input)
