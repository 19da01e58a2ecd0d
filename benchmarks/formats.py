"""The statements the benchmark times, one entry per format row.

The tpm rows use the committed swtpm fixtures (real TPM output) whose AK chain is P-384 (two
P-384 signature checks dominate both floors); the Windows-like row has Microsoft's shape (RSA-4096
root, RSA-2048 CA and AK), where the Python overhead shows more.

The android-key row is the current Google shape: an EC P-384 root, an EC P-256 batch
intermediate (cA=TRUE) and a P-256 "Android Keystore Key" leaf with its KeyDescription
(tests/android_pki.py), verified with the status list left unchecked (no revocation data in the
bench).

Adding a format is one `Entry` in `ENTRIES`: a label, a builder returning a `statements.Case`
(tests/statements.py) and the statement check of `floors.py` (signature and binding hashes with
`cryptography` directly).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import android_pki
import floors
import peers
import pki
import statements

import attestverify


@dataclass(frozen=True)
class Entry:
    """One row: `case()` builds the valid statement, `check` is its floor's statement part."""

    label: str
    case: Callable[[], statements.Case]
    check: floors.StatementCheck


def android_ec() -> statements.Case:
    """EC P-384 root -> EC P-256 batch intermediate -> P-256 Keystore leaf (android_pki.batch_tree)."""
    tree = android_pki.batch_tree("p256", root="ec")
    return statements.Case(
        name="android-p256-batch-ec-root",
        fmt="android-key",
        obj=android_pki.statement(tree),
        key_authorization=pki.KEY_AUTHORIZATION,
        roots=tree.roots,
        now=pki.NOW,
        extra={"formats": ("android-key",), "android_status": attestverify.android.STATUS_UNCHECKED},
    )


ENTRIES: tuple[Entry, ...] = (
    Entry("apple (P-384 chain)", statements.apple, floors.apple_statement),
    Entry("step P-256", functools.partial(statements.step, "p256"), floors.step_statement),
    Entry("step RSA-2048", functools.partial(statements.step, "rsa2048"), floors.step_statement),
    Entry("tpm RSA AK", functools.partial(statements.tpm_swtpm, "ak-rsa-key-rsa"), floors.tpm_statement),
    Entry("tpm ECC AK", functools.partial(statements.tpm_swtpm, "ak-ecc-key-ecc"), floors.tpm_statement),
    Entry("tpm RSA AK, RSA chain (Windows-like)", peers.windows_case, floors.tpm_statement),
    Entry("android-key P-256 (EC batch chain)", android_ec, floors.android_statement),
)


@dataclass(frozen=True)
class Candidates:
    """What is timed for one entry: attestverify's `verify()` and the two floors."""

    label: str
    case: statements.Case
    verify: Callable[[], object]
    floors: floors.Floors


def build(entries: tuple[Entry, ...] = ENTRIES, only: str | None = None) -> list[Candidates]:
    """Statements, verify() closures and floors for `entries` (or those whose label has `only`)."""
    out = []
    for entry in entries:
        if only is not None and only.lower() not in entry.label.lower():
            continue
        case = entry.case()
        verify = functools.partial(attestverify.verify, case.cbor, case.key_authorization, **case.kwargs())
        assert isinstance(verify(), attestverify.DeviceIdentity)
        pair = floors.floors_for(case.cbor, case.key_authorization, case.roots, case.now, entry.check)
        out.append(Candidates(entry.label, case, verify, pair))
    return out
