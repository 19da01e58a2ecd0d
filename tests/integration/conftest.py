"""Fixtures for the end-to-end tests: an acme2certifier server on 127.0.0.1 and an `acme` client.

acme2certifier (GPL-3) stays a separate process, installed from PyPI into its own virtual
environment (.ci/run makes it and exports ATTESTVERIFY_A2C_PYTHON); it imports attestverify from
this checkout through PYTHONPATH. Everything it writes (sqlite database, CA, certificates, the
identity record store) lives in a temporary directory.

Missing dependencies skip these tests locally and fail them when ATTESTVERIFY_REQUIRE_INTEGRATION=1
(as CI sets), following tests/optional.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from attestverify.testing.pki import issue, name, new_key

ROOT = pathlib.Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("ATTESTVERIFY_REQUIRE_INTEGRATION") == "1"
A2C_VERSION = "0.46.3"


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (required: ATTESTVERIFY_REQUIRE_INTEGRATION=1)", pytrace=False)
    pytest.skip(reason)


def _a2c_python() -> str:
    candidate = os.environ.get("ATTESTVERIFY_A2C_PYTHON", sys.executable)
    probe = subprocess.run(
        [candidate, "-c", "import importlib.metadata as m; print(m.version('acme2certifier'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        _missing(f"acme2certifier is not installed for {candidate} (set ATTESTVERIFY_A2C_PYTHON)")
    if probe.stdout.strip() != A2C_VERSION:
        _missing(f"acme2certifier {probe.stdout.strip()} found, the tests pin {A2C_VERSION}")
    return candidate


def _empty_crl(cert: x509.Certificate, key: Any) -> bytes:
    now = dt.datetime.now(dt.timezone.utc)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(cert.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.PEM)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running acme2certifier: its directory URL and where the test roots go."""

    directory: str
    workdir: pathlib.Path
    log: pathlib.Path

    def trust(self, fmt: str, pem: bytes) -> None:
        """Add a test root for `fmt` (the validator re-reads the roots on every challenge)."""
        roots = json.loads((self.workdir / "roots.json").read_text())
        path = self.workdir / f"roots-{fmt}.pem"
        with path.open("ab") as handle:
            handle.write(pem)
        roots[fmt] = str(path)
        (self.workdir / "roots.json").write_text(json.dumps(roots))


_CONFIG = """[DEFAULT]
debug: False

[Nonce]
nonce_check_disable: False

[CAhandler]
handler_module: acme2certifier.cahandlers.openssl_ca_handler
issuing_ca_key: {dir}/ca-key.pem
issuing_ca_cert: {dir}/ca-cert.pem
cert_save_path: {dir}/certs
issuing_ca_crl: {dir}/ca.crl
cert_validity_days: 1

[DBhandler]
handler: wsgi
dbfile: {dir}/acme_srv.db

[Challenge]
http_01_support: False
dns_01_support: False
tls_alpn_01_support: False

[Order]
tnauthlist_support: False
"""


@pytest.fixture(scope="session")
def a2c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    try:
        import acme  # noqa: F401
    except ImportError:
        _missing("certbot's acme package is not installed (pip install '.[integration]')")
    python = _a2c_python()
    workdir = tmp_path_factory.mktemp("a2c")
    (workdir / "certs").mkdir()
    ca = issue(name("attestverify e2e CA"), new_key("p256"), None, dt.datetime.now(dt.timezone.utc), ca=True)
    (workdir / "ca-key.pem").write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (workdir / "ca-cert.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    (workdir / "ca.crl").write_bytes(_empty_crl(ca.cert, ca.key))
    (workdir / "acme_srv.cfg").write_text(_CONFIG.format(dir=workdir))
    (workdir / "roots.json").write_text("{}")
    port = _free_port()
    env = {
        **os.environ,
        "ACME_SRV_CONFIGFILE": str(workdir / "acme_srv.cfg"),
        "A2C_GLUE_RECORDS": str(workdir / "records.db"),
        "A2C_GLUE_ROOTS": str(workdir / "roots.json"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "integration")]),
    }
    log = workdir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [python, "-m", "a2c_glue.serve", str(port)], cwd=workdir, env=env, stdout=out, stderr=out
        )
    try:
        directory = f"http://127.0.0.1:{port}/directory"
        _wait(directory, proc, log)
        yield Server(directory, workdir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if os.environ.get("ATTESTVERIFY_KEEP_A2C_LOG"):
            shutil.copy(log, os.environ["ATTESTVERIFY_KEEP_A2C_LOG"])


def _wait(url: str, proc: subprocess.Popen[bytes], log: pathlib.Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"acme2certifier exited: {log.read_text()[-2000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"acme2certifier did not answer at {url}: {log.read_text()[-2000:]}", pytrace=False)
