"""Developer sessions: `nox -s tests`, `lint`, `typecheck`, `fuzz`, `bench`, `docs`."""

from __future__ import annotations

import os
import shutil
import subprocess

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PACKAGE = "attestverify"
LINTED = [PACKAGE, "tests", "fuzz", "benchmarks", "noxfile.py"]


def _have_tss() -> bool:
    # tpm2-pytss builds against the native TSS libraries; without them only the swtpm tests skip.
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return False
    return subprocess.run([pkg_config, "--exists", "tss2-esys"], check=False).returncode == 0  # noqa: S603


@nox.session
def tests(session: nox.Session) -> None:
    """The full test suite (swtpm tests run when swtpm and libtss2 are installed)."""
    extras = "test,tpm" if _have_tss() else "test"
    session.install(f".[{extras}]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("mypy>=1.11", ".")
    session.run("mypy", "--strict", PACKAGE)


@nox.session
def fuzz(session: nox.Session) -> None:
    """atheris harnesses: `nox -s fuzz -- SECONDS_PER_HARNESS` (default 60)."""
    session.install(".[fuzz]")
    seconds = session.posargs[0] if session.posargs else "60"
    session.run("python", "fuzz/run_all.py", "--seconds", seconds, env={"PYTHONHASHSEED": "0"})


# Peers timed on the same TPM statement; pinned so that runs compare, installed in this session only.
BENCH_PEERS = ["webauthn==3.0.1", "fido2==2.2.1"]


@nox.session
def bench(session: nox.Session) -> None:
    """Issue 14 performance table: `nox -s bench -- [--quick] [--write-docs]` (benchmarks/README.md)."""
    session.install(".[test]", *BENCH_PEERS)
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the mkdocs site (API pages rendered by mkdocstrings)."""
    session.install(".[docs]")
    session.run("mkdocs", "build", "--strict", env={"PYTHONPATH": os.getcwd()})
