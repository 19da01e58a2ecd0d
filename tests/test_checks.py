"""The check table (attestverify/checks.py) covers every check the package raises, with the
right error code, and docs/checks.md is generated from it."""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys

import pytest

from attestverify import errors
from attestverify.checks import CHECKS, GROUPS, main, markdown

REPO = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = REPO / "attestverify"
CODES = {
    cls.code
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.AttestationError)
}
ERROR_CLASSES = {
    name: cls
    for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, errors.AttestationError)
}
EXPECTED_IDS = (
    [f"D{i}" for i in range(1, 8)] + [f"A{i}" for i in range(1, 8)] + [f"S{i}" for i in range(1, 9)]
    + [f"T{i}" for i in range(1, 15)] + [f"K{i}" for i in range(1, 14)] + [f"C{i}" for i in range(1, 10)]
    + [f"P{i}" for i in range(1, 11)] + ["R1", "I1", "J1"]
)  # fmt: skip


def _raised() -> list[tuple[str, str, str | None, str]]:
    """(check or rule id, keyword, error class name or None, where) for every literal in the package."""
    found: list[tuple[str, str, str | None, str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            callee = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else None
            )
            for kw in node.keywords:
                if (
                    kw.arg in ("check", "rule")
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, str)
                ):
                    where = f"{path.relative_to(REPO)}:{node.lineno}"
                    found.append((kw.value.value, kw.arg, callee if callee in ERROR_CLASSES else None, where))
    return found


def test_table_has_every_check_id_in_order() -> None:
    assert list(CHECKS) == EXPECTED_IDS
    assert all(c.id == key for key, c in CHECKS.items())
    assert {c.id[0] for c in CHECKS.values()} == {prefix for prefix, _ in GROUPS}


def test_table_codes_are_error_codes_and_rows_are_filled() -> None:
    for check in CHECKS.values():
        assert set(check.codes) <= CODES, check.id
        assert check.summary.strip() and check.fix.strip(), check.id
        assert "SPEC" not in check.summary + check.fix, check.id


def test_every_raised_check_is_in_the_table_with_its_code() -> None:
    raised = _raised()
    assert len(raised) > 100  # the scan found the raise sites
    for check_id, keyword, callee, where in raised:
        assert check_id in CHECKS, f"{where}: {keyword}={check_id!r} is not in attestverify/checks.py"
        if keyword == "rule":
            assert check_id.startswith("P"), where
        elif callee is not None:
            code = ERROR_CLASSES[callee].code
            assert code in CHECKS[check_id].codes, f"{where}: {callee} ({code}) for {check_id}"


def test_scan_sees_a_known_raise_site() -> None:
    # The scan itself can fail: a known D5 raise in api.py must be among its results.
    assert any(c == "D5" and callee == "UnsupportedFormatError" for c, _, callee, _ in _raised())


def test_docs_checks_md_is_up_to_date() -> None:
    assert (REPO / "docs" / "checks.md").read_text() == markdown(), (
        "regenerate: python -m attestverify.checks --markdown > docs/checks.md"
    )


def test_markdown_lists_every_check_once() -> None:
    page = markdown()
    rows = re.findall(r"^\| ([A-Z]\d+) \|", page, re.MULTILINE)
    assert rows == EXPECTED_IDS


def test_module_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown()
    assert main([]) == 2
    done = subprocess.run(
        [sys.executable, "-m", "attestverify.checks", "--markdown"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.decode() == markdown()


def test_docs_do_not_cite_the_spec() -> None:
    # Users do not have the project specification: the docs link to checks.md or say it plainly.
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    for page in pages:
        text = page.read_text()
        assert not re.search(r"SPEC\b|§\s*\d", re.sub(r"RFC \d+ §[\d.]+", "", text)), page.name
