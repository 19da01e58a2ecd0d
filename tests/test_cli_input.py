"""The command line as a new user meets it: input forms, certificate files, --version, Ctrl-C,
usage errors and readable output. Each point runs through `main()` and, when the package is
installed (CI: `pip install .`), through the `attestverify` console script."""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
import statements
import yubikey_pki as yk
from apple_pki import SERIAL
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from pki import ec_key

import attestverify
from attestverify.cli import main

REPO = pathlib.Path(__file__).resolve().parents[1]
SWTPM = REPO / "testdata" / "swtpm-generated"
SCRIPT = shutil.which("attestverify")
needs_script = pytest.mark.skipif(
    SCRIPT is None, reason="console script installed by `pip install .` only (CI installs it)"
)


def iso(case: statements.Case) -> str:
    return case.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def script(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    assert SCRIPT is not None
    done = subprocess.run([SCRIPT, *argv], input=stdin, capture_output=True, timeout=60, check=False)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def write(tmp_path: pathlib.Path, name_: str, data: bytes) -> str:
    path = tmp_path / name_
    path.write_bytes(data)
    return str(path)


def verify_argv(case: statements.Case, file: str, root_file: str, *extra: str) -> list[str]:
    return ["verify", file, "--key-authorization", case.key_authorization, "--now", iso(case),
            "--roots", f"{case.fmt}={root_file}", *extra]  # fmt: skip


def _wrapped(text: bytes, width: int, end: bytes) -> bytes:
    return end.join(text[i : i + width] for i in range(0, len(text), width)) + end


APPLE = statements.apple()
STD = base64.b64encode(APPLE.cbor)
FORMS = {
    "base64url-padded": base64.urlsafe_b64encode(APPLE.cbor),
    "base64-w0": STD,
    "base64-newline": STD + b"\n",
    "base64-wrapped-76": _wrapped(STD, 76, b"\n"),
    "base64-wrapped-crlf": _wrapped(STD, 64, b"\r\n"),
    "base64url-unpadded-crlf": base64.urlsafe_b64encode(APPLE.cbor).rstrip(b"=") + b"\r\n",
    "raw-cbor": APPLE.cbor,
    "payload-json": json.dumps(
        {"attObj": base64.urlsafe_b64encode(APPLE.cbor).decode().rstrip("=")}
    ).encode(),
}


# --- 1. input forms ---------------------------------------------------------------------------


@pytest.mark.parametrize("form", list(FORMS))
def test_input_forms_verify(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, form: str) -> None:
    file = write(tmp_path, "st", FORMS[form])
    root_file = write(tmp_path, "root.pem", pem(*APPLE.roots))
    code, out, err = run(capsys, *verify_argv(APPLE, file, root_file))
    assert code == 0, err
    assert "format: apple" in out
    code, out, err = run(capsys, "inspect", file, "--json")
    assert code == 0 and json.loads(out)["inspect"]["fmt"] == "apple", err


@needs_script
@pytest.mark.parametrize("form", ["base64-w0", "base64-wrapped-crlf", "base64url-padded"])
def test_input_forms_console_script(tmp_path: pathlib.Path, form: str) -> None:
    root_file = write(tmp_path, "root.pem", pem(*APPLE.roots))
    code, out, err = script(*verify_argv(APPLE, "-", root_file), stdin=FORMS[form])
    assert code == 0, err
    assert "format: apple" in out


def test_library_str_rule_stays_strict() -> None:
    # The convenience is the CLI's only: verify() still refuses padded or standard base64.
    # (A random statement may encode identically in every alphabet; these never do.)
    for text in ("+//+", "_w==", base64.b64encode(b"\xfb\xff" + APPLE.cbor).decode()):
        with pytest.raises(attestverify.MalformedError) as exc:
            APPLE.verify(text)
        assert exc.value.check == "D2"


def _csr_pem() -> bytes:
    key = ec_key("p256", "cli-csr")
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "csr")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(Encoding.PEM)


