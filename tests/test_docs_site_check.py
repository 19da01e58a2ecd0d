"""tools/check_docs_site.py finds the rendering faults it is meant to find (and none in clean HTML)."""

from __future__ import annotations

import importlib.util
import pathlib
from types import ModuleType

REPO = pathlib.Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_docs_site", REPO / "tools" / "check_docs_site.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROW = '<tr class="doc-section-item"><td>dict</td><td>{text}</td></tr>'
RETURNS = '<p><span class="doc-section-title">Returns:</span></p>\n<table><tbody>{rows}</tbody></table>'


def _site(tmp_path: pathlib.Path, body: str) -> pathlib.Path:
    page = tmp_path / "site" / "api" / "errors" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f"<html><body>{body}</body></html>")
    return tmp_path / "site"


def test_clean_page_passes(tmp_path: pathlib.Path) -> None:
    body = RETURNS.format(rows=ROW.format(text="A new dict <code>`x`</code>; RFC 8555 §6.7."))
    assert _tool().faults(_site(tmp_path, body)) == []


def test_multi_row_returns_fails(tmp_path: pathlib.Path) -> None:
    body = RETURNS.format(rows=ROW.format(text="line one") + ROW.format(text="line two"))
    assert _tool().faults(_site(tmp_path, body)) == [
        "api/errors/index.html: a Returns section rendered as 2 rows"
    ]


def test_stray_backtick_and_spec_citation_fail(tmp_path: pathlib.Path) -> None:
    found = _tool().faults(_site(tmp_path, '<p>also `"subproblems": see SPEC §2.3</p>'))
    assert len(found) == 2
    assert "stray backtick" in found[0] and "cites the specification" in found[1]


def test_empty_site_fails(tmp_path: pathlib.Path) -> None:
    assert _tool().main([str(tmp_path)]) == 1
    assert _tool().main([]) == 2
