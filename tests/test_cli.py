"""The command line (SPEC §2.7): content detection, options, exit codes 0/1/2 and output formats."""

from __future__ import annotations

import base64
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Any

import cbor2
import pki
import pytest
import statements
from apple_pki import SERIAL, UDID, P, att_obj, hierarchy, leaf
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki import KEY_AUTHORIZATION, NOW, ec_key, root
from test_inspect import TPM_VECTOR, tpm_att_stmt
from vectors import REPO, load_vector

from attestverify import cli
from attestverify.cli import main

NOW_ISO = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
OTHER_KA = "otherTokenValue." + "A" * 43
JSON_KEYS = {
    "ok", "format", "fingerprint", "identifiers", "acme_identifiers", "serial_number", "udid",
    "relaxations", "chain", "details",
}  # fmt: skip


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


@pytest.fixture
def files(tmp_path: pathlib.Path) -> dict[str, pathlib.Path]:
    """An Apple-like statement in every FILE form, plus PEM files of its root."""
    root_cert, sub = hierarchy()
    statement = att_obj([leaf().der, sub.der])
    b64 = base64.urlsafe_b64encode(statement).rstrip(b"=")
    paths = {
        "cbor": statement,
        "b64": b64 + b"\n",
        "payload": json.dumps({"attObj": b64.decode(), "extra": "ignored"}).encode(),
        "root": _pem(root_cert.cert),
        # A PEM file may hold several certificates; an unrelated one does no harm.
        "roots2": _pem(root("Unrelated Root").cert, root_cert.cert),
        "other_root": _pem(root("Other Root", ec_key("p384", "other")).cert),
        "no_nonce": att_obj([leaf(values={P + "11.1": None}).der, sub.der]),
        "bad_pem": b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        "garbage": b"\xff\x00\x01",
    }
    out: dict[str, pathlib.Path] = {}
    for key, data in paths.items():
        out[key] = tmp_path / key
        out[key].write_bytes(data)
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verify_args(path: pathlib.Path | str, *extra: str, roots: pathlib.Path | None = None) -> list[str]:
    args = ["verify", str(path), "--key-authorization", KEY_AUTHORIZATION, "--now", NOW_ISO]
    if roots is not None:
        args += ["--roots", f"apple={roots}"]
    return args + list(extra)


# --- exit 0 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["cbor", "b64", "payload"])
def test_verify_every_file_form_exit_0(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path], form: str
) -> None:
    code, out, err = run(capsys, *verify_args(files[form], roots=files["root"]))
    assert (code, err) == (0, "")
    assert "format: apple" in out
    assert f"identifiers: {UDID}, {SERIAL}" in out
    assert f"serial_number: {SERIAL}" in out
    assert f"udid: {UDID}" in out
    assert "fingerprint: SHA256:" in out
    assert "relaxations: (none)" in out


def test_verify_from_stdin(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(files["b64"].read_bytes())))
    code, out, _ = run(capsys, *verify_args("-", roots=files["root"]))
    assert code == 0
    assert "format: apple" in out


