"""Differential harness: `attestverify.der` (via `asn1`) against the pyasn1 path it replaced.

The INTEGER, PermanentIdentifier and HardwareModuleName decoders of `attestverify.asn1` now read
DER with the strict reader of `attestverify/der.py`; `der_reference.py` keeps the former pyasn1
decode-and-re-encode path. For every input, each of the three decoders must give the same
verdict (value, or `MalformedError` with the same check id) on both sides, and the same value.

Two drivers:

* atheris (`run_all.py --only diff_der`): byte 0 picks the decoder, the rest is the DER value.
* deterministic (`python fuzz/fuzz_diff_der.py --deterministic 1000000 [--seed N]`): no engine;
  inputs are real values from `testdata/` (YubiKey serials, TPM AK-certificate SANs, Apple
  integers), generated valid encodings (integers of every size and sign, identifiers with and
  without each component, OIDs with long arcs, valid and invalid UTF-8), their mutations (bit
  flips, inserted, deleted and replaced bytes, changed length octets, truncation, appended
  bytes, long-form lengths) and random bytes. Each input goes to all three decoders. Prints the
  counts; exits 1 on the first disagreement.
"""

from __future__ import annotations

import argparse
import pathlib
import random
import sys
import time
from collections.abc import Callable, Iterator

import common
import der_reference as ref
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from attestverify import asn1
from attestverify.errors import AttestationError, MalformedError

_Decoder = Callable[..., object]
_PAIRS: tuple[tuple[str, _Decoder, _Decoder, str], ...] = (
    ("integer", asn1.decode_der_integer, ref.decode_der_integer, "S7"),
    ("permanent_identifier", asn1.decode_permanent_identifier, ref.decode_permanent_identifier, "T7"),
    ("hardware_module_name", asn1.decode_hardware_module_name, ref.decode_hardware_module_name, "T7"),
)


class Disagreement(AssertionError):
    """The two decoders gave different verdicts or values."""


def _verdict(decode: Callable[..., object], data: bytes, check: str) -> tuple[str, object]:
    try:
        return "value", decode(data, check=check)
    except MalformedError as exc:
        if exc.check != check:
            return "wrong-check", exc.check
        return "malformed", check
    except AttestationError as exc:
        return "other-error", (type(exc).__name__, exc.check)


def compare(which: int, data: bytes) -> str:
    """Run decoder `which` on both sides; raise `Disagreement` unless they agree. Returns the verdict."""
    name, new, old, check = _PAIRS[which]
    got, want = _verdict(new, data, check), _verdict(old, data, check)
    if got != want:
        raise Disagreement(f"{name} on {data.hex()}: new {got!r:.200} != reference {want!r:.200}")
    return got[0]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    try:
        compare(data[0] % 3, data[1:])
    except Disagreement as exc:
        raise common.Finding(str(exc)) from None


# --- deterministic driver ---------------------------------------------------------------------

_REPO = pathlib.Path(__file__).resolve().parents[1]


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


