"""Run every atheris harness for a bounded time (or number of runs) and summarise.

    python fuzz/run_all.py --seconds 8                 # CI smoke: 8 s per harness
    python fuzz/run_all.py --seconds 600 --jobs 2      # a longer local or nightly run
    python fuzz/run_all.py --runs 1000000 --only cbor  # one harness, a fixed number of inputs

Each harness runs in its own subprocess with its committed seeds (fuzz/seeds/<name>/) and a
writable corpus in fuzz/corpus-work/<name>/ (gitignored), with `-timeout` from --timeout (an input
slower than that, one second by default, is a finding) and `-rss_limit_mb=2048`. Crash, timeout
and OOM inputs are written to fuzz/corpus-work/artifacts/<name>/. Prints executions, exec/s and findings per
harness; exits 1 if any harness found something or failed to run.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

FUZZ = pathlib.Path(__file__).resolve().parent
WORK = FUZZ / "corpus-work"
HARNESSES = (
    "verify", "verify_b64", "apple", "step", "tpm", "tpm_structures",
    "asn1", "cbor", "payload", "inspect", "csr", "keydescription", "android", "diff_der",
)  # fmt: skip
_STARTUP_GRACE = 60  # seconds on top of --seconds before a harness counts as hung


@dataclass
class Result:
    name: str
    executions: int
    exec_per_sec: int
    seconds: float
    findings: list[str]
    returncode: int
    tail: str


def _stat(output: str, key: str) -> int:
    match = re.search(rf"stat::{key}:\s*(\d+)", output)
    return int(match.group(1)) if match else 0


def run_one(name: str, seconds: int | None, runs: int | None, max_len: int, timeout: int = 1) -> Result:
    corpus = WORK / name
    artifacts = WORK / "artifacts" / name
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    before = set(artifacts.iterdir())
    cmd = [
        sys.executable,
        str(FUZZ / f"fuzz_{name}.py"),
        f"-timeout={timeout}",
        "-rss_limit_mb=2048",
        f"-max_len={max_len}",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]
    if seconds is not None:
        cmd.append(f"-max_total_time={seconds}")
    if runs is not None:
        cmd.append(f"-runs={runs}")
    seeds = FUZZ / "seeds" / name
    cmd += [str(corpus)] + ([str(seeds)] if seeds.is_dir() else [])
    env = dict(os.environ, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"))
    start = time.monotonic()
    limit = None if seconds is None else seconds + _STARTUP_GRACE
    try:
        proc = subprocess.run(
            cmd, check=False, capture_output=True, text=True, errors="replace", timeout=limit, env=env
        )
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        output = (out.decode(errors="replace") if isinstance(out, bytes) else out) + "\n[run_all] hung"
        code = -1
    elapsed = time.monotonic() - start
    findings = sorted(str(p) for p in set(artifacts.iterdir()) - before)
    if code != 0 and not findings:
        findings.append(f"exit code {code} without an artifact")
    return Result(
        name,
        _stat(output, "number_of_executed_units"),
        _stat(output, "average_exec_per_sec"),
        elapsed,
        findings,
        code,
        "\n".join(output.strip().splitlines()[-25:]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the atheris harnesses (see fuzz/README.md).")
    parser.add_argument("--seconds", type=int, default=None, help="time limit per harness")
    parser.add_argument("--runs", type=int, default=None, help="number of inputs per harness")
    parser.add_argument("--only", action="append", choices=HARNESSES, help="only this harness (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="harnesses run at once (default 1)")
    parser.add_argument("--max-len", type=int, default=8192, help="largest generated input (bytes)")
    parser.add_argument(
        "--timeout",
        type=int,
        default=1,
        help="seconds one input may take before it counts as a finding (default 1; more on a busy machine)",
    )
    args = parser.parse_args(argv)
    if args.seconds is None and args.runs is None:
        parser.error("give --seconds and/or --runs")
    names = args.only or list(HARNESSES)

    start = time.monotonic()

    def one(name: str) -> Result:
        result = run_one(name, args.seconds, args.runs, args.max_len, args.timeout)
        print(f"[done] {name}: {result.executions} executions, {len(result.findings)} finding(s)", flush=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, names))
    total = time.monotonic() - start

    print(f"{'harness':<16}{'executions':>12}{'exec/s':>9}{'seconds':>9}  findings")
    for r in results:
        print(f"{r.name:<16}{r.executions:>12}{r.exec_per_sec:>9}{r.seconds:>9.1f}  {len(r.findings)}")
    failed = [r for r in results if r.findings]
    for r in failed:
        print(f"\n== {r.name}: {len(r.findings)} finding(s)")
        for f in r.findings:
            print(f"  {f}")
        print(r.tail)
    executions = sum(r.executions for r in results)
    print(f"\ntotal {total:.1f} s, {executions} executions, {len(failed)} harness(es) with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