@pytest.mark.parametrize(
    ("data", "holds"),
    [
        (pem(*APPLE.roots), "a certificate"),
        (b"\n  " + pem(*APPLE.roots), "a certificate"),
        (_csr_pem(), "a CSR"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "a private key"),
        (b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", "a PEM block labelled 'FOO'"),
    ],
    ids=["certificate", "certificate-after-blank", "csr", "private-key", "other"],
)
def test_pem_file_is_named_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, data: bytes, holds: str
) -> None:
    file = write(tmp_path, "x.pem", data)
    root_file = write(tmp_path, "root.pem", pem(*APPLE.roots))
    for argv in (verify_argv(APPLE, file, root_file), ["inspect", file], ["inspect", file, "--json"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == ""
        assert f"FILE is PEM holding {holds}" in err
        assert "must be an attestation object" in err
        assert "CBOR:" not in err


@needs_script
def test_pem_file_console_script() -> None:
    code, _, err = script("inspect", "-", stdin=_csr_pem())
    assert code == 2 and "FILE is PEM holding a CSR" in err


def test_hex_is_not_guessed_but_hinted(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    file = write(tmp_path, "st.hex", APPLE.cbor.hex().encode() + b"\n")
    code, _, err = run(capsys, "inspect", file)
    assert code == 1
    assert err.startswith("malformed (D")
    assert "looks like hex" in err


def _doc_conversion() -> str:
    text = (REPO / "docs" / "cli.md").read_text()
    block = re.search(r"```sh\n(# swtpm fixture.*?)```", text, re.DOTALL)
    assert block is not None, "docs/cli.md lost the swtpm conversion block"
    return block.group(1)


def test_documented_hex_conversion_runs(tmp_path: pathlib.Path) -> None:
    # The one-line conversion in docs/cli.md turns a swtpm fixture into files the CLI verifies.
    commands = _doc_conversion().replace("python3 ", f"{sys.executable} ")
    if SCRIPT is None:
        commands = commands.replace("attestverify verify", f"{sys.executable} -m attestverify verify")
    shutil.copy(SWTPM / "ak-rsa-rs1-key-rsa.json", tmp_path / "ak-rsa-rs1-key-rsa.json")
    env = {**os.environ, "F": "ak-rsa-rs1-key-rsa.json", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", commands],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"format: tpm" in done.stdout
    assert b"relaxations: tpm-rs1, tpm-bare-rsa-signature" not in done.stdout  # a TPMT_SIGNATURE
    assert b"relaxations: tpm-rs1" in done.stdout


# --- 2. certificate files ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["pem", "der", "pem-bundle", "der-concatenated"])
def test_roots_and_intermediates_take_der_and_bundles(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, encoding: str
) -> None:
    case = statements.step_574()
    tree = yk.tree_574()
    other = statements.apple().roots[0]
    blobs = {
        "pem": pem(tree.root.cert),
        "der": tree.root.cert.public_bytes(Encoding.DER),
        "pem-bundle": pem(other, tree.root.cert),
        "der-concatenated": other.public_bytes(Encoding.DER) + tree.root.cert.public_bytes(Encoding.DER),
    }
    root_file = write(tmp_path, "roots", blobs[encoding])
    # Only leaf + F9 in FILE: the path needs the intermediates given on the command line.
    file = write(tmp_path, "st", yk.att_obj([tree.leaf.der, tree.f9.der], yk.sign(tree.leaf.key)))
    inter = [c.cert for c in tree.intermediates]
    inter_file = write(
        tmp_path,
        "inter",
        b"".join(c.public_bytes(Encoding.DER) for c in inter) if "der" in encoding else pem(*inter),
    )
    code, out, err = run(capsys, *verify_argv(case, file, root_file, "--intermediates", inter_file))
    assert code == 0, err
    assert "format: step" in out
    code, _, err = run(capsys, *verify_argv(case, file, root_file))
    assert code == 1 and err.startswith("untrusted-chain (S4)")


def test_bad_certificate_file_message_is_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    bad = write(tmp_path, "bad.pem", b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    code, _, err = run(capsys, *verify_argv(APPLE, bad, bad))
    assert code == 2
    assert err.rstrip().endswith("PEM block 1 is not a valid certificate")
    key = write(tmp_path, "key.pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    code, _, err = run(capsys, *verify_argv(APPLE, bad, key))
    assert code == 2 and err.rstrip().endswith("PEM block 1 is a 'PRIVATE KEY', not a CERTIFICATE")


@pytest.mark.parametrize("value", ["foo=x.pem", "TPM=root.pem", "android=root.pem"])
def test_roots_unknown_format(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, value: str) -> None:
    root_file = write(tmp_path, "root.pem", pem(*APPLE.roots))
    code, _, err = run(capsys, "verify", root_file, "--key-authorization", APPLE.key_authorization,
                       "--roots", value)  # fmt: skip
    assert code == 2
    assert f"unknown format {value.split('=', maxsplit=1)[0]!r}" in err
    assert "implemented: apple, step, tpm" in err


def test_bare_roots_file_whose_name_has_an_equals_sign(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    root_file = write(tmp_path, "a=b.pem", pem(*APPLE.roots))
    file = write(tmp_path, "st", APPLE.cbor)
    argv = ["verify", file, "--key-authorization", APPLE.key_authorization, "--now", iso(APPLE)]
    code, _, err = run(capsys, *argv, "--roots", root_file, "--formats", "apple")
    assert code == 0, err


# --- 3. --version, Ctrl-C, --help -------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"attestverify {attestverify.__version__}"


@needs_script
def test_version_console_script() -> None:
    code, out, _ = script("--version")
    assert code == 0 and out.strip() == f"attestverify {attestverify.__version__}"


def test_ctrl_c_exits_130_without_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("attestverify.cli.verify", interrupted)
    file = write(tmp_path, "st", APPLE.cbor)
    code, out, err = run(capsys, "verify", file, "--key-authorization", APPLE.key_authorization)
    assert code == 130 and out == ""
    assert err == "attestverify: interrupted\n"


@needs_script
@pytest.mark.skipif(not pathlib.Path("/proc/self/wchan").exists(), reason="needs Linux /proc to see the read")
def test_ctrl_c_console_script() -> None:
    assert SCRIPT is not None
    proc = subprocess.Popen([SCRIPT, "inspect", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        # Interrupt only once it blocks reading stdin (an interrupt during start-up is Python's).
        deadline = time.monotonic() + 30
        wchan = pathlib.Path(f"/proc/{proc.pid}/wchan")
        while "pipe_read" not in wchan.read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        if proc.stdin:
            proc.stdin.close()
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"interrupted" in err


@pytest.mark.parametrize(
    "argv", [["--help"], ["verify", "--help"], ["chain", "--help"], ["inspect", "--help"]]
)
def test_help_names_the_exit_statuses(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = run(capsys, *argv)
    assert code == 0
    if argv[0] == "inspect":
        assert "1 undecodable" in out
    else:
        assert "1 rejected" in out and "2 usage error" in out
    assert "failed" not in out


@needs_script
def test_help_console_script() -> None:
    code, out, _ = script("--help")
    assert code == 0 and "0 verified, 1 rejected, 2 usage error" in out


# --- 4. usage errors --------------------------------------------------------------------------


def test_formats_enabling_nothing_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    file = write(tmp_path, "st", APPLE.cbor)
    code, out, err = run(capsys, "verify", file, "--key-authorization", APPLE.key_authorization,
                         "--formats", "TPM", "--json")  # fmt: skip
    assert code == 2 and out == ""
    assert "malformed (D1): formats enables no implemented format" in err


@needs_script
def test_formats_enabling_nothing_console_script() -> None:
    code, _, err = script("verify", "-", "--key-authorization", APPLE.key_authorization, "--formats", "Apple",
                          stdin=APPLE.cbor)  # fmt: skip
    assert code == 2 and "(D1)" in err


# --- 8. human output --------------------------------------------------------------------------


def _tpm_files(tmp_path: pathlib.Path, variant: str) -> tuple[dict[str, Any], list[str]]:
    data = json.loads((SWTPM / f"{variant}.json").read_text())
    file = write(tmp_path, "st.cbor", bytes.fromhex(data["attobj_hex"]))
    root_file = write(tmp_path, "root.pem", data["root_pem"].encode())
    argv = ["verify", file, "--key-authorization", data["key_authorization"], "--now", data["now"],
            "--roots", f"tpm={root_file}"]  # fmt: skip
    return data, argv


def test_tpm_text_output(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    _, argv = _tpm_files(tmp_path, "ak-rsa-rs1-key-rsa")
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    lines = out.splitlines()
    assert "relaxations: tpm-rs1" in lines
    assert "tpm_vendor: IBM" in lines
    assert "tpm_model: swtpm" in lines
    assert "alg: -65535 (RS1)" in lines
    chain = lines[lines.index("chain (leaf first):") + 1 :]
    assert chain == ["  [0] (empty subject)", "  [1] CN=Test AK CA swtpm", "  [2] CN=Test TPM Root swtpm"]


def test_chain_subjects_with_commas_stay_separate(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    file = write(tmp_path, "st", APPLE.cbor)
    root_file = write(tmp_path, "root.pem", pem(*APPLE.roots))
    code, out, _ = run(capsys, *verify_argv(APPLE, file, root_file))
    assert code == 0
    lines = out.splitlines()
    chain = lines[lines.index("chain (leaf first):") + 1 :]
    assert len(chain) == 3  # leaf, Sub CA, root: one line each, whatever commas the subjects hold
    assert all(re.match(r"  \[\d\] ", line) for line in chain)
    assert chain[1].count(",") >= 1
    assert "os_version: 15.5" in lines
    assert f"serial_number: {SERIAL}" in lines


def test_step_text_output_names_policies(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    case = statements.step()
    file = write(tmp_path, "st", case.cbor)
    root_file = write(tmp_path, "root.pem", pem(*case.roots))
    code, out, err = run(capsys, *verify_argv(case, file, root_file))
    assert code == 0, err
    lines = out.splitlines()
    assert "firmware: 5.4.3" in lines
    assert "pin_policy: once (2)" in lines
    assert "touch_policy: never (1)" in lines
    assert "form_factor: usb-c-nano (4)" in lines


def test_inspect_names_tpm_numbers(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    data = json.loads((SWTPM / "ak-rsa-key-ecc.json").read_text())
    file = write(tmp_path, "st", bytes.fromhex(data["attobj_hex"]))
    code, out, _ = run(capsys, "inspect", file)
    assert code == 0
    expected_lines = (
        "alg: -257 (RS256)", "type: 35 (ECC)", "name_alg: 11 (SHA256)", "curve_id: 3 (NIST P-256)",
        "sig_alg: 20 (RSASSA)", "hash_alg: 11 (SHA256)", "magic: 4283712327 (TPM_GENERATED_VALUE)",
        "type: 32791 (TPM_ST_ATTEST_CERTIFY)", "symmetric: [16] (NULL)",
    )  # fmt: skip
    for expected in expected_lines:
        assert f" {expected}" in out, expected
    assert re.search(r"object_attributes: 262258 \(0x00040072: fixedTPM \| fixedParent \| "
                     r"sensitiveDataOrigin \| userWithAuth \| sign\)", out)  # fmt: skip


def test_inspect_json_integers_are_numbers(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    data = json.loads((SWTPM / "ak-rsa-key-ecc.json").read_text())
    file = write(tmp_path, "st", bytes.fromhex(data["attobj_hex"]))
    code, out, _ = run(capsys, "inspect", file, "--json")
    body = json.loads(out)["inspect"]
    assert code == 0
    assert body["attStmt"]["alg"] == -257
    assert body["tpm"]["pubArea"]["object_attributes"] == 0x00040072
    assert isinstance(body["tpm"]["certInfo"]["clock"], int)
    assert isinstance(body["tpm"]["certInfo"]["firmware_version"], int)


@needs_script
def test_text_output_console_script(tmp_path: pathlib.Path) -> None:
    _, argv = _tpm_files(tmp_path, "ak-ecc-key-ecc")
    code, out, err = script(*argv)
    assert code == 0, err
    assert "  [0] (empty subject)" in out.splitlines()


# --- 7. the documented example is the real output ---------------------------------------------


def test_docs_cli_example_matches_real_output(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (REPO / "docs" / "cli.md").read_text()
    block = re.search(r"```text\n(\$ attestverify verify payload\.json.*?)```", text, re.DOTALL)
    assert block is not None, "docs/cli.md lost its example"
    (tmp_path / "att.cbor").write_bytes(APPLE.cbor)
    payload = {"attObj": base64.urlsafe_b64encode(APPLE.cbor).decode().rstrip("=")}
    (tmp_path / "payload.json").write_text(json.dumps(payload))
    (tmp_path / "root.pem").write_bytes(pem(*APPLE.roots))
    monkeypatch.chdir(tmp_path)
    lines = block.group(1).splitlines()
    commands = [i for i, line in enumerate(lines) if line.startswith("$ attestverify ")]
    assert len(commands) == 3
    for start in commands:
        end = lines.index("$ echo $?", start)
        argv = [
            a.replace("$KA", APPLE.key_authorization)
            for a in shlex_split(lines[start][len("$ attestverify ") :])
        ]
        code, out, err = run(capsys, *argv)
        # The test PKI's keys are fresh per run: only the fingerprint and the leaf CN (a hash) vary.
        assert _stable((out + err).splitlines()) == _stable(lines[start + 1 : end]), lines[start]
        assert str(code) == lines[end + 1]


def _stable(lines: list[str]) -> list[str]:
    return [re.sub(r"SHA256:[A-Za-z0-9+/]{43}=|CN=[0-9a-f]{64}", "<varies>", line) for line in lines]


def shlex_split(command: str) -> list[str]:
    import shlex

    return [a.replace("\0", "$KA") for a in shlex.split(command.replace('"$KA"', "\0"))]


@needs_script
def test_der_roots_and_unknown_format_console_script(tmp_path: pathlib.Path) -> None:
    der = write(tmp_path, "root.der", APPLE.roots[0].public_bytes(Encoding.DER))
    code, out, err = script(*verify_argv(APPLE, "-", der), stdin=APPLE.cbor)
    assert code == 0 and "format: apple" in out, err
    code, _, err = script(
        "verify", "-", "--key-authorization", APPLE.key_authorization, "--roots", "foo=x.pem"
    )
    assert code == 2 and "unknown format 'foo'" in err
