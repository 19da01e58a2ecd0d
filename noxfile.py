"""Developer sessions: `nox -s tests`, `lint`, `typecheck`, `properties`, `fuzz`, `bench`, `docs`."""

from __future__ import annotations

import os
import shutil
import subprocess

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PACKAGE = "attestverify"
LINTED = [PACKAGE, "tests", "fuzz", "benchmarks", "tools", "noxfile.py", "mkdocs_hooks.py"]


def _have_tss() -> bool:
    # tpm2-pytss builds against the native TSS libraries; without them only the swtpm tests skip.
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return False
    return subprocess.run([pkg_config, "--exists", "tss2-esys"], check=False).returncode == 0  # noqa: S603


@nox.session
def tests(session: nox.Session) -> None:
    """The full test suite (swtpm tests run when swtpm and libtss2 are installed)."""
    extras = "test,swtpm" if _have_tss() else "test"
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
    """mypy --strict on the package and the tests."""
    # The tests import the e2e client (integration extra); acme2certifier itself stays untyped
    # (ignore_missing_imports) and out of this environment.
    session.install("mypy>=1.11", ".[test,integration]")
    session.run("mypy", "--strict", PACKAGE, "tests")


@nox.session
def properties(session: nox.Session) -> None:
    """Property tests with random seeds and 20x the budget: `nox -s properties -- [SCALE]`.

    The default test run is derandomized (tests/conftest.py, profile "ci"); this session selects the
    "explore" profile. A failure is printed with its falsifying example and a reproduction blob and
    kept in .hypothesis/explore (replayed first on the next run); commit it as an explicit
    `@example` or regression test (docs/reliability.md, "Property tests").
    """
    session.install(".[test]")
    scale = session.posargs[0] if session.posargs else "20"
    env = {"HYPOTHESIS_PROFILE": "explore", "ATTESTVERIFY_PROPERTY_SCALE": scale}
    args = ["-p", "no:cacheprovider", "tests/test_properties.py", "--hypothesis-show-statistics"]
    session.run("pytest", *args, *session.posargs[1:], env=env)


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
    """Build the mkdocs site strictly, then check its rendering (tools/check_docs_site.py)."""
    session.install(".[docs]")
    session.run("mkdocs", "build", "--strict", "-d", "site", env={"PYTHONPATH": os.getcwd()})
    session.run("python", "tools/check_docs_site.py", "site")
