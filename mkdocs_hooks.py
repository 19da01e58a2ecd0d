"""mkdocs hook: the home page is README.md, whose links point into docs/ (right on GitHub and in
a checkout); on the site the same pages sit at the root, so `](docs/x.md)` becomes `](x.md)`."""

from __future__ import annotations

import pathlib
import re
from typing import Any

_README = pathlib.Path(__file__).resolve().parent / "README.md"


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri != "index.md":
        return markdown
    return re.sub(r"\]\(docs/", "](", _README.read_text(encoding="utf-8"))
