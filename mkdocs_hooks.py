"""mkdocs hook: the home page is README.md, whose links point into docs/ (right on GitHub and in
a checkout); on the site the same pages sit at the root, so `](docs/x.md)` becomes `](x.md)`, and
the top-level files the README links to are the site pages that include them."""

from __future__ import annotations

import pathlib
import re
from typing import Any

_README = pathlib.Path(__file__).resolve().parent / "README.md"
_TOP_LEVEL = {"CHANGELOG.md": "changelog.md", "SECURITY.md": "security-policy.md", "LICENSE": "license.md"}


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri != "index.md":
        return markdown
    text = re.sub(r"\]\(docs/", "](", _README.read_text(encoding="utf-8"))
    for name, page_name in _TOP_LEVEL.items():
        text = text.replace(f"]({name})", f"]({page_name})")
    return text.replace("](api/)", "](api/verify.md)")
