"""Shared pieces of the atheris harnesses: the oracle, the fixture PKI and option decoding.

The promise under test (SPEC §2.3, §7): any input yields a result or an `AttestationError`,
nothing else, and never an accepted forgery. A harness calls `guard(...)` around its target;
`guard` lets `AttestationError` through silently and turns everything else into a crash that
atheris reports (and stores as an artifact):

* any other exception type (re-raised unchanged, so the traceback points at the bug);
* an `AttestationError` that is the API boundary's fallback wrapper (`internal_error`, a
  foreign exception caught at the boundary: SPEC §2.3 says tests treat reaching it as a bug);
* an `AttestationError` without a `check` id (every raise passes one, SPEC §2.3);
* a verification that *succeeds* for an identity not in `fuzz/seeds/_pki/known.json` (the
  identities of the legitimate seed statements): that would be an accepted forgery.

Slowness and memory are caught by libFuzzer itself (`-timeout=1`, `-rss_limit_mb=2048`,
set by `run_all.py`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import pathlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar

REPO = pathlib.Path(__file__).resolve().parents[1]
SEEDS = REPO / "fuzz" / "seeds"
PKI = SEEDS / "_pki"

# Run from a checkout without installing: the package is imported from the repo root.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["attestverify"]):
    # Every module is imported here, inside the instrumentation block: `api.py` imports the
    # format modules lazily, and a module first imported later would run uninstrumented.
    import attestverify
    import attestverify.android
    import attestverify.android.keydescription
    import attestverify.apple
    import attestverify.asn1
    import attestverify.cbor
    import attestverify.csr
    import attestverify.inspection
    import attestverify.payload
    import attestverify.pinned
    import attestverify.pinned_android
    import attestverify.step
    import attestverify.tpm
    import attestverify.tpm.akcert
    import attestverify.tpm.structures
    import attestverify.x509path  # noqa: F401 - imported to be instrumented

from cryptography import x509  # noqa: E402

from attestverify.context import Context  # noqa: E402
from attestverify.errors import AttestationError  # noqa: E402
from attestverify.identity import DeviceIdentity  # noqa: E402

T = TypeVar("T")

# tests/pki.py KEY_AUTHORIZATION: the generated seeds and the swtpm fixtures are bound to it.
KEY_AUTHORIZATION = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
FORMATS = ("apple", "step", "tpm", "android-key")


class Finding(AssertionError):
    """A broken promise that is not an ordinary exception (forgery, fallback wrapper, no check)."""


def check_error(err: AttestationError) -> None:
    """Raise `Finding` if `err` is not a proper, specific AttestationError."""
    cause = err.__cause__
    foreign = cause is not None and not isinstance(cause, AttestationError)
    if foreign and err.message.startswith("unexpected "):
        raise Finding(f"API fallback wrapper reached: {type(cause).__name__}: {cause}"[:500]) from cause
    if not err.check:
        raise Finding(f"AttestationError without a check id: {err!r}"[:500])
    str(err)  # must render
    err.acme_problem()


def guard(func: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call `func`; return its result, or None after a proper AttestationError."""
    try:
        return func(*args, **kwargs)
    except AttestationError as err:
        check_error(err)
        return None


@functools.cache
def _pem_certs(name: str) -> tuple[x509.Certificate, ...]:
    path = PKI / name
    if not path.exists():
        return ()
    return tuple(x509.load_pem_x509_certificates(path.read_bytes()))


def test_roots(fmt: str) -> tuple[x509.Certificate, ...]:
    """The anchors of the generated seed statements of `fmt` (written by make_seeds.py)."""
    return _pem_certs(f"{fmt}-roots.pem")


@functools.cache
def _known() -> frozenset[tuple[str, tuple[str, ...]]]:
    path = PKI / "known.json"
    if not path.exists():
        return frozenset()
    return frozenset((k["fingerprint"], tuple(k["identifiers"])) for k in json.loads(path.read_text()))


@functools.cache
def times() -> tuple[dt.datetime, ...]:
    """Validation instants: tests/pki.py NOW first, then the pinned times of the real vectors."""
    base = [dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)]
    path = PKI / "times.json"
    if path.exists():
        base += [dt.datetime.fromisoformat(t) for t in json.loads(path.read_text())]
    return tuple(base)


@functools.cache
def extra_data() -> tuple[bytes, ...]:
    """`expected_extra_data` values for tpm.verify_certify (SHA-256(KA), then the WebAuthn ones)."""
    import hashlib

    base = [hashlib.sha256(KEY_AUTHORIZATION.encode()).digest()]
    path = PKI / "tpm-extra-data.json"
    if path.exists():
        base += [bytes.fromhex(h) for h in json.loads(path.read_text())]
    return tuple(base)


