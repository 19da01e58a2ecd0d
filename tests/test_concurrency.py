"""`verify` from many threads at once (SPEC §2.2: results are immutable and safe to share).

The package keeps no mutable global state beyond caches that are filled once (bundled roots, the
TPM vendor table, lazily imported format modules); these tests race them and compare every
thread's result with a single-threaded one, for accepted and rejected statements alike.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import statements
from cryptography.hazmat.primitives.serialization import Encoding

import attestverify
from attestverify import AttestationError, DeviceIdentity
from attestverify import roots as roots_module

THREADS = 8
ROUNDS = 4


def summary(call: Callable[[], DeviceIdentity]) -> tuple[Any, ...]:
    """Everything that must be identical across threads: identity fields, or the error's."""
    try:
        identity = call()
    except AttestationError as err:
        return ("error", type(err).__name__, err.code, err.check, err.rule, err.format, err.message)
    return (
        "ok",
        identity.format,
        identity.fingerprint,
        identity.public_key_der,
        identity.identifiers,
        identity.acme_identifiers,
        identity.relaxations,
        tuple(c.public_bytes(Encoding.DER) for c in identity.chain),
    )


def race(calls: list[Callable[[], DeviceIdentity]]) -> list[tuple[Any, ...]]:
    """Run every call on THREADS threads released together by a barrier; return all summaries."""
    barrier = threading.Barrier(THREADS)

    def worker(call: Callable[[], DeviceIdentity]) -> tuple[Any, ...]:
        barrier.wait()
        return summary(call)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results: list[tuple[Any, ...]] = []
        for call in calls:
            results.extend(pool.map(worker, [call] * THREADS))
    return results


def _failing(case: statements.Case) -> list[Callable[[], DeviceIdentity]]:
    """Rejected variants of `case`: wrong key authorization, flipped leaf signature, wrong roots."""
    obj = case.fresh()
    leaf = bytearray(obj["attStmt"]["x5c"][0])
    leaf[-1] ^= 1
    obj["attStmt"]["x5c"][0] = bytes(leaf)
    other_ka = "wrong-token." + "A" * 43
    return [
        lambda: attestverify.verify(case.cbor, other_ka, **case.kwargs()),
        lambda: case.verify(obj),
        lambda: case.verify(roots=None),
        lambda: case.verify(case.cbor[:-1]),
    ]


@pytest.mark.parametrize("case", statements.all_cases(), ids=lambda c: c.name)
def test_same_statement_from_eight_threads(case: statements.Case) -> None:
    calls: list[Callable[[], DeviceIdentity]] = [case.verify, *_failing(case)]
    expected = [summary(call) for call in calls]
    assert expected[0][0] == "ok"
    assert all(e[0] == "error" for e in expected[1:])
    for _ in range(ROUNDS):
        results = race(calls)
        for index, want in enumerate(expected):
            assert results[index * THREADS : (index + 1) * THREADS] == [want] * THREADS


def test_all_formats_interleaved() -> None:
    """Different formats at the same time (shared modules: cbor, x509path, pinned, keys)."""
    cases = statements.all_cases()
    expected = {case.name: summary(case.verify) for case in cases}
    barrier = threading.Barrier(THREADS)

    def worker(offset: int) -> list[tuple[str, tuple[Any, ...]]]:
        barrier.wait()
        order = cases[offset % len(cases) :] + cases[: offset % len(cases)]
        return [(case.name, summary(case.verify)) for case in order * 2]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for chunk in pool.map(worker, range(THREADS)):
            for name, result in chunk:
                assert result == expected[name], name


def test_first_load_of_bundled_roots_races_safely() -> None:
    """`roots._load` is functools.cache'd: racing the first load from 8 threads gives equal anchors."""
    roots_module._load.cache_clear()
    barrier = threading.Barrier(THREADS)

    def load(fmt: str) -> tuple[bytes, ...]:
        barrier.wait()
        return tuple(c.public_bytes(Encoding.DER) for c in roots_module.bundled(fmt))

    for fmt in ("apple", "step", "tpm"):
        roots_module._load.cache_clear()
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            results = list(pool.map(load, [fmt] * THREADS))
        assert len(set(results)) == 1
        assert len(results[0]) >= 1
    # Bundled roots through verify() itself, first load raced: every thread sees the same rejection.
    roots_module._load.cache_clear()
    case = statements.step()
    raced = race([lambda: case.verify(roots=None)])
    assert len(set(raced)) == 1
    assert raced[0][0:4] == ("error", "UntrustedChainError", "untrusted-chain", "S4")


def test_first_import_of_format_modules_races_safely() -> None:
    """api.py imports format modules on first use; a raced first import must not break anything."""
    cases = statements.all_cases()
    expected = {case.name: summary(case.verify) for case in cases}
    saved = {
        name: mod
        for name, mod in sys.modules.items()
        if name.startswith(("attestverify.apple", "attestverify.step", "attestverify.tpm"))
    }
    try:
        for name in saved:
            del sys.modules[name]
        importlib.invalidate_caches()
        results = race([case.verify for case in cases])
        for index, case in enumerate(cases):
            assert results[index * THREADS : (index + 1) * THREADS] == [expected[case.name]] * THREADS
    finally:
        # Put the original module objects back, as sys.modules entries and package attributes,
        # so later tests (and their monkeypatches) see the modules they imported.
        sys.modules.update(saved)
        for name, module in saved.items():
            parent, _, child = name.rpartition(".")
            setattr(sys.modules[parent], child, module)


def _module_containers() -> dict[str, object]:
    import copy
    import types

    out: dict[str, object] = {}
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("attestverify") or module is None:
            continue
        for attr, value in vars(module).items():
            if attr.startswith("__") or isinstance(value, types.ModuleType):
                continue
            if isinstance(value, (list, dict, set, bytearray)):
                out[f"{name}.{attr}"] = copy.copy(value)
    return out


def test_verification_never_writes_module_globals() -> None:
    """Module-level dicts of the package (lookup tables, the format registry) are only read:
    after racing every accepted and rejected case, each is equal to its snapshot from before."""
    import attestverify.cli
    import attestverify.inspection  # noqa: F401

    for case in statements.all_cases():
        case.verify()
    before = _module_containers()
    assert before, "expected some lookup tables"
    calls: list[Callable[[], DeviceIdentity]] = []
    for case in statements.all_cases():
        calls += [case.verify, *_failing(case)]
    race(calls)
    assert _module_containers() == before


def test_identity_is_shareable() -> None:
    """The identity returned to one thread can be read by others while they verify."""
    case = statements.tpm_swtpm()
    identity = case.verify()

    def read(_: int) -> tuple[Any, ...]:
        case.verify()
        return (identity.fingerprint, identity.identifiers, hash(identity.public_key_der))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        assert len(set(pool.map(read, range(THREADS * 4)))) == 1
