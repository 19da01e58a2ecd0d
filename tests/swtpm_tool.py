"""Real `TPM2_Certify` statements from a software TPM (swtpm) driven by tpm2-pytss.

Used two ways:

* by `tests/test_tpm_swtpm.py` (session fixture `Swtpm`, then `certify()` per variant);
* as a script that regenerates the committed fixtures, so CI without swtpm still verifies real
  swtpm output:

      python tests/swtpm_tool.py --out testdata/swtpm-generated/

Each fixture JSON holds the CBOR attestation object (hex), the PEM of the test root that issued
the AK certificate, the key authorization it is bound to and the pinned verification time.
Needs `swtpm` on PATH and `pip install tpm2-pytss` (tested with tpm2-pytss 3.0.0, swtpm 0.7.1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import pki
import tpm_pki

# (name, AK template, attested-key template, COSE alg of the statement)
VARIANTS: tuple[tuple[str, str, str, int], ...] = (
    ("ak-ecc-key-ecc", "ecc256:ecdsa-sha256:null", "ecc256", -7),
    ("ak-ecc-key-rsa", "ecc256:ecdsa-sha256:null", "rsa2048", -7),
    ("ak-rsa-key-ecc", "rsa2048:rsassa-sha256:null", "ecc256", -257),
    ("ak-rsa-key-rsa", "rsa2048:rsassa-sha256:null", "rsa2048", -257),
    ("ak-rsa-rs1-key-rsa", "rsa2048:rsassa-sha1:null", "rsa2048", -65535),
)
PERMANENT_ID_ASSIGNER = "1.3.6.1.4.1.99999.1"  # a test arc; real CAs use their own OID
_STARTUP_TIMEOUT_S = 10.0


def free_port_pair() -> int:
    """A loopback port P with P+1 free as well (swtpm's control channel is always P+1)."""
    for _ in range(64):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            if port >= 65535:
                continue
            try:
                with socket.socket() as second:
                    second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port pair")


class Swtpm:
    """A swtpm child process on a free loopback port pair, with its own state directory."""

    def __init__(self) -> None:
        self.workdir = tempfile.mkdtemp(prefix="attestverify-swtpm-")
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Swtpm:
        binary = shutil.which("swtpm")
        if binary is None:
            raise RuntimeError("swtpm is not on PATH")
        state = os.path.join(self.workdir, "state")
        os.makedirs(state)
        self.port = free_port_pair()
        log = open(os.path.join(self.workdir, "swtpm.log"), "wb")  # noqa: SIM115 - lives with the process
        self.proc = subprocess.Popen(
            [
                binary, "socket", "--tpm2",
                "--server", f"type=tcp,port={self.port},bindaddr=127.0.0.1",
                "--ctrl", f"type=tcp,port={self.port + 1},bindaddr=127.0.0.1",
                "--tpmstate", f"dir={state}",
                "--flags", "not-need-init,startup-clear",
            ],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"swtpm exited: {self.log()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)  # polling the port, bounded by the deadline
        self.stop()
        raise RuntimeError("swtpm did not open its port in time")

    def log(self) -> str:
        try:
            return pathlib.Path(self.workdir, "swtpm.log").read_text(errors="replace")
        except OSError:
            return ""

    def tcti_config(self) -> str:
        return f"host=127.0.0.1,port={self.port}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Swtpm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Certified:
    """Raw output of one TPM2_Certify run (all bytes exactly as the TPM produced them)."""

    name: str
    alg: int
    cert_info: bytes
    sig: bytes
    pub_area: bytes
    ak_pub_area: bytes
    ak_public: Any  # cryptography public key of the AK
    manufacturer: str


def open_esapi(tpm: Swtpm) -> Any:
    from tpm2_pytss import ESAPI, TCTILdr

    return ESAPI(TCTILdr("swtpm", tpm.tcti_config()))


def manufacturer(esapi: Any) -> str:
    """The TPM_PT_MANUFACTURER property as an `id:XXXXXXXX` SAN value."""
    from tpm2_pytss.constants import TPM2_CAP, TPM2_PT

    _, data = esapi.get_capability(TPM2_CAP.TPM_PROPERTIES, TPM2_PT.MANUFACTURER, 1)
    for prop in data.data.tpmProperties:
        if prop.property == TPM2_PT.MANUFACTURER:
            return f"id:{int(prop.value):08X}"
    return "id:49424D00"


def certify(  # noqa: PLR0917 - mirrors the VARIANTS tuple
    esapi: Any,
    name: str,
    ak_template: str,
    key_template: str,
    alg: int,
    extra_data: bytes,
    *,
    key_extra_attributes: int = 0,
    key_name_alg: str = "sha256",
) -> Certified:
    """Create an AK and a key under a fresh SRK, certify the key with the AK, flush all three.

    `key_extra_attributes` and `key_name_alg` change the attested key's template (negative tests).
    """
    from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPMA_OBJECT
    from tpm2_pytss.types import TPM2B_DATA, TPM2B_PUBLIC, TPMT_PUBLIC, TPMT_SIG_SCHEME

    base = (
        TPMA_OBJECT.FIXEDTPM
        | TPMA_OBJECT.FIXEDPARENT
        | TPMA_OBJECT.SENSITIVEDATAORIGIN
        | TPMA_OBJECT.USERWITHAUTH
    )
    srk_template = TPMT_PUBLIC.parse(
        "ecc256:aes128cfb", objectAttributes=TPMA_OBJECT.DEFAULT_TPM2_TOOLS_CREATEPRIMARY_ATTRS
    )
    srk, _, _, _, _ = esapi.create_primary(None, TPM2B_PUBLIC(srk_template), primary_handle=ESYS_TR.OWNER)
    try:
        # ":null" matters: TPMT_PUBLIC.parse gives restricted keys aes128cfb, which signing keys refuse.
        ak_public_t = TPMT_PUBLIC.parse(
            ak_template, objectAttributes=base | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.SIGN_ENCRYPT
        )
        ak_priv, ak_pub, _, _, _ = esapi.create(srk, None, TPM2B_PUBLIC(ak_public_t))
        ak = esapi.load(srk, ak_priv, ak_pub)
        key_public_t = TPMT_PUBLIC.parse(
            key_template,
            objectAttributes=base | TPMA_OBJECT.SIGN_ENCRYPT | key_extra_attributes,
            nameAlg=key_name_alg,
        )
        key_priv, key_pub, _, _, _ = esapi.create(srk, None, TPM2B_PUBLIC(key_public_t))
        key = esapi.load(srk, key_priv, key_pub)
        attest, signature = esapi.certify(
            key, ak, TPM2B_DATA(extra_data), TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)
        )
        esapi.flush_context(key)
        esapi.flush_context(ak)
    finally:
        esapi.flush_context(srk)
    ak_public = serialization.load_pem_public_key(ak_pub.to_pem())
    return Certified(
        name=name,
        alg=alg,
        cert_info=bytes(attest),  # TPM2B_ATTEST buffer = the TPMS_ATTEST bytes
        sig=bytes(signature.marshal()),  # the full TPMT_SIGNATURE
        pub_area=bytes(key_pub.publicArea.marshal()),
        ak_pub_area=bytes(ak_pub.publicArea.marshal()),
        ak_public=ak_public,
        manufacturer=manufacturer(esapi),
    )


def permanent_identifier_value(out: Certified) -> str:
    """A stable per-AK device id for the PermanentIdentifier SAN (no '/' so it is ACME-usable)."""
    return "swtpm-" + hashlib.sha256(out.ak_pub_area).hexdigest()[:32]


def attestation_object(out: Certified, label: str = "swtpm") -> tuple[bytes, x509.Certificate]:
    """The CBOR attObj for `out` with an AK certificate from a test CA, and that CA's root."""
    root, intermediate = tpm_pki.test_ca(label)
    san = [
        *tpm_pki.tpm_directory(out.manufacturer, "swtpm", "id:20191023", layout="separate"),
        tpm_pki.permanent_identifier_san(permanent_identifier_value(out), PERMANENT_ID_ASSIGNER),
    ]
    ak_cert = tpm_pki.ak_certificate(out.ak_public, intermediate, san=san)
    att_stmt = {
        "ver": "2.0",
        "alg": out.alg,
        "x5c": [ak_cert.public_bytes(serialization.Encoding.DER), intermediate.der],
        "sig": out.sig,
        "certInfo": out.cert_info,
        "pubArea": out.pub_area,
    }
    return cbor2.dumps({"fmt": "tpm", "attStmt": att_stmt}), root.cert


def fixture(out: Certified, key_authorization: str) -> dict[str, Any]:
    attobj, root = attestation_object(out)
    return {
        "variant": out.name,
        "generator": "tests/swtpm_tool.py (swtpm + tpm2-pytss); regenerate with --out",
        "key_authorization": key_authorization,
        "now": pki.NOW.isoformat(),
        "alg": out.alg,
        "manufacturer": out.manufacturer,
        "permanent_identifier": f"{permanent_identifier_value(out)}/{PERMANENT_ID_ASSIGNER}",
        "attobj_hex": attobj.hex(),
        "root_pem": root.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "ak_pub_area_hex": out.ak_pub_area.hex(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="directory for the fixture JSON files")
    parser.add_argument("--key-authorization", default=pki.KEY_AUTHORIZATION)
    args = parser.parse_args(argv)
    out_dir = pathlib.Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    extra = hashlib.sha256(args.key_authorization.encode("utf-8")).digest()
    with Swtpm() as tpm:
        esapi = open_esapi(tpm)
        try:
            for name, ak_t, key_t, alg in VARIANTS:
                out = certify(esapi, name, ak_t, key_t, alg, extra)
                path = out_dir / f"{name}.json"
                path.write_text(json.dumps(fixture(out, args.key_authorization), indent=1) + "\n")
                print(f"wrote {path}")
        finally:
            esapi.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
