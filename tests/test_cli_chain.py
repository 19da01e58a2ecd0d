"""The `chain step|android-key` command (SPEC §2.7 v2): options, exits 0/1/2, output, docs examples.

Real chains come from testdata/vectors (through `vectors.load_vector`, written to tmp_path as the
files a user has: one PEM bundle, or one DER file per certificate). Every run goes through
`main()`; one through the console script when installed. `verify`'s android options and
`inspect` of a KeyDescription: tests/test_cli_android.py.
"""

from __future__ import annotations

import base64
import json
import pathlib
import re
import shlex
import shutil
import subprocess
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki import NOW, root
from vectors import REPO, Vector, load_vector

from attestverify.cli import main

NOW_ISO = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
PIXEL = "android-key/caiman-sdk36-TEE_EC_RKP"  # Pixel 9 Pro, remote key provisioning, bundled root
PIXEL_UNLOCKED = "android-key/akita-sdk34-TEE_EC_NONE"  # Pixel 8a, unlocked bootloader
SONY = "android-key/sony-xperia10-iii-sdk33-TEE_EC"
SOFTWARE = "android-key/marlin-sdk29-TEE_EC_NONE"
YUBIKEY = "step/sigstore-fw543-s18158855"  # 5.4.3, P-256 slot 9c, bundled Yubico PIV root
YUBIKEY_P384 = "step/dockertuf-fw543-s25515003"
SCRIPT = shutil.which("attestverify")
needs_script = pytest.mark.skipif(
    SCRIPT is None, reason="console script installed by `pip install .` only (CI installs it)"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def iso(vector: Vector) -> str:
    assert vector.now is not None
    return vector.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def pem(ders: list[bytes]) -> bytes:
    return b"".join(x509.load_der_x509_certificate(d).public_bytes(Encoding.PEM) for d in ders)


def bundle(tmp_path: pathlib.Path, vector: Vector, name: str = "chain.pem") -> str:
    """The device chain (leaf first, no anchor) as one PEM file, as an app or yubico-piv-tool exports it."""
    path = tmp_path / name
    path.write_bytes(pem(vector.x5c_der))
    return str(path)


def anchor_file(tmp_path: pathlib.Path, vector: Vector) -> str:
    path = tmp_path / "anchor.der"
    path.write_bytes(vector.anchor.public_bytes(Encoding.DER))
    return str(path)


def challenge_hex(vector: Vector) -> str:
    return base64.b64decode(vector.decoded["attestationChallenge_b64"]).hex()


def status_file(tmp_path: pathlib.Path, entries: dict[str, Any]) -> str:
    path = tmp_path / "status.json"
    path.write_text(json.dumps({"entries": entries}))
    return str(path)


def android_chain(tmp_path: pathlib.Path, vector_id: str = PIXEL, *extra: str) -> list[str]:
    vector = load_vector(vector_id)
    return ["chain", "android-key", bundle(tmp_path, vector), "--now", iso(vector), *extra]


# --- chain android-key -----------------------------------------------------------------------------


def test_android_chain_bundle_with_challenge_exit_0(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    vector = load_vector(PIXEL)
    code, out, err = run(capsys, *android_chain(tmp_path, PIXEL, "--challenge", challenge_hex(vector)))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    for expected in (
        "verified: yes",
        "format: android-key",
        "relaxations: android-status-unchecked",
        "attestation_version: 400",
        "attestation_security_level: trusted-environment",
        "keymint_security_level: trusted-environment",
        "verified_boot_state: verified",
        "device_locked: yes",
        "os_version: 160000 (16.0.0)",
        "os_patch_level: 202511 (2025-11)",
        "vendor_patch_level: 20251105 (2025-11-05)",
        "boot_patch_level: 20251105 (2025-11-05)",
        "model: Pixel 9 Pro",
        f'challenge: {challenge_hex(vector)} "d688d763-6118-4ca6-94b2-e6cd9ed7e4e4"',
        "status_checked: no",
    ):
        assert expected in lines, expected
    warnings = [line for line in lines if line.startswith("warning:")]
    assert len(warnings) == 1 and "status list was not checked" in warnings[0]


def test_android_chain_without_challenge_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    code, out, _ = run(capsys, *android_chain(tmp_path, PIXEL, "--json"))
    assert code == 0
    body = json.loads(out)
    assert body["ok"] is True and body["format"] == "android-key"
    assert body["relaxations"] == ["android-status-unchecked"]
    assert body["details"]["status_checked"] is False
    assert body["details"]["challenge"] == challenge_hex(load_vector(PIXEL))
    assert body["identity"]["format"] == "android-key"
    assert any("attestationChallenge not compared" in w for w in body["warnings"])
    assert any("status list was not checked" in w for w in body["warnings"])


def test_android_chain_der_files_one_per_certificate_and_the_root_included(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    vector = load_vector(PIXEL)
    files = []
    for i, der in enumerate(vector.chain_der):  # an exported chain ending with the root
        (tmp_path / f"c{i}.der").write_bytes(der)
        files.append(str(tmp_path / f"c{i}.der"))
    code, out, err = run(capsys, "chain", "android-key", *files, "--now", iso(vector))
    assert code == 0, err
    assert f"  [{len(vector.chain_der) - 1}] 2.5.4.5=f92009e853b6b045" in out.splitlines()


def test_android_chain_from_stdin_and_intermediates(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vector = load_vector(PIXEL)
    leaf, *rest = vector.x5c_der
    (tmp_path / "cas.pem").write_bytes(pem(rest))

    class Stdin:
        buffer = __import__("io").BytesIO(pem([leaf]))

    monkeypatch.setattr("sys.stdin", Stdin)
    code, out, err = run(
        capsys,
        "chain",
        "android-key",
        "-",
        "--intermediates",
        str(tmp_path / "cas.pem"),
        "--now",
        iso(vector),
    )
    assert code == 0, err
    assert "model: Pixel 9 Pro" in out
    code, _, err = run(capsys, "chain", "android-key", "-", "-")
    assert code == 2 and "only once" in err


def test_android_chain_challenge_mismatch_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    code, out, err = run(capsys, *android_chain(tmp_path, PIXEL, "--challenge", "00ff"))
    assert (code, out) == (1, "")
    assert err.startswith("challenge-mismatch (K11): ")
    code, out, _ = run(capsys, *android_chain(tmp_path, PIXEL, "--challenge", "00:ff", "--json"))
    body = json.loads(out)
    assert (code, body["ok"], body["code"], body["check"]) == (1, False, "challenge-mismatch", "K11")


@pytest.mark.parametrize("value", ["xyz", "abc", "", "0x00", "é"])
def test_android_chain_bad_challenge_hex_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, value: str
) -> None:
    code, out, err = run(capsys, *android_chain(tmp_path, PIXEL, "--challenge", value, "--json"))
    assert (code, out) == (2, "")
    assert "--challenge" in err and "not hex" in err


def test_android_chain_overlong_challenge_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    code, _, err = run(capsys, *android_chain(tmp_path, PIXEL, "--challenge", "00" * 1025))
    assert code == 2 and "malformed (D1)" in err


def test_android_status_list_listing_an_intermediate_exit_1_k5(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    vector = load_vector(PIXEL)
    batch = x509.load_der_x509_certificate(vector.x5c_der[1])
    listed = status_file(
        tmp_path, {f"000{batch.serial_number:X}": {"status": "REVOKED", "reason": "KEY_COMPROMISE"}}
    )
    code, out, err = run(capsys, *android_chain(tmp_path, PIXEL, "--android-status", listed))
    assert (code, out) == (1, "")
    assert err.startswith("untrusted-chain (K5): certificate 1 of the path") and "REVOKED" in err


def test_android_status_list_checked_exit_0(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    other = status_file(tmp_path, {"c35747a084470c3135aeefe2b8d40cd6": {"status": "SUSPENDED"}})
    code, out, err = run(capsys, *android_chain(tmp_path, PIXEL, "--android-status", other))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "relaxations: (none)" in lines and "status_checked: yes" in lines
    assert not any("status list" in line for line in lines if line.startswith("warning:"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"entries": {"zz": {}}}', "not a hexadecimal serial"),
        (b"[]", "entries"),
    ],
)
def test_android_status_bad_document_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, content: bytes, message: str
) -> None:
    (tmp_path / "bad.json").write_bytes(content)
    code, _, err = run(
        capsys, *android_chain(tmp_path, PIXEL, "--android-status", str(tmp_path / "bad.json"))
    )
    assert code == 2 and message in err and "--android-status" in err


def test_android_status_unreadable_or_stdin_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    code, _, err = run(
        capsys, *android_chain(tmp_path, PIXEL, "--android-status", str(tmp_path / "missing.json"))
    )
    assert code == 2 and "cannot read --android-status" in err
    code, _, err = run(capsys, *android_chain(tmp_path, PIXEL, "--android-status", "-"))
    assert code == 2 and "needs a file" in err


def test_android_unverified_boot_needs_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    code, _, err = run(capsys, *android_chain(tmp_path, PIXEL_UNLOCKED))
    assert code == 1 and err.startswith("policy (K10): ")
    code, out, err = run(capsys, *android_chain(tmp_path, PIXEL_UNLOCKED, "--allow-unverified-boot"))
    assert code == 0, err
    lines = out.splitlines()
    assert "relaxations: android-status-unchecked, android-unverified-boot" in lines
    assert "device_locked: no" in lines
    assert 'challenge: 6368616c6c656e6765 "challenge"' in lines


def test_android_roots_option_and_sony_relaxation(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    vector = load_vector(SONY)
    anchor = anchor_file(tmp_path, vector)
    for value in (anchor, f"android-key={anchor}"):
        code, out, err = run(
            capsys, *android_chain(tmp_path, SONY, "--roots", value, "--challenge", challenge_hex(vector))
        )
        assert code == 0, err
        assert "relaxations: android-batch-not-ca, android-status-unchecked" in out.splitlines()
    code, _, err = run(capsys, *android_chain(tmp_path, SONY, "--roots", f"step={anchor}"))
    assert code == 2 and "cannot verify a 'android-key' chain" in err
    other = tmp_path / "other.pem"
    other.write_bytes(root("Unrelated Root").cert.public_bytes(Encoding.PEM))
    code, _, err = run(capsys, *android_chain(tmp_path, SONY, "--roots", str(other)))
    assert code == 1 and err.startswith("untrusted-chain (K4): ")


def test_android_software_attested_chain_is_rejected(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    code, _, err = run(capsys, *android_chain(tmp_path, SOFTWARE))
    assert code == 1 and err.startswith("untrusted-chain (K4): ")


def test_chain_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    code, _, err = run(capsys, *android_chain(tmp_path, PIXEL, "--now", "yesterday"))
    assert code == 2 and "--now 'yesterday'" in err
    code, _, err = run(capsys, "chain", "tpm", str(tmp_path / "x.pem"))
    assert code == 2 and "invalid choice: 'tpm'" in err
    code, _, err = run(capsys, "chain", "android-key", str(tmp_path / "missing.pem"))
    assert code == 2 and "FILE" in err and "missing.pem" in err
    (tmp_path / "key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    code, _, err = run(capsys, "chain", "android-key", str(tmp_path / "key.pem"))
    assert code == 2 and err.startswith("attestverify: error: FILE")
    code, _, err = run(capsys, "chain", "android-key")
    assert code == 2 and "FILE" in err


# --- chain step ------------------------------------------------------------------------------------


def test_step_chain_yubico_piv_tool_bundle_exit_0(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    vector = load_vector(YUBIKEY)
    code, out, err = run(capsys, "chain", "step", bundle(tmp_path, vector), "--now", iso(vector))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "identifiers: 18158855" in lines and "slot: 9c" in lines
    assert "firmware: 5.4.3" in lines and "pin_policy: always (3)" in lines
    assert lines[-1].startswith("warning: no challenge binding")
    code, out, _ = run(capsys, "chain", "step", bundle(tmp_path, vector), "--now", iso(vector), "--json")
    body = json.loads(out)
    assert (code, body["format"], body["serial_number"]) == (0, "step", "18158855")
    assert body["fingerprint"] == vector.decoded["fingerprint"]
    assert body["identity"]["serial_number"] == "18158855" and body["details"]["slot"] == "9c"


def test_step_chain_p384_slot_key(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    vector = load_vector(YUBIKEY_P384)
    code, out, err = run(capsys, "chain", "step", bundle(tmp_path, vector), "--now", iso(vector), "--json")
    assert code == 0, err
    assert json.loads(out)["identifiers"] == vector.decoded["identifiers"]


def test_step_chain_rejected_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    vector = load_vector(YUBIKEY)
    other = tmp_path / "other.pem"
    other.write_bytes(root("Unrelated Root").cert.public_bytes(Encoding.PEM))
    code, out, err = run(
        capsys, "chain", "step", bundle(tmp_path, vector), "--now", iso(vector), "--roots", str(other)
    )
    assert (code, out) == (1, "") and err.startswith("untrusted-chain (S4): ")
    code, out, _ = run(capsys, "chain", "step", bundle(tmp_path, vector), "--roots", str(other), "--json")
    assert code == 1 and json.loads(out)["check"] == "S4"


@pytest.mark.parametrize(
    "option", [["--challenge", "00"], ["--android-status", "status.json"], ["--allow-unverified-boot"]]
)
def test_step_chain_refuses_android_options(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, option: list[str]
) -> None:
    vector = load_vector(YUBIKEY)
    code, out, err = run(capsys, "chain", "step", bundle(tmp_path, vector), *option, "--json")
    assert (code, out) == (2, "")
    assert f"attestverify: error: {option[0]}: android-key options; a step chain takes none of them" in err


# --- console script and the documented examples -----------------------------------------------------


@needs_script
def test_chain_console_script(tmp_path: pathlib.Path) -> None:
    assert SCRIPT is not None
    argv = android_chain(tmp_path, PIXEL, "--challenge", challenge_hex(load_vector(PIXEL)))
    done = subprocess.run([SCRIPT, *argv], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert b"model: Pixel 9 Pro" in done.stdout
    step_argv = [SCRIPT, "chain", "step", argv[2], "--allow-unverified-boot"]
    done = subprocess.run(step_argv, capture_output=True, timeout=60, check=False)
    assert done.returncode == 2 and b"a step chain takes none of them" in done.stderr


def test_docs_chain_examples_match_real_output(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (REPO / "docs" / "cli.md").read_text()
    block = re.search(r"```text\n(\$ attestverify chain step yubikey\.pem.*?)```", text, re.DOTALL)
    assert block is not None, "docs/cli.md lost its chain examples"
    bundle(tmp_path, load_vector(YUBIKEY), "yubikey.pem")
    bundle(tmp_path, load_vector(PIXEL), "pixel.pem")
    status_file(
        tmp_path, {"c35747a084470c3135aeefe2b8d40cd6": {"status": "REVOKED", "reason": "KEY_COMPROMISE"}}
    )
    monkeypatch.chdir(tmp_path)
    lines = block.group(1).splitlines()
    commands = [i for i, line in enumerate(lines) if line.startswith("$ attestverify ")]
    assert len(commands) == 3
    for start in commands:
        end = lines.index("$ echo $?", start)
        code, out, err = run(capsys, *shlex.split(lines[start][len("$ attestverify ") :]))
        assert (out + err).splitlines() == lines[start + 1 : end], lines[start]
        assert str(code) == lines[end + 1]
