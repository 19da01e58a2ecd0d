"""Check the built mkdocs site for rendering faults the strict build does not catch.

Usage: `python tools/check_docs_site.py SITE_DIR` after `mkdocs build --strict -d SITE_DIR` (run by
`nox -s docs` and .ci/run). Exit 1 with one line per fault:

* a "Returns:" table with more than one row: mkdocstrings reads each line of a wrapped Returns
  paragraph as one return item unless `returns_multiple_items: false` is set, and every function
  here returns one value;
* a stray backtick in rendered API text: a code span broken across items (how `acme_problem()`
  rendered), which only happens when a section is split where the docstring is not;
* a citation of the project specification ("SPEC", "§4.3"): users do not have it.
"""

from __future__ import annotations

import pathlib
import re
import sys
from html.parser import HTMLParser

_RETURNS = re.compile(
    r'<span class="doc-section-title">Returns:</span></p>\s*<table>(.*?)</table>', re.DOTALL
)  # fmt: skip
_ROW = re.compile(r'<tr class="doc-section-item">')
_SPEC = re.compile(r"\bSPEC\b|(?<!RFC \d{4} )§\s*\d")


class _Text(HTMLParser):
    """The text of a page outside <code>, <pre>, <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre", "script", "style"):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "script", "style") and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def faults(site: pathlib.Path) -> list[str]:
    found: list[str] = []
    pages = sorted(site.rglob("*.html"))
    if not pages:
        return [f"{site}: no HTML pages (build the site first)"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        name = page.relative_to(site)
        for table in _RETURNS.finditer(html):
            rows = len(_ROW.findall(table.group(1)))
            if rows > 1:
                found.append(f"{name}: a Returns section rendered as {rows} rows")
        parser = _Text()
        parser.feed(html)
        text = "".join(parser.parts)
        if "/api/" in f"/{name.as_posix()}" and "`" in text:
            at = text.index("`")
            found.append(f"{name}: stray backtick in rendered text: {text[max(0, at - 40) : at + 40]!r}")
        spec = _SPEC.search(text)
        if spec:
            found.append(
                f"{name}: cites the specification: {text[max(0, spec.start() - 40) : spec.end() + 20]!r}"
            )
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tools/check_docs_site.py SITE_DIR", file=sys.stderr)
        return 2
    problems = faults(pathlib.Path(argv[0]))
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
