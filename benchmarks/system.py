"""Process-level measurements: cold import, first verify(), RSS over many calls, threads, processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from attestverify import android

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: import, then the first and second verify() of one statement.
_FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
import attestverify
t1 = time.perf_counter()
from datetime import datetime
from cryptography import x509
m = json.load(open(sys.argv[1]))
roots = [x509.load_pem_x509_certificate(p.encode()) for p in m["roots"]]
data, now = bytes.fromhex(m["cbor"]), datetime.fromisoformat(m["now"])
kw = {"formats": tuple(m["formats"])} if m["formats"] else {}
t2 = time.perf_counter()
if m["status_unchecked"]:  # inside the first call's time: it may import attestverify.android
    kw["android_status"] = attestverify.android.STATUS_UNCHECKED
attestverify.verify(data, m["ka"], {m["fmt"]: roots}, now=now, **kw)
t3 = time.perf_counter()
attestverify.verify(data, m["ka"], {m["fmt"]: roots}, now=now, **kw)
t4 = time.perf_counter()
print(json.dumps([t1 - t0, t3 - t2, t4 - t3, len(sys.modules)]))
"""


@dataclass(frozen=True)
class ColdStart:
    importtime_cumulative_ms: float  # median of `-X importtime` cumulative for attestverify
    import_wall_ms: float  # median wall time of `import attestverify` in a fresh process
    first_verify_ms: float  # median of the first verify() in a fresh process
    second_verify_ms: float  # ... and of the second one
    modules: int  # sys.modules after import + two verify()
    heavy: list[tuple[str, float]]  # self ms of the import subtree by top-level package (one run)
    runs: int


_PYCACHE = Path(tempfile.gettempdir()) / "attestverify-bench-pycache"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # Bytecode cached, as in any installation (pip compiles it): with PYTHONDONTWRITEBYTECODE set
    # (as in the development venv) every fresh interpreter would compile the package from source,
    # which is not the import cost users pay. The cache goes outside the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE)
    return env


def _warm_bytecode() -> None:
    subprocess.run([sys.executable, "-c", "import attestverify"], check=True, cwd=ROOT, env=_env())