def _int_der(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return _tlv(0x02, value.to_bytes(size, "big", signed=True))


def _oid_der(arcs: list[int]) -> bytes:
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _real_values() -> list[bytes]:
    """Extension and otherName values of the committed real and generated certificates."""
    found: list[bytes] = []
    targets = {"1.3.6.1.4.1.41482.3.7", "1.2.840.113635.100.8.13.1", "1.2.840.113635.100.8.13.3"}
    for path in sorted((_REPO / "testdata").rglob("*")):
        if path.suffix not in (".pem", ".der", ".crt", ".cer") or not path.is_file():
            continue
        raw = path.read_bytes()
        try:
            pem = b"-----BEGIN" in raw
            certs = x509.load_pem_x509_certificates(raw) if pem else [x509.load_der_x509_certificate(raw)]
        except ValueError:
            continue
        for cert in certs:
            try:
                extensions = list(cert.extensions)
            except ValueError:
                continue
            for ext in extensions:
                if ext.oid.dotted_string in targets:
                    found.append(asn1.raw_extension(ext))
                if isinstance(ext.value, x509.SubjectAlternativeName):
                    found += [n.value for n in ext.value if isinstance(n, x509.OtherName)]
            found.append(cert.public_bytes(Encoding.DER)[:64])
    return found


def _generated(rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        bits = rng.choice((0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 200, 511, 512, 513, 1000, 4000))
        value = rng.getrandbits(bits) if bits else 0
        return _int_der(-value if rng.random() < 0.2 else value)
    if kind in (1, 2):
        arcs = [rng.randrange(3), rng.randrange(40) if rng.random() < 0.8 else rng.getrandbits(20)]
        sizes = (1, 7, 8, 14, 15, 32, 64, 140, 147, 148, 160)
        arcs += [rng.getrandbits(rng.choice(sizes)) for _ in range(rng.randrange(6))]
        if arcs[0] < 2:
            arcs[1] %= 40
        oid = _oid_der(arcs)
        if kind == 2:
            serial = rng.randbytes(rng.choice((0, 1, 8, 16, 200)))
            return _tlv(0x30, oid + _tlv(0x04, serial))
        text = _text(rng)
        parts = [b"" if rng.random() < 0.2 else _tlv(0x0C, text), b"" if rng.random() < 0.2 else oid]
        return _tlv(0x30, b"".join(parts))
    if kind == 3:
        return _tlv(rng.choice((0x30, 0x02, 0x04, 0x06, 0x0C, 0x13, 0x2C, 0xA0)), _text(rng))
    if kind == 4:
        # Nested or BER-style constructions.
        inner = _tlv(0x0C, _text(rng))
        return rng.choice(
            (
                b"\x30\x80" + inner + b"\x00\x00",
                b"\x30\x81" + bytes([len(inner)]) + inner,
                b"\x30\x82" + len(inner).to_bytes(2, "big") + inner,
                _tlv(0x30, _tlv(0x2C, inner)),
                _tlv(0x30, inner + inner),
                _tlv(0x30, _oid_der([1, 2, 3]) + inner),
            )
        )
    return rng.randbytes(rng.randrange(0, 40))


def _text(rng: random.Random) -> bytes:
    pick = rng.randrange(5)
    if pick == 0:
        return b""
    if pick == 1:
        return "".join(rng.choice("AZaz09 -.é€😀") for _ in range(rng.randrange(1, 30))).encode()
    if pick == 2:
        return rng.choice((b"\xed\xa0\x80", b"\xc0\xaf", b"\xff", b"\xe2\x82", b"\xf4\x90\x80\x80", b"\x00"))
    return rng.randbytes(rng.randrange(1, 24))


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.randrange(9)
        if op == 0 and buf:
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf.insert(rng.randrange(len(buf) + 1), rng.randrange(256))
        elif op == 2 and buf:
            del buf[rng.randrange(len(buf))]
        elif op == 3 and buf:
            buf[rng.randrange(len(buf))] = rng.choice((0x00, 0x7F, 0x80, 0x81, 0x82, 0xFF))
        elif op == 4 and len(buf) > 1:
            buf[1] = (buf[1] + rng.choice((-2, -1, 1, 2))) % 256
        elif op == 5 and buf:
            del buf[rng.randrange(len(buf)) :]
        elif op == 6:
            buf += rng.randbytes(rng.randrange(1, 4))
        elif op == 7 and len(buf) > 2 and buf[1] < 0x80:
            buf[1:2] = b"\x81" + bytes([buf[1]])
        elif op == 8 and buf:
            index = rng.randrange(len(buf))
            buf[index:index] = bytes(buf[index : index + rng.randrange(1, 8)])
    return bytes(buf)


def inputs(count: int, seed: int) -> Iterator[bytes]:
    """`count` deterministic inputs: real values, generated values, mutations, random bytes."""
    rng = random.Random(seed)
    real = _real_values() or [b"\x02\x01\x01"]
    pool = list(real)
    for index in range(count):
        roll = rng.random()
        if roll < 0.05:
            data = real[index % len(real)]
        elif roll < 0.30:
            data = _generated(rng)
        elif roll < 0.85:
            data = _mutate(rng, rng.choice(pool))
        else:
            data = rng.randbytes(rng.randrange(0, 48))
        if len(pool) < 5000 and rng.random() < 0.01:
            pool.append(data)
        yield data


def deterministic(count: int, seed: int) -> int:
    started = time.perf_counter()
    tally: dict[str, int] = {}
    for index, data in enumerate(inputs(count, seed)):
        for which in range(len(_PAIRS)):
            try:
                verdict = compare(which, data)
            except Disagreement as exc:
                print(f"input {index} (seed {seed}): {exc}", file=sys.stderr)
                return 1
            key = f"{_PAIRS[which][0]}:{verdict}"
            tally[key] = tally.get(key, 0) + 1
        if index and index % 100_000 == 0:
            print(f"{index:,} inputs, {time.perf_counter() - started:.0f} s", flush=True)
    elapsed = time.perf_counter() - started
    print(f"{count:,} inputs x {len(_PAIRS)} decoders, seed {seed}, {elapsed:.0f} s: no disagreement")
    for key in sorted(tally):
        print(f"  {key}: {tally[key]:,}")
    return 0


if __name__ == "__main__":
    if "--deterministic" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--deterministic", type=int, required=True, metavar="N")
        parser.add_argument("--seed", type=int, default=14)
        args = parser.parse_args()
        sys.exit(deterministic(args.deterministic, args.seed))
    common.main(test_one_input)
