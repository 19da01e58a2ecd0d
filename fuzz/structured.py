"""Structure-aware attStmt maps for the per-format harnesses (apple, step, tpm).

An input is `options byte, time byte, mode byte, body`. Even modes read `body` as CBOR with plain
`cbor2` (lenient: tags, floats, sets, shared references become Python objects, which is what
a caller passing a decoded Mapping can hand us). Odd modes build the map with
`atheris.FuzzedDataProvider`: each expected key is absent, a legitimate value from the seed pool
(whole or with one mutation), or a value of a random type.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import atheris
import cbor2
import common


@functools.cache
def pools(harness: str) -> dict[str, list[Any]]:
    """Values per attStmt key, from the harness's committed seeds."""
    found: dict[str, list[Any]] = {}
    for seed in common.seed_files(harness):
        try:
            stmt = cbor2.loads(seed[3:])
        except Exception:
            continue
        if not isinstance(stmt, dict):
            continue
        for key, value in stmt.items():
            found.setdefault(str(key), []).append(value)
            if key == "x5c" and isinstance(value, list):
                found.setdefault("cert", []).extend(v for v in value if isinstance(v, bytes))
    return found


def _mutate(fdp: atheris.FuzzedDataProvider, value: bytes) -> bytes:
    op = fdp.ConsumeIntInRange(0, 4)
    if not value or op == 0:
        return value
    at = fdp.ConsumeIntInRange(0, len(value) - 1)
    if op == 1:  # flip bits of one byte
        return value[:at] + bytes([value[at] ^ (fdp.ConsumeIntInRange(1, 255))]) + value[at + 1 :]
    if op == 2:  # truncate
        return value[:at]
    if op == 3:  # one byte longer
        return value + bytes([fdp.ConsumeIntInRange(0, 255)])
    return value[:at] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 8)) + value[at:]


def _random_value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> object:
    kind = fdp.ConsumeIntInRange(0, 11)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 9))
    if kind == 3:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 16))
    if kind == 4:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300))
    if kind == 5:
        return bytearray(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)))
    if kind == 6:
        return memoryview(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)))
    if kind == 7:
        return fdp.ConsumeFloat()
    if kind == 8 and depth < 4:
        return [_random_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 12))]
    if kind == 9 and depth < 4:
        return tuple(_random_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3)))
    if kind == 10 and depth < 4:
        return {fdp.ConsumeUnicodeNoSurrogates(4): _random_value(fdp, depth + 1) for _ in range(2)}
    return 2 ** fdp.ConsumeIntInRange(60, 200) * (-1 if fdp.ConsumeBool() else 1)


def _pick(fdp: atheris.FuzzedDataProvider, items: list[Any]) -> Any:
    return items[fdp.ConsumeIntInRange(0, len(items) - 1)] if items else None


def _value(fdp: atheris.FuzzedDataProvider, key: str, pool: dict[str, list[Any]]) -> object:
    choice = fdp.ConsumeIntInRange(0, 5)
    legit = _pick(fdp, pool.get(key, []))
    if choice <= 1 and legit is not None:
        return legit
    if choice == 2 and isinstance(legit, bytes):
        return _mutate(fdp, legit)
    if choice == 3 and key == "x5c":  # a chain assembled from pool certificates, some mutated
        certs = pool.get("cert", [])
        chain = []
        for _ in range(fdp.ConsumeIntInRange(0, 11)):
            cert = _pick(fdp, certs) or b""
            chain.append(_mutate(fdp, cert) if fdp.ConsumeBool() else cert)
        return chain
    return _random_value(fdp)


def att_stmt(data: bytes, harness: str, keys: tuple[str, ...]) -> Mapping[object, object] | None:
    """The attStmt map an input (after its options byte) describes, or None to skip it."""
    if not data:
        return None
    mode, body = data[0], data[1:]
    if mode % 2 == 0:
        try:
            value = cbor2.loads(body)
        except Exception:
            return None
        return value if isinstance(value, Mapping) else None
    fdp = atheris.FuzzedDataProvider(body)
    pool = pools(harness)
    stmt: dict[object, object] = {}
    for key in keys:
        if fdp.ConsumeIntInRange(0, 7) != 0:  # usually present
            stmt[key] = _value(fdp, key, pool)
    if fdp.ConsumeIntInRange(0, 15) == 0:
        key = _random_value(fdp)
        try:
            hash(key)
        except TypeError:
            key = "extra"
        stmt[key] = _random_value(fdp)
    return stmt