def test_verify_json_has_the_documented_keys(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    code, out, _ = run(capsys, *verify_args(files["cbor"], "--json", roots=files["roots2"]))
    assert code == 0
    body: dict[str, Any] = json.loads(out)
    assert set(body) >= JSON_KEYS
    assert body["ok"] is True
    assert body["format"] == "apple"
    assert body["identifiers"] == [UDID, SERIAL]
    assert body["acme_identifiers"] == [
        {"type": "permanent-identifier", "value": UDID},
        {"type": "permanent-identifier", "value": SERIAL},
    ]
    assert body["serial_number"] == SERIAL
    assert body["udid"] == UDID
    assert body["relaxations"] == []
    assert len(body["chain"]) == 3
    assert "Apple Enterprise Attestation Root CA" in body["chain"][-1]
    assert body["details"]["binding"] == "token"
    assert body["details"]["os_version"] == "15.5"


def test_bare_roots_with_one_format(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    args = verify_args(files["cbor"], "--roots", str(files["root"]), "--formats", "apple")
    assert run(capsys, *args)[0] == 0


def test_naive_now_means_utc(capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]) -> None:
    args = verify_args(files["cbor"], roots=files["root"])
    args[args.index("--now") + 1] = NOW.strftime("%Y-%m-%dT%H:%M:%S")
    assert run(capsys, *args)[0] == 0
    # Naive = UTC, not local time: one second past the leaf's notAfter fails.
    after = (leaf().cert.not_valid_after_utc.replace(tzinfo=None)).isoformat(timespec="seconds")
    args[args.index("--now") + 1] = after
    assert run(capsys, *args)[0] == 0
    args[args.index("--now") + 1] = after[:-2] + f"{int(after[-2:]) + 1:02d}"
    code, _, err = run(capsys, *args)
    assert code == 1
    assert err.startswith("untrusted-chain (A3): ")


def test_allow_missing_apple_nonce_is_reported(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    code, _, err = run(capsys, *verify_args(files["no_nonce"], roots=files["root"]))
    assert code == 1
    assert err.startswith("challenge-mismatch (A6): ")
    code, out, _ = run(
        capsys, *verify_args(files["no_nonce"], "--allow-missing-apple-nonce", "--json", roots=files["root"])
    )
    assert code == 0
    assert json.loads(out)["relaxations"] == ["apple-nonce-absent"]


def test_matching_identifier(capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]) -> None:
    args = verify_args(files["cbor"], "--identifier", SERIAL, "--identifier-type", "permanent-identifier")
    assert run(capsys, *args, "--roots", f"apple={files['root']}")[0] == 0


# --- exit 1 ---------------------------------------------------------------------------------


def test_wrong_key_authorization_exit_1(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    args = verify_args(files["cbor"], roots=files["root"])
    args[args.index("--key-authorization") + 1] = OTHER_KA
    code, out, err = run(capsys, *args)
    assert (code, out) == (1, "")
    assert err.startswith("challenge-mismatch (A6): ")


def test_failure_as_json_on_stdout(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    code, out, err = run(capsys, *verify_args(files["cbor"], "--json", roots=files["other_root"]))
    assert (code, err) == (1, "")
    body = json.loads(out)
    assert body["ok"] is False
    assert body["code"] == "untrusted-chain"
    assert body["check"] == "A3"
    assert body["message"]


def test_identifier_mismatch_exit_1(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    code, _, err = run(
        capsys, *verify_args(files["cbor"], "--identifier", "someone-else", roots=files["root"])
    )
    assert code == 1
    assert err.startswith("identifier-mismatch (D7): ")


def test_undecodable_file_exit_1(capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]) -> None:
    code, _, err = run(capsys, *verify_args(files["garbage"]))
    assert code == 1
    assert err.startswith("malformed (D3): ")


def test_payload_without_att_obj_exit_1(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path], tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "payload.json"
    path.write_text('  {"error": "device refused"}')
    code, _, err = run(capsys, *verify_args(path))
    assert code == 1
    assert err.startswith("malformed (J1): ")
    assert "'device refused'" in err  # the device's reason is quoted (SPEC v2 §2.6)


def test_unsupported_format_exit_1(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    code, _, err = run(capsys, *verify_args(files["cbor"], "--formats", "tpm"))
    assert code == 1
    assert err.startswith("unsupported-format (D5): ")


def test_real_tpm_statement_challenge_mismatch_at_pinned_time(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    # Windows Hello: chain and certInfo signature hold at the pinned time, but extraData is the
    # WebAuthn hash, not SHA-256(key authorization).
    vector = load_vector(TPM_VECTOR)
    assert vector.now is not None
    path = tmp_path / "tpm.cbor"
    path.write_bytes(cbor2.dumps({"fmt": "tpm", "attStmt": tpm_att_stmt()}))
    code, out, _ = run(capsys, "verify", str(path), "--key-authorization", KEY_AUTHORIZATION,
                       "--now", vector.now.isoformat(), "--json")  # fmt: skip
    assert code == 1
    body = json.loads(out)
    assert body["code"] == "challenge-mismatch"
    assert body["check"] == "T10"


# --- exit 2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--roots", "ROOT"],  # bare --roots without --formats
        ["--roots", "ROOT", "--formats", "apple,tpm"],
        ["--roots", "ROOT", "--formats", "packed"],
        ["--now", "yesterday"],
        ["--now", "2026-13-01T00:00:00Z"],
        ["--roots", "apple=BAD_PEM"],
        ["--roots", "apple=MISSING"],
        ["--intermediates", "GARBAGE"],
        ["--identifier-type", "dns"],
        ["--formats", "apple,,tpm"],
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path], extra: list[str]
) -> None:
    substitutes = {"ROOT": files["root"], "BAD_PEM": files["bad_pem"], "GARBAGE": files["garbage"]}
    resolved = [str(substitutes.get(x, x)) for x in extra]
    resolved = [
        x.replace("BAD_PEM", str(files["bad_pem"])).replace("MISSING", "/nonexistent.pem") for x in resolved
    ]
    code, out, err = run(capsys, *verify_args(files["cbor"], *resolved))
    assert (code, out) == (2, "")
    assert err.strip()


def test_bad_key_authorization_is_usage_exit_2(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    args = verify_args(files["cbor"], roots=files["root"])
    args[args.index("--key-authorization") + 1] = "bare-token"
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "(D1)" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["verify"],
        ["verify", "FILE"],  # no --key-authorization
        ["verify", "/nonexistent/file", "--key-authorization", KEY_AUTHORIZATION],
        ["inspect", "/nonexistent/file"],
        ["inspect"],
    ],
)
def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.strip()


def test_help_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "--help")
    assert code == 0
    assert "--key-authorization" in out


# --- inspect --------------------------------------------------------------------------------


def test_inspect_text_is_marked_unverified(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    code, out, _ = run(capsys, "inspect", str(files["b64"]))
    assert code == 0
    assert out.startswith("UNVERIFIED")
    assert "verified: false" in out
    assert f"serial_number: {SERIAL}" in out


def test_inspect_json(capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]) -> None:
    code, out, _ = run(capsys, "inspect", str(files["payload"]), "--json")
    assert code == 0
    body = json.loads(out)
    assert list(body) == ["ok", "verified", "error", "inspect"]
    assert body["ok"] is True and body["verified"] is False and body["error"] is None
    assert body["inspect"]["fmt"] == "apple"
    assert len(body["inspect"]["certificates"]) == 2


def test_inspect_undecodable_exit_1(
    capsys: pytest.CaptureFixture[str], files: dict[str, pathlib.Path]
) -> None:
    code, _, err = run(capsys, "inspect", str(files["garbage"]))
    assert code == 1
    assert err.startswith("malformed (D3): ")
    code, out, _ = run(capsys, "inspect", str(files["garbage"]), "--json")
    assert code == 1
    body = json.loads(out)
    assert list(body) == ["ok", "verified", "error", "inspect"]  # the shape of success
    assert body["ok"] is False and body["inspect"] is None
    assert body["error"]["check"] == "D3" and body["error"]["code"] == "malformed"


def test_inspect_not_a_map_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    path = tmp_path / "list.cbor"
    path.write_bytes(cbor2.dumps([1]))
    code, _, err = run(capsys, "inspect", str(path))
    assert code == 1
    assert err.startswith("malformed (D4): ")


def test_inspect_text_escapes_device_supplied_control_characters(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "evil.cbor"
    path.write_bytes(
        cbor2.dumps({"fmt": "x\x1b[2J", "attStmt": {"k\x1b]0;t\x07": "v\u202e\r\nverified: true"}})
    )
    code, out, _ = run(capsys, "inspect", str(path))
    assert code == 0
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "\nverified: true" not in out
    assert "fmt: x\\u001b[2J" in out


# --- the real entry points ------------------------------------------------------------------


def _subprocess(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=REPO, timeout=60, check=False)


def test_python_m_verify_exit_0_and_1(files: dict[str, pathlib.Path]) -> None:
    ok = _subprocess(
        sys.executable, "-m", "attestverify", *verify_args(files["cbor"], "--json", roots=files["root"])
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["serial_number"] == SERIAL
    args = verify_args("-", roots=files["root"])
    args[args.index("--key-authorization") + 1] = OTHER_KA
    failed = _subprocess(sys.executable, "-m", "attestverify", *args, stdin=files["payload"].read_bytes())
    assert failed.returncode == 1
    assert failed.stderr.startswith(b"challenge-mismatch (A6): ")


def test_python_m_inspect_and_usage(files: dict[str, pathlib.Path]) -> None:
    shown = _subprocess(sys.executable, "-m", "attestverify", "inspect", str(files["cbor"]), "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["verified"] is False
    usage = _subprocess(sys.executable, "-m", "attestverify", "verify", str(files["cbor"]))
    assert usage.returncode == 2
    assert b"--key-authorization" in usage.stderr


@pytest.mark.skipif(
    shutil.which("attestverify") is None, reason="console script installed by pip install only"
)
def test_console_script(files: dict[str, pathlib.Path]) -> None:
    script = shutil.which("attestverify")
    assert script is not None
    ok = _subprocess(script, *verify_args(files["b64"], roots=files["root"]))
    assert ok.returncode == 0, ok.stderr
    assert b"format: apple" in ok.stdout


# --- from the second review, F4/F5: CLI streams


def test_f4_cli_closed_stdin_is_usage_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """F4 (SPEC §2.7: exit 2 for an unreadable file): `FILE` `-` with standard input closed
    (`sys.stdin is None`, e.g. `attestverify inspect - <&-`) crashed with AttributeError and a
    traceback (exit 1, "verification failed") instead of a usage error."""
    monkeypatch.setattr("sys.stdin", None)
    assert cli.main(["inspect", "-"]) == 2
    assert cli.main(["verify", "-", "--key-authorization", pki.KEY_AUTHORIZATION]) == 2
    err = capsys.readouterr().err
    assert "cannot read FILE" in err
    assert "Traceback" not in err


class _ClosedPipe:
    """A stdout whose reader went away (`attestverify inspect x | head -1`)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise OSError("no file descriptor")


def test_f5_cli_broken_pipe_keeps_the_exit_status(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """F5 (SPEC §2.7 exit codes): when the reader of stdout goes away (`| head`), `print`
    raised BrokenPipeError out of `main()`: a traceback and exit 1 ("verification failed") even
    for a statement that decoded or verified. The status must stay 0."""
    case = statements.apple()
    path = tmp_path / "statement.cbor"
    path.write_bytes(case.cbor)
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(b"".join(r.public_bytes(Encoding.PEM) for r in case.roots))
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert cli.main(["inspect", str(path)]) == 0
    args = ["verify", str(path), "--key-authorization", case.key_authorization, "--json"]
    args += ["--roots", f"apple={root_pem}", "--now", case.now.isoformat()]
    assert cli.main(args) == 0
