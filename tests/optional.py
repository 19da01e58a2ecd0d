"""Optional test dependencies (swtpm, tpm2-pytss): skip locally, fail in CI.

CI sets ATTESTVERIFY_REQUIRE_SWTPM=1 after installing swtpm and the `tpm` extra, so a broken
install shows up as a failure instead of silently skipped real-TPM tests.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

REQUIRED = os.environ.get("ATTESTVERIFY_REQUIRE_SWTPM") == "1"


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (required: ATTESTVERIFY_REQUIRE_SWTPM=1)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_binary(name: str, hint: str) -> str:
    """The path of `name`, else skip (or fail when required)."""
    path = shutil.which(name)
    if path is None:
        _missing(f"{name} is not on PATH ({hint})")
        raise AssertionError("unreachable")
    return path


def require_module(name: str, hint: str) -> ModuleType:
    """Import `name`, else skip (or fail when required)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"{name} is not installed ({hint})")
        raise AssertionError("unreachable") from None
