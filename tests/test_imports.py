"""The layer rules of docs/design.md, read from the package's import statements (ast, no import).

Only `__init__`, the command line (`cli`, `cli_input`, `cli_output`), `inspection` and the test kit
`testing` (which calls `verify` to state the identity a generated statement must give) may import
`api` (it imports every format, so a format importing it would be a cycle); a format never imports
another format; `errors` imports nothing of the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "attestverify"
FORMATS = frozenset({"attestverify.android", "attestverify.apple", "attestverify.step", "attestverify.tpm"})
API_IMPORTERS = frozenset(
    {
        "attestverify",
        "attestverify.cli",
        "attestverify.cli_input",
        "attestverify.cli_output",
        "attestverify.inspection",
    }
)
TOP_PACKAGES = ("attestverify.testing",)  # top-layer packages: any module in them may import api


def _module_name(path: Path) -> str:
    parts = ["attestverify", *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the package modules `path` imports (`from . import x` yields `pkg.x`)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "attestverify" or m.startswith("attestverify.")}


def _top_layer(module: str) -> bool:
    return module in API_IMPORTERS or module.startswith(tuple(p + "." for p in TOP_PACKAGES))


def _format_of(module: str) -> str | None:
    return next((f for f in FORMATS if module == f or module.startswith(f + ".")), None)


MODULES = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_walk_sees_the_package() -> None:
    assert "attestverify.api" in MODULES
    assert "attestverify.api" in MODULES["attestverify"]
    assert "attestverify.tpm.akcert" in MODULES["attestverify.tpm"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_top_layer_imports_api(module: str) -> None:
    if not _top_layer(module) and module != "attestverify.api":
        assert "attestverify.api" not in MODULES[module]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _format_of(m)))
def test_a_format_imports_no_other_format(module: str) -> None:
    own = _format_of(module)
    others = {_format_of(m) for m in MODULES[module]} - {None, own}
    assert not others, f"{module} imports {others}"


def test_errors_imports_nothing_of_the_package() -> None:
    assert MODULES["attestverify.errors"] == set()


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _format_of(m)))
def test_shared_modules_import_no_format(module: str) -> None:
    if _top_layer(module) or module == "attestverify.api":
        return
    formats = {_format_of(m) for m in MODULES[module]} - {None}
    assert not formats, f"{module} imports {formats}"


def test_every_format_is_registered_for_verify_and_inspect() -> None:
    import attestverify
    from attestverify import android, api, apple, inspection, step, tpm

    modules = (apple, step, tpm, android)
    assert tuple(m.FORMAT for m in modules) == attestverify.FORMATS
    assert {m.FORMAT: m.verify_statement for m in modules} == api._REGISTRY
    assert set(inspection._REGISTRY) == set(attestverify.FORMATS)
    assert android.describe_certificate in inspection._CERTIFICATE_HOOKS
    assert api.DEFAULT_FORMATS == ("apple", "step", "tpm")  # android-key only when listed
    # The layer rules above know the same formats (the package is named for the format).
    names = {f"attestverify.{f.split('-')[0]}" for f in attestverify.FORMATS}
    assert names == FORMATS
