"""Harness: the strict DER decoders of `attestverify.asn1`.

Byte 0 picks the decoder: PermanentIdentifier, HardwareModuleName, the Yubico serial INTEGER,
the step-managed-device string SEQUENCE, or `san_identities` over otherNames whose OIDs are
the two decoded types (or another) and whose values are the fuzzed DER.
"""

from __future__ import annotations

import common
from cryptography import x509

from attestverify import asn1

_OIDS = (
    x509.ObjectIdentifier("1.3.6.1.5.5.7.8.3"),
    x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4"),
    x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"),
)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    which, body = data[0] % 5, data[1:]
    if which == 0:
        result = common.guard(asn1.decode_permanent_identifier, body, check="T7")
    elif which == 1:
        result = common.guard(asn1.decode_hardware_module_name, body, check="T7")
    elif which == 2:
        result = common.guard(asn1.decode_der_integer, body, check="S7")
        if result is not None and (not isinstance(result, int) or result < 0):
            raise common.Finding(f"decode_der_integer returned {result!r:.80}")
    elif which == 3:
        result = common.guard(asn1.decode_der_string_sequence, body, check="S7")
        if result is not None and not (isinstance(result, str) and result):
            raise common.Finding("decode_der_string_sequence returned an empty or non-str value")
    else:
        # Split the body into up to four otherName values at 0x00 0x00 0x00 markers.
        parts = body.split(b"\x00\x00\x00")[:4]
        names: list[x509.GeneralName] = [
            x509.OtherName(_OIDS[(data[0] >> 3 >> i) % 3], part) for i, part in enumerate(parts)
        ]
        if data[0] & 0x80:
            names.append(x509.DNSName("example.com"))
        common.guard(asn1.san_identities, names, check="T7")


if __name__ == "__main__":
    common.main(test_one_input)