_IMPORTTIME = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def importtime(python: str = sys.executable) -> tuple[float, list[tuple[str, float]]]:
    """Cumulative ms of `attestverify` under `-X importtime`, and the self time of its import
    subtree summed by top-level package (attestverify itself, cryptography, pyasn1, ...)."""
    out = subprocess.run(
        [python, "-X", "importtime", "-c", "import attestverify"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=_env(),
    ).stderr
    rows = []
    for line in out.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            rows.append(
                (match.group(4), int(match.group(1)) / 1000, int(match.group(2)) / 1000, len(match.group(3)))
            )
    index = next(i for i, row in enumerate(rows) if row[0] == "attestverify")
    depth = rows[index][3]
    by_package: dict[str, float] = {"attestverify": rows[index][1]}
    # The subtree is listed before its root, every row one or more levels deeper.
    for name, self_ms, _cumulative, indent in reversed(rows[:index]):
        if indent <= depth:
            break
        package = name.split(".", 1)[0]
        by_package[package] = by_package.get(package, 0.0) + self_ms
    ranked = sorted(by_package.items(), key=lambda item: -item[1])
    return rows[index][2], ranked[:8]


def cold_start(case: object, runs: int) -> ColdStart:
    """`runs` fresh processes for each measurement; medians."""
    _warm_bytecode()
    cumulative, heavy = [], []
    for _ in range(runs):
        total, children = importtime()
        cumulative.append(total)
        heavy = heavy or children
    extra = case.extra  # type: ignore[attr-defined]
    status = extra.get("android_status")
    if set(extra) - {"formats", "android_status"} or status not in (None, android.STATUS_UNCHECKED):
        raise ValueError(f"cold start cannot pass {sorted(extra)} to a fresh interpreter")
    material = {
        "fmt": case.fmt,  # type: ignore[attr-defined]
        "cbor": case.cbor.hex(),  # type: ignore[attr-defined]
        "ka": case.key_authorization,  # type: ignore[attr-defined]
        "now": case.now.isoformat(),  # type: ignore[attr-defined]
        "roots": [r.public_bytes(Encoding.PEM).decode() for r in case.roots],  # type: ignore[attr-defined]
        # The android-key keywords (a format list, the status sentinel) rebuilt in the child.
        "formats": list(extra.get("formats") or ()),
        "status_unchecked": status is not None,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(material, handle)
    try:
        results = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", _FIRST_CALL, handle.name],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env=_env(),
            ).stdout
            results.append(json.loads(out))
    finally:
        os.unlink(handle.name)
    return ColdStart(
        importtime_cumulative_ms=statistics.median(cumulative),
        import_wall_ms=statistics.median(r[0] for r in results) * 1e3,
        first_verify_ms=statistics.median(r[1] for r in results) * 1e3,
        second_verify_ms=statistics.median(r[2] for r in results) * 1e3,
        modules=int(statistics.median(r[3] for r in results)),
        heavy=heavy,
        runs=runs,
    )


# --- RSS ---------------------------------------------------------------------------------------


def rss_kib() -> int:
    """Current resident set size (VmRSS) in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@dataclass(frozen=True)
class Rss:
    calls: int
    before_kib: int  # after a warm-up of 1,000 calls
    middle_kib: int  # after half the calls
    after_kib: int
    seconds: float


def rss_over(calls: list[Callable[[], object]], total: int) -> Rss:
    """RSS before, halfway and after `total` verify() calls, round-robin over `calls`."""
    for _ in range(1000 // len(calls) + 1):
        for call in calls:
            call()
    before = rss_kib()
    start = time.perf_counter()
    done, middle = 0, 0
    while done < total:
        for call in calls:
            call()
        done += len(calls)
        if not middle and done >= total // 2:
            middle = rss_kib()
    return Rss(done, before, middle, rss_kib(), time.perf_counter() - start)


# --- concurrency -------------------------------------------------------------------------------


def _threads_once(call: Callable[[], object], total: int, threads: int) -> float:
    per = total // threads
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for _ in range(per):
            call()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    return per * threads / (time.perf_counter() - start)


@dataclass(frozen=True)
class Scaling:
    one_thread: float  # calls/s, medians over the repeats
    eight_threads: float
    processes: float


def scaling(call: Callable[[], object], total: int, processes: int, repeat: int) -> Scaling:
    """1 thread, 8 threads and `processes` forked processes on the same `total` calls, alternated
    `repeat` times (so slow phases of a shared machine hit all three alike); medians of calls/s."""
    one, eight, procs = [], [], []
    for _ in range(repeat):
        one.append(_threads_once(call, total, 1))
        eight.append(_threads_once(call, total, 8))
        procs.append(processes_throughput(call, total, processes))
    return Scaling(statistics.median(one), statistics.median(eight), statistics.median(procs))


_WORK: Callable[[], object] | None = None  # inherited by forked workers


def _process_worker(per: int, barrier: object, done: object) -> None:
    assert _WORK is not None
    for _ in range(20):  # touch the inherited pages (copy-on-write) before the clock starts
        _WORK()
    barrier.wait()  # type: ignore[attr-defined]
    for _ in range(per):
        _WORK()
    done.put(per)  # type: ignore[attr-defined]


def processes_throughput(call: Callable[[], object], total: int, processes: int) -> float:
    """Calls/s with one forked process per core, `total` calls split evenly (start-up excluded)."""
    global _WORK  # noqa: PLW0603 - the fork start method passes the closure by inheritance
    _WORK = call
    ctx = multiprocessing.get_context("fork")
    barrier, done = ctx.Barrier(processes + 1), ctx.Queue()
    per = total // processes
    workers = [ctx.Process(target=_process_worker, args=(per, barrier, done)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    finished = sum(done.get() for _ in workers)
    elapsed = time.perf_counter() - start
    for worker in workers:
        worker.join()
    return finished / elapsed
