"""Detail benchmarks of attestverify: tiers, CBOR scan, worst-case inputs, hostile chains.

    python benchmarks/detail.py            # full run (about 30 s)
    python benchmarks/detail.py --quick    # fewer repeats

(The headline numbers, verify() against its floors, peers, import, RSS and concurrency, are
`benchmarks/run.py`, i.e. `nox -s bench`.)

Each row is timed with `time.perf_counter`: the call runs `number` times per batch (calibrated so a
batch lasts >= 50 ms, or >= 10 ms with --quick), `repeat` batches; the table shows the median and
the best per-call time, and the ratio of the median to the first row of its group. Statements
come from tests/statements.py (generated PKIs and the committed swtpm fixtures) and real YubiKey
chains from testdata/ (through tests/vectors.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import cbor2  # noqa: E402
import cryptography  # noqa: E402
import statements  # noqa: E402
import yubikey_pki as yk  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from pki import KEY_AUTHORIZATION, NOW, name, root, rsa_key  # noqa: E402
from vectors import load_vector  # noqa: E402
from x509_helpers import build  # noqa: E402

import attestverify  # noqa: E402
from attestverify import cbor, pinned, step, x509path  # noqa: E402
from attestverify.roots import bundled, bundled_intermediates  # noqa: E402

Row = tuple[str, str, Callable[[], object]]


def measure(call: Callable[[], object], *, min_batch_s: float, repeat: int) -> tuple[float, float]:
    """(median, best) seconds per call."""
    call()  # warm caches and imports
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= min_batch_s or number >= 1 << 20:
            break
        number *= 2
    samples = [elapsed / number]
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples), min(samples)


def rejects(call: Callable[[], object]) -> Callable[[], object]:
    """Time a call that must raise an AttestationError (anything else aborts the benchmark)."""

    def run() -> None:
        try:
            call()
        except attestverify.AttestationError:
            return
        raise AssertionError("expected an AttestationError")

    return run


# --- material ---------------------------------------------------------------------------------


def padded(case: statements.Case, size: int, *, items: bool) -> bytes:
    """`case` grown to exactly `size` CBOR bytes with ignored attStmt content: one byte string, or
    (`items`) as many small integers as the limits allow (the scan's worst case per byte)."""
    obj = case.fresh()
    if items:
        arrays = []
        budget = size - len(cbor2.dumps(obj)) - 16
        while budget > 300:
            arrays.append([0] * 255)
            budget -= 258
        obj["attStmt"]["zz-items"] = arrays[:200]
        obj["attStmt"]["zz-items2"] = arrays[200:]
    pad = 0
    for _ in range(4):
        obj["attStmt"]["zz-pad"] = b"\x00" * pad
        pad += size - len(cbor2.dumps(obj))
    obj["attStmt"]["zz-pad"] = b"\x00" * pad
    data = cbor2.dumps(obj)
    assert len(data) == size, len(data)
    return data


def huge_exponent_statement() -> tuple[bytes, x509.Certificate]:
    """A step statement whose x5c is a leaf + 9 CA certificates with 2000-bit RSA exponents."""
    anchor = root("Bench Huge Anchor", rsa_key(2048, "bench-huge-anchor"))
    signer = rsa_key(2048, "bench-huge-signer")

    def huge(label: str) -> rsa.RSAPublicKey:
        n = rsa_key(2048, label).public_key().public_numbers().n
        return rsa.RSAPublicNumbers((1 << 2000) + 1, n).public_key()

    ca = ((x509.BasicConstraints(True, None), True),)
    certs = [build(name("H9"), anchor.cert.subject, huge("bh9"), signer, extensions=ca)]
    for k in range(8, 0, -1):
        certs.insert(0, build(name(f"H{k}"), name(f"H{k + 1}"), huge(f"bh{k}"), signer, extensions=ca))
    leaf = build(name("HLeaf"), name("H1"), yk.slot_key("p256").public_key(), signer)
    der = [c.public_bytes(Encoding.DER) for c in [leaf, *certs]]
    obj = statements.step().fresh()
    obj["attStmt"]["x5c"] = der
    return cbor2.dumps(obj), anchor.cert


def real_chain(vector_id: str) -> tuple[list[x509.Certificate], dt.datetime]:
    vector = load_vector(vector_id)
    assert vector.now is not None
    return [x509.load_der_x509_certificate(d) for d in vector.x5c_der], vector.now


# --- rows -------------------------------------------------------------------------------------


def rows() -> list[Row]:
    out: list[Row] = []
    apple, step3, step5 = statements.apple(), statements.step("p256"), statements.step_574("p256")
    tpm_ecc, tpm_rsa = statements.tpm_swtpm("ak-ecc-key-ecc"), statements.tpm_swtpm("ak-rsa-key-rsa")
    group = "verify() per format"
    out += [
        (group, "step P-256 leaf, 3 levels (generated)", step3.verify),
        (group, "step P-256 leaf, 5 levels (5.7.4-like)", step5.verify),
        (group, "apple P-384 chain (generated)", apple.verify),
        (group, "tpm ECC AK / ECC key (swtpm fixture)", tpm_ecc.verify),
        (group, "tpm RSA AK / RSA key (swtpm fixture)", tpm_rsa.verify),
    ]

    legacy, legacy_now = real_chain("step/ovh-fw435-s5970478")
    modern, modern_now = real_chain("step/ovh-fw574-s32718477")
    group = "real YubiKey chains, step.verify_chain (bundled roots)"
    out += [
        (group, "fw 5.7.4, 5 levels (tier 1)", lambda: step.verify_chain(modern, now=modern_now)),
        (
            group,
            "fw 4.3.5 legacy F9 (tier 1 rejects, pinned accepts)",
            lambda: step.verify_chain(legacy, now=legacy_now),
        ),
    ]

    group = "tier 1 vs pinned validator, same real chain"
    anchors = list(bundled("step"))
    extra = list(bundled_intermediates("step"))
    legacy_cands = legacy[1:] + extra
    modern_cands = modern[1:] + extra
    on = frozenset({pinned.LEGACY_F9})
    out += [
        (
            group,
            "fw 5.7.4: tier 1 (cryptography) accepts",
            lambda: _must(x509path._tier1(modern[0], modern_cands, anchors, modern_now)[0]),
        ),
        (
            group,
            "fw 5.7.4: pinned.search accepts",
            lambda: pinned.search(modern[0], modern_cands, anchors, modern_now, check="S4"),
        ),
        (
            group,
            "legacy F9: tier 1 (cryptography) rejects",
            lambda: _must_not(x509path._tier1(legacy[0], legacy_cands, anchors, legacy_now)[0]),
        ),
        (
            group,
            "legacy F9: pinned.search accepts (relaxation a)",
            lambda: pinned.search(legacy[0], legacy_cands, anchors, legacy_now, check="S4", enabled=on),
        ),
        (
            group,
            "legacy F9: validate_path (both tiers)",
            lambda: x509path.validate_path(
                legacy[0], legacy_cands, anchors, legacy_now, check="S4", allow_legacy_f9=True
            ),
        ),
    ]

    small = tpm_rsa.cbor
    big_items = padded(step3, cbor.MAX_BYTES, items=True)
    for label, data in ((f"tpm statement, {len(small)} B", small), ("64 KiB of ~16k small items", big_items)):
        group = f"CBOR, {label}: strict scan + cbor2 vs plain cbor2"
        out += [
            (group, "plain cbor2.loads", functools.partial(cbor2.loads, data)),
            (
                group,
                "cbor.decode_statement (scan, then cbor2.loads)",
                functools.partial(cbor.decode_statement, data),
            ),
        ]

    group = "64 KiB worst-case inputs through verify()"
    big_bytes = padded(step3, cbor.MAX_BYTES, items=False)
    big_text = _b64(big_items)
    truncated = big_items[:-1]  # the scan walks all of it before it finds the input short
    out += [
        (group, "step statement as received (baseline)", step3.verify),
        (group, "padded to 64 KiB with one byte string", lambda: step3.verify(big_bytes)),
        (group, "padded to 64 KiB with ~16k small items", lambda: step3.verify(big_items)),
        (group, "same as base64url str (87382 chars)", lambda: step3.verify(big_text)),
        (group, "64 KiB small items, one byte short (rejected)", rejects(lambda: step3.verify(truncated))),
    ]

    group = "hostile chains"
    huge, huge_anchor = huge_exponent_statement()
    out += [
        (group, "step 3 levels accepted (baseline)", step3.verify),
        (
            group,
            "10-cert x5c, 2000-bit RSA exponents, rejected",
            rejects(lambda: attestverify.verify(huge, KEY_AUTHORIZATION, {"step": [huge_anchor]}, now=NOW)),
        ),
    ]
    return out


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _must(value: Any) -> Any:
    assert value is not None
    return value


def _must_not(value: Any) -> None:
    assert value is None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="attestverify benchmarks")
    parser.add_argument("--quick", action="store_true", help="shorter batches and fewer repeats")
    args = parser.parse_args(argv)
    min_batch, repeat = (0.01, 3) if args.quick else (0.05, 7)
    print(f"attestverify {attestverify.__version__}, Python {platform.python_version()}, "
          f"cryptography {cryptography.__version__}, {platform.machine()}, "
          f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC")  # fmt: skip
    width = 58
    current, first = None, 0.0
    for group, label, call in rows():
        median, best = measure(call, min_batch_s=min_batch, repeat=repeat)
        if group != current:
            print(f"\n{group}\n{'':{width}} {'median':>10} {'best':>10} {'ratio':>7}")
            current, first = group, median
        print(f"  {label:{width - 2}} {median * 1e3:8.3f}ms {best * 1e3:8.3f}ms {median / first:6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
