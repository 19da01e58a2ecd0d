"""The command line for `android-key` statements (SPEC §2.1, §2.7 v2): `verify`'s explicit status
choice, `--android-status`, `--allow-unverified-boot`, Android details in text output, and `inspect`
labelling a KeyDescription. Generated statements from tests/android_pki.py; one real Pixel chain.
"""

from __future__ import annotations

import json
import pathlib

import android_pki as ap
import cbor2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pki import KEY_AUTHORIZATION, NOW
from test_cli_chain import PIXEL, run, status_file
from vectors import load_vector

NOW_ISO = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")

# --- verify with android-key -----------------------------------------------------------------------


def android_statement(tmp_path: pathlib.Path, tree: ap.Tree | None = None) -> list[str]:
    tree = ap.batch_tree() if tree is None else tree
    (tmp_path / "att.cbor").write_bytes(ap.att_obj(tree))
    (tmp_path / "root.pem").write_bytes(tree.root.cert.public_bytes(Encoding.PEM))
    return ["verify", str(tmp_path / "att.cbor"), "--key-authorization", KEY_AUTHORIZATION, "--now", NOW_ISO,
            "--roots", f"android-key={tmp_path / 'root.pem'}"]  # fmt: skip


def test_verify_android_needs_an_explicit_status_choice(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    argv = android_statement(tmp_path)
    code, out, err = run(capsys, *argv, "--formats", "android-key", "--json")
    assert (code, out) == (2, "")
    assert "--android-status FILE" in err and "--android-status-unchecked" in err
    code, _, err = run(capsys, *argv, "--formats", "android-key", "--android-status-unchecked",
                       "--android-status", status_file(tmp_path, {}))  # fmt: skip
    assert code == 2 and "not allowed with argument" in err


def test_verify_android_status_unchecked_exit_0(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    argv = android_statement(tmp_path)
    code, out, err = run(capsys, *argv, "--formats", "android-key", "--android-status-unchecked")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "identifiers: ANDROID-SERIAL-0042" in lines
    assert "relaxations: android-status-unchecked" in lines
    assert "status_checked: no" in lines and "os_patch_level: 202605 (2026-05)" in lines
    assert any(line.startswith("warning: the attestation status list was not checked") for line in lines)
    code, out, _ = run(
        capsys, *argv, "--formats", "android-key,apple", "--android-status-unchecked", "--json"
    )
    body = json.loads(out)
    assert code == 0 and body["details"]["model"] == "Roadrunner Pro"
    assert body["identity"]["android"]["status_checked"] is False


def test_verify_android_status_list(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    tree = ap.batch_tree()
    argv = android_statement(tmp_path, tree)
    batch_serial = tree.intermediates[0].cert.serial_number
    listed = status_file(tmp_path, {f"{batch_serial:X}": {"status": "SUSPENDED"}})
    code, out, err = run(capsys, *argv, "--formats", "android-key", "--android-status", listed)
    assert (code, out) == (1, "") and err.startswith("untrusted-chain (K5): ")
    empty = status_file(tmp_path, {})
    code, out, err = run(capsys, *argv, "--formats", "android-key", "--android-status", empty, "--json")
    body = json.loads(out)
    assert code == 0, err
    assert body["relaxations"] == [] and body["details"]["status_checked"] is True and body["warnings"] == []
    (tmp_path / "bad.json").write_text('{"entries": []}')
    code, _, err = run(
        capsys, *argv, "--formats", "android-key", "--android-status", str(tmp_path / "bad.json")
    )
    assert code == 2 and "'entries' is not an object" in err


def test_verify_android_unverified_boot(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    hardware = {**ap.hardware_fields(), ap.ROOT_OF_TRUST: ap.root_of_trust(locked=False, state=1)}
    argv = android_statement(tmp_path, ap.batch_tree(hardware=hardware))
    code, _, err = run(capsys, *argv, "--formats", "android-key", "--android-status-unchecked")
    assert code == 1 and err.startswith("policy (K10): ")
    code, out, err = run(capsys, *argv, "--formats", "android-key", "--android-status-unchecked",
                         "--allow-unverified-boot")  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert "relaxations: android-status-unchecked, android-unverified-boot" in lines
    assert "verified_boot_state: self-signed" in lines and "device_locked: no" in lines


@pytest.mark.parametrize(
    "option",
    [["--android-status", "status.json"], ["--android-status-unchecked"], ["--allow-unverified-boot"]],
)
@pytest.mark.parametrize("formats", [[], ["--formats", "apple,step,tpm"]])
def test_verify_android_options_need_android_key_enabled(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, option: list[str], formats: list[str]
) -> None:
    code, out, err = run(capsys, *android_statement(tmp_path), *formats, *option)
    assert (code, out) == (2, "")
    assert f"{option[0]}: android-key is not enabled; it is enabled only when listed in --formats" in err


def test_verify_android_without_formats_is_unsupported(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    code, _, err = run(capsys, *android_statement(tmp_path)[:-2], "--formats", "apple,step,tpm")
    assert code == 1 and err.startswith("unsupported-format (D5): ")


# --- inspect ---------------------------------------------------------------------------------------


def test_inspect_names_key_description_values(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    argv = android_statement(tmp_path)
    code, out, err = run(capsys, "inspect", argv[1])
    assert (code, err) == (0, "")
    lines = [line.strip() for line in out.splitlines()]
    for expected in (
        "attestation_security_level: TRUSTED_ENVIRONMENT",
        "keymint_security_level: TRUSTED_ENVIRONMENT",
        f'attestation_challenge: {KEY_AUTHORIZATION.encode().hex()} ("{KEY_AUTHORIZATION}")',
        "verified_boot_state: VERIFIED",
        "device_locked: true",
        "os_version: 160000 (16.0.0)",
        "os_patch_level: 202605 (2026-05)",
        "boot_patch_level: 20260505 (2026-05-05)",
        "- 2 (SIGN)",
        "- 4 (SHA-2-256)",
        "algorithm: 3 (EC)",
        "ec_curve: 1 (P-256)",
        "origin: 0 (GENERATED)",
        "- 713 (attestationIdSerial)",
        'attestation_id_serial: 414e44524f49442d53455249414c2d30303432 ("ANDROID-SERIAL-0042")',
        "creation_date_time: 1780000000000 (2026-05-28T20:26:40.000Z)",
    ):
        assert expected in lines, expected
    key_description = out.split("android_key_description:")[1].split("\n  -\n")[0]
    assert "software_enforced:" in key_description and ": null" not in key_description  # absent: left out


def test_inspect_real_pixel_chain_in_a_statement(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    vector = load_vector(PIXEL)
    att = {"fmt": "android-key", "attStmt": {"alg": -7, "sig": b"\x30", "x5c": vector.x5c_der}}
    (tmp_path / "att.cbor").write_bytes(cbor2.dumps(att))
    code, out, _ = run(capsys, "inspect", str(tmp_path / "att.cbor"))
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert 'attestation_id_model: 506978656c20392050726f ("Pixel 9 Pro")' in lines
    assert "- 3 (VERIFY)" in lines and "vendor_patch_level: 20251105 (2025-11-05)" in lines
    assert out.count("android_key_description:") == 1


def test_inspect_escapes_device_text(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    hardware = {**ap.hardware_fields(), ap.ID_MODEL: ap.octets("Pixel\u202e\x1b[31m".encode())}
    argv = android_statement(tmp_path, ap.batch_tree(hardware=hardware))
    code, out, _ = run(capsys, "inspect", argv[1])
    assert code == 0 and "\x1b" not in out and "\u202e" not in out
    assert "attestation_id_model: 506978656ce280ae1b5b33316d\n" in out  # hex only, no text label
    code, out, _ = run(capsys, *argv, "--formats", "android-key", "--android-status-unchecked")
    assert code == 0 and "model: Pixel\\u202e\\u001b[31m" in out.splitlines()