@functools.cache
def identifiers() -> tuple[str, ...]:
    """Identifier values worth asking for (those of the known identities, plus a stranger)."""
    found = sorted({i for _, ids in _known() for i in ids})
    return (*found, "not-an-attested-identifier")


def check_accepted(identity: object, what: str) -> None:
    """An accepted statement must carry a legitimate seed key and legitimate identifiers.

    Key and identifiers are checked separately, not as a pair: the generated TPM seeds share
    one AK key across AK certificates with different SANs, so certInfo/pubArea/sig of one seed
    with the x5c of another is a genuine attestation (the fuzzer found exactly that pairing).
    """
    if not isinstance(identity, DeviceIdentity):
        raise Finding(f"{what} returned {type(identity).__name__}, not DeviceIdentity")
    known = _known()
    fingerprint, ids = identity.fingerprint, tuple(identity.identifiers)
    if fingerprint not in {k for k, _ in known} or ids not in {i for _, i in known}:
        raise Finding(f"{what} accepted an unknown identity {(fingerprint, ids)!r} (forgery?)"[:500])


def context(options: int, when: int, fmt: str) -> Context:
    """A verifier Context from an option byte (anchors, relaxation flags) and a time byte."""
    now = times()[when % len(times())]
    if options & 0x01:
        anchors = test_roots(fmt)
        intermediates: tuple[x509.Certificate, ...] = ()
    else:
        from attestverify.roots import bundled, bundled_intermediates

        anchors = bundled(fmt)
        intermediates = bundled_intermediates(fmt)
    return Context(
        key_authorization=KEY_AUTHORIZATION,
        now=now,
        anchors=anchors,
        intermediates=intermediates,
        options={
            "apple_require_nonce": not options & 0x02,
            "step_allow_legacy_f9": not options & 0x20,
            "tpm_allow_rs1": not options & 0x40,
            "tpm_allow_sha1_chain": bool(options & 0x80),
            "android_status": android_status(options & 0x04),
            "android_allow_unverified_boot": bool(options & 0x08),
        },
    )


@functools.cache
def _status_list() -> object:
    # One seed-PKI intermediate listed: a fuzzed chain through it must fail K5.
    from attestverify.android import StatusList

    listed = [f"{c.serial_number:x}" for c in test_roots("android-key")[:1]]
    return StatusList.from_json({"entries": {s: {"status": "REVOKED"} for s in listed}})


def android_status(checked: int) -> object:
    """`STATUS_UNCHECKED`, or a `StatusList` listing the first seed root when `checked`."""
    from attestverify.android import STATUS_UNCHECKED

    return _status_list() if checked else STATUS_UNCHECKED


def verify_kwargs(b0: int, b1: int, when: int) -> dict[str, Any]:
    """Keyword arguments of `attestverify.verify` from two option bytes and a time byte."""
    kwargs: dict[str, Any] = {
        "now": times()[when % len(times())],
        "apple_require_nonce": not b0 & 0x02,
        "step_allow_legacy_f9": not b0 & 0x20,
        "tpm_allow_rs1": not b0 & 0x40,
        "tpm_allow_sha1_chain": bool(b0 & 0x80),
    }
    if b0 & 0x01:
        kwargs["roots"] = {fmt: test_roots(fmt) for fmt in FORMATS}
    selector = b1 & 0x07
    if selector:  # 1..7: a non-empty subset of apple, step, tpm
        kwargs["formats"] = tuple(f for i, f in enumerate(FORMATS[:3]) if selector & (1 << i))
    if b0 & 0x04:  # android-key is enabled only when listed, and then needs a status choice
        kwargs["formats"] = (*kwargs.get("formats", FORMATS[:3]), "android-key")
        kwargs["android_status"] = android_status(b0 & 0x10)
        kwargs["android_allow_unverified_boot"] = bool(b0 & 0x08)
    if b1 & 0x08:
        ids = identifiers()
        kwargs["identifier"] = ids[(b1 >> 4) % len(ids)]
        if b1 & 0x80:
            kwargs["identifier_type"] = "permanent-identifier"
    return kwargs


def seed_files(harness: str) -> list[bytes]:
    """The committed seeds of a harness (used as pools by the structure-aware harnesses)."""
    folder = SEEDS / harness
    if not folder.is_dir():
        return []
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()]


def main(test_one_input: Callable[[bytes], None]) -> None:
    """Hand the harness to atheris (libFuzzer flags come from sys.argv)."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
