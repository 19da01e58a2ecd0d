"""cProfile of verify() per format: where the time goes, in µs per call.

    python benchmarks/profile_verify.py                 # every format, 2,000 calls each
    python benchmarks/profile_verify.py --only tpm --calls 5000 --top 30

For each format it prints the functions with the largest self time (tottime) and the attestverify
functions with the largest inclusive time (cumtime), both divided by the number of calls. cProfile
adds a fixed cost to every Python call, so Python-heavy functions look dearer than they are in
absolute terms; the ranking is what matters (compare with the floors of `run.py`).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import formats  # noqa: E402


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    path = Path(filename)
    try:
        filename = str(path.resolve().relative_to(ROOT))
    except ValueError:
        parts = path.parts
        if "site-packages" in parts:
            filename = "/".join(parts[parts.index("site-packages") + 1 :])
        elif filename.startswith("~") or filename.startswith("<"):
            return name
    return f"{name} ({filename}:{line})"


def profile(call: object, calls: int) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()  # type: ignore[operator]
    profiler.disable()
    return pstats.Stats(profiler)


def report(label: str, stats: pstats.Stats, calls: int, top: int) -> list[str]:
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())
    lines = [f"{label}: {total / calls * 1e6:.0f} µs per call under cProfile", ""]
    lines.append(f"self time (tottime), top {top}:")
    by_self = sorted(entries.items(), key=lambda item: -item[1][2])[:top]
    for func, (_cc, ncalls, tt, _ct, _callers) in by_self:
        lines.append(f"  {tt / calls * 1e6:8.1f} µs  {ncalls / calls:6.1f}x  {_where(func)}")
    lines.append(f"\nattestverify functions by inclusive time (cumtime), top {top}:")
    package = str(ROOT / "attestverify")
    ours = [item for item in entries.items() if item[0][0].startswith(package)]
    for func, (_cc, ncalls, _tt, ct, _callers) in sorted(ours, key=lambda item: -item[1][3])[:top]:
        lines.append(f"  {ct / calls * 1e6:8.1f} µs  {ncalls / calls:6.1f}x  {_where(func)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cProfile of verify() per format")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", help="only formats whose label contains this text")
    args = parser.parse_args(argv)
    for candidate in formats.build(only=args.only):
        for _ in range(50):
            candidate.verify()
        stats = profile(candidate.verify, args.calls)
        print("\n## " + "\n".join(report(candidate.label, stats, args.calls, args.top)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
