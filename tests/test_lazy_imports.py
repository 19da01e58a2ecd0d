"""Issue 14: `import attestverify` loads only what `verify()` needs, and still exposes every name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import attestverify

ROOT = Path(__file__).resolve().parent.parent


def test_every_public_name_resolves() -> None:
    for name in attestverify.__all__:
        assert getattr(attestverify, name) is not None, name
    assert set(attestverify.__all__) <= set(dir(attestverify))


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        attestverify.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_import_loads_no_inspection_csr_or_asn1_libraries() -> None:
    code = (
        "import json, sys, attestverify; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('attestverify', 'asn1crypto', 'pyasn1'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(json.loads(out.stdout))
    for lazy in (
        "attestverify.inspection",
        "attestverify.csr",
        "attestverify.csrpolicy",
        "attestverify.certificates",
        "attestverify.payload",
        "attestverify.cli",
        "attestverify.testing",
        "asn1crypto",
        "pyasn1",
    ):
        assert lazy not in loaded, lazy
    assert "attestverify.api" in loaded


def test_lazy_names_are_the_module_functions() -> None:
    from attestverify import certificates, csr, inspection, payload

    assert attestverify.inspect is inspection.inspect
    assert attestverify.verify_csr is csr.verify_csr
    assert attestverify.load_certificates is certificates.load_certificates
    assert attestverify.parse_challenge_payload is payload.parse_challenge_payload
