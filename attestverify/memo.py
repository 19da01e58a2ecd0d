"""Bounded, thread-safe memo tables for the per-call work that depends only on exact bytes.

Path validation repeats work that depends only on the trust anchors or on a certificate's exact
DER bytes: the anchors' `Store`, their DER and key encodings, their CA checks, the parse and
strict-DER checks of a bundled or caller intermediate. `Memo` keeps such results keyed by exact
bytes (never by a hash alone, never by an object's identity unless the key holds that object), so
a cached value is only ever reused for the very same input.

Reads take no lock (one `dict.get`; CPython dict reads are atomic), inserts take one lock and
evict the oldest entries beyond the bound, so the table never grows past `bound` and concurrent
first uses at worst compute the same value twice and keep one. Nothing time-dependent is ever
cached: validity at `now` is checked by the caller on every call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Memo"]

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Memo(Generic[_K, _V]):
    """A bounded table `key -> value` with lock-free reads and locked, evicting inserts.

    Eviction is by insertion order (the oldest entry goes first); a hit does not reorder, so reads
    stay lock-free. The working sets it serves (a few anchor sets, a few dozen intermediates) are
    far below the bounds.
    """

    __slots__ = ("_bound", "_data", "_lock")

    def __init__(self, bound: int) -> None:
        if bound < 1:
            raise ValueError("bound must be positive")
        self._bound = bound
        self._data: dict[_K, _V] = {}
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        """The value kept for `key`, or None (no lock taken)."""
        return self._data.get(key)

    def put(self, key: _K, value: _V) -> _V:
        """Keep `value` for `key` unless another thread kept one first; return the kept one."""
        with self._lock:
            data = self._data
            kept = data.setdefault(key, value)
            while len(data) > self._bound:
                del data[next(iter(data))]  # the oldest insertion
        return kept

    def get_or_make(self, key: _K, make: Callable[[], _V]) -> _V:
        """The value for `key`, made by `make()` (outside the lock) on a miss and then kept."""
        found = self._data.get(key)
        if found is not None:
            return found
        return self.put(key, make())

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every entry (tests)."""
        with self._lock:
            self._data.clear()
