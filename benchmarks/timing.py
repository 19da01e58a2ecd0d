"""Interleaved timing: round-robin over every candidate, many rounds, medians and spreads.

The machines are noisy (2 vCPUs shared with other jobs), so absolute times drift within a run; a
candidate timed in the same round as its floor sees the same noise. Each round times every
candidate once, as a batch of calls calibrated to `batch_s`, in a freshly shuffled order (fixed
seed), and ratios are taken round by round before the median.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Stat:
    """Median and interquartile spread of per-round samples (seconds per call, or a ratio)."""

    median: float
    q1: float
    q3: float
    rounds: int

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median (0.04 = the middle half within 4 %)."""
        return (self.q3 - self.q1) / self.median if self.median else 0.0


def stat(samples: list[float]) -> Stat:
    if len(samples) < 2:
        return Stat(samples[0], samples[0], samples[0], len(samples))
    q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return Stat(statistics.median(samples), q1, q3, len(samples))


def calibrate(call: Callable[[], object], batch_s: float) -> int:
    """Calls per batch so that one batch lasts about `batch_s`."""
    call()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= batch_s / 4 or number >= 1 << 16:
            return max(1, round(number * batch_s / max(elapsed, 1e-9)))
        number *= 2


def interleaved(
    candidates: Mapping[str, Callable[[], object]], *, rounds: int, batch_s: float, seed: int = 14
) -> dict[str, list[float]]:
    """Per-round seconds per call of every candidate, measured round-robin in one process."""
    numbers = {name: calibrate(call, batch_s) for name, call in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    order = list(candidates)
    rng = random.Random(seed)
    timer = time.perf_counter
    for _ in range(rounds):
        rng.shuffle(order)
        for name in order:
            call, number = candidates[name], numbers[name]
            start = timer()
            for _ in range(number):
                call()
            samples[name].append((timer() - start) / number)
    return samples


def ratio(numerator: list[float], denominator: list[float]) -> Stat:
    """Round-by-round ratio numerator/denominator (same round, same noise)."""
    return stat([n / d for n, d in zip(numerator, denominator, strict=True)])
