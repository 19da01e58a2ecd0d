"""Findings of the second adversarial review (tpm, step, apple, csr, cbor, payload, cli, inspect).

One test per finding, each failing before its fix; every docstring names the finding and the
SPEC rule it enforces.
"""

from __future__ import annotations

import json
import pathlib
import time
from typing import Any

import pki
import pytest
import statements
import tpm_pki

import attestverify
from attestverify import cli, tpm
from attestverify.errors import AttestationError, MalformedError
from attestverify.payload import parse_challenge_payload

# ------------------------------------------------------------------ F1: payload depth scan


def test_f1_payload_depth_scan_is_linear_on_unterminated_strings() -> None:
    """F1 (SPEC §2.6 J1, §2.3 "never ... a hang"): the JSON depth pre-scan removed strings with
    a regex that, on an unterminated string made of escaped quotes (`"\\"\\"\\"...`), restarted
    at every quote and rescanned to the end: quadratic, ~17 s for 80 kB and about 40 minutes
    for a 1 MiB payload. The scan must stay linear; the payload is still rejected with J1."""
    payload = "[" * 65 + '"' + '\\"' * 30_000
    start = time.perf_counter()
    with pytest.raises(MalformedError) as exc:
        parse_challenge_payload(payload)
    elapsed = time.perf_counter() - start
    assert exc.value.code == "malformed"
    assert exc.value.check == "J1"
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_f1_payload_depth_still_counted_after_an_unterminated_string_fix() -> None:
    """F1 regression guard (SPEC §2.6 J1): strings are still skipped by the depth scan (brackets
    inside a string do not count), a trailing lone backslash ends the scan cleanly, and real
    nesting beyond the limit is still J1."""
    inside = {"attObj": "x", "pad": "[" * 500 + "{" * 500}
    assert parse_challenge_payload(json.dumps(inside)) == "x"
    with pytest.raises(MalformedError) as exc:
        parse_challenge_payload("[" * 100 + '"abc\\')
    assert exc.value.check == "J1"
    with pytest.raises(MalformedError) as deep:
        parse_challenge_payload('{"attObj": "x", "a": ' + "[" * 100 + "]" * 100 + "}")
    assert deep.value.check == "J1"


# ------------------------------------------------------------------ F2: huge alg integer


@pytest.mark.parametrize("alg", [10**5000, -(10**5000)], ids=["huge", "huge-negative"])
def test_f2_tpm_alg_beyond_int_str_limit_is_t2(alg: int) -> None:
    """F2 (SPEC §4.3 T2, §2.3 fallback is a bug): a decoded-Mapping statement whose `alg` has
    more than 4 300 decimal digits made the T2 message's `str(alg)` raise ValueError, so the
    api.py fallback (check None) answered instead of T2."""
    st = tpm_pki.statement()
    st.att_stmt["alg"] = alg
    with pytest.raises(MalformedError) as exc:
        attestverify.verify(st.attobj(), pki.KEY_AUTHORIZATION, {"tpm": [st.root]}, now=pki.NOW)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T2"
    with pytest.raises(MalformedError) as direct:
        tpm.verify_certify(st.att_stmt, pki.KA_HASH, roots=[st.root], now=pki.NOW)
    assert direct.value.check == "T2"


# ------------------------------------------------------------------ F3: inspect JSON-serializable


def test_f3_inspect_result_is_json_serializable_for_huge_integers() -> None:
    """F3 (SPEC §2.6 inspect: "a JSON-serializable dict"): an attStmt value that is an integer
    beyond 4 300 digits (possible in a decoded Mapping) was copied into the summary as is, so
    `json.dumps(inspect(...))` raised ValueError."""
    st = tpm_pki.statement()
    st.att_stmt["alg"] = 10**5000
    st.att_stmt["other"] = -(2**70000)
    shown = attestverify.inspect(st.attobj())
    text = json.dumps(shown)
    assert shown["attStmt"]["ver"] == "2.0"
    assert len(text) < 100_000


# ------------------------------------------------------------------ F4/F5: CLI streams


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
    root_pem.write_bytes(b"".join(r.public_bytes(pki.serialization.Encoding.PEM) for r in case.roots))
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert cli.main(["inspect", str(path)]) == 0
    args = ["verify", str(path), "--key-authorization", case.key_authorization, "--json"]
    args += ["--roots", f"apple={root_pem}", "--now", case.now.isoformat()]
    assert cli.main(args) == 0


# ------------------------------------------------------------------ F6: even RSA modulus


def test_f6_tpm_even_rsa_modulus_is_t14() -> None:
    """F6 (SPEC §4.3 T14 "build the public key (... valid modulus)"): an attested RSA key whose
    `unique` modulus is even (not a product of two odd primes, so no RSA key at all) was
    accepted and returned as `identity.public_key`; `cryptography` does not reject it."""
    attested = pki.rsa_key(2048, "review2-even")
    area = tpm_pki.pub_area(attested.public_key())
    even = area[:-1] + bytes([area[-1] & 0xFE])
    assert even != area
    st = tpm_pki.statement(attested=attested, area=even)
    with pytest.raises(MalformedError) as exc:
        attestverify.verify(st.attobj(), pki.KEY_AUTHORIZATION, {"tpm": [st.root]}, now=pki.NOW)
    assert exc.value.code == "malformed"
    assert exc.value.check == "T14"


# ------------------------------------------------------------------ checked and sound


def _tpm_error(st: tpm_pki.Statement, **kw: Any) -> AttestationError:
    with pytest.raises(AttestationError) as exc:
        attestverify.verify(st.attobj(), pki.KEY_AUTHORIZATION, {"tpm": [st.root]}, now=pki.NOW, **kw)
    return exc.value


def test_sound_tpm_first_failing_check_decides_pairs() -> None:
    """SPEC §3.3 "the first failing check decides", §4.3 order: two broken things at once,
    the earlier check id answers (T9 before T10, T10 before T11, T12 before T13)."""
    st = tpm_pki.statement(extra_data=b"\x00" * 32)
    st.att_stmt["sig"] = st.att_stmt["sig"][:-1] + bytes([st.att_stmt["sig"][-1] ^ 1])
    assert _tpm_error(st).check == "T9"
    area = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), name_alg=tpm_pki.ALG_SHA1)
    st = tpm_pki.statement(area=area, extra_data=b"\x00" * 32, info=None)
    assert _tpm_error(st).check == "T10"
    weak = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key(), attributes=0x00040070)
    st = tpm_pki.statement(area=weak, info=tpm_pki.cert_info(tpm_pki.name_of(b"other"), pki.KA_HASH))
    assert _tpm_error(st).check == "T12"


def test_sound_tpm_qualified_name_is_not_the_name() -> None:
    """SPEC §4.3 T12 uses `attested.name`, never `qualifiedName`: a certInfo whose
    qualifiedName (not name) is the name of pubArea fails T12."""
    area = tpm_pki.pub_area(pki.ec_key("p256", "tpm-attested").public_key())
    info = tpm_pki.cert_info(tpm_pki.name_of(b"x"), pki.KA_HASH, qualified_name=tpm_pki.name_of(area))
    err = _tpm_error(tpm_pki.statement(area=area, info=info))
    assert err.code == "key-mismatch"
    assert err.check == "T12"
