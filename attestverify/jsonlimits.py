"""Bounds for the JSON documents the library decodes (ACME payloads, Google's status list).

`json` recurses once per nesting level, so a deeply nested document raises `RecursionError` (or
worse, exhausts the stack) before any check of ours runs: the nesting depth is measured first, in
linear time, on the text itself. Non-standard constants (`NaN`, `Infinity`) are refused.
"""

from __future__ import annotations

import itertools
import re

__all__ = ["nests_deeper_than", "reject_constant"]

# A JSON string in unrolled-loop form, and anything but a bracket: removing both leaves the bracket
# skeleton, whose running balance is the nesting depth. An unterminated string runs to the end of
# the text (with an optional lone backslash): if it could fail, `sub` would retry at every later
# quote and rescan to the end, quadratic on `"\"\"\"...`. JSON rejects such a text anyway.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether the arrays and objects of `text` nest more than `limit` levels (linear time)."""
    if text.count("[") + text.count("{") <= limit:  # few brackets cannot nest deeply
        return False
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    steps = (1 if c in "[{" else -1 for c in brackets)
    return max(itertools.accumulate(steps), default=0) > limit


def reject_constant(name: str) -> object:
    """`parse_constant` hook of `json.loads`: `NaN`, `Infinity` and `-Infinity` are not JSON."""
    raise ValueError(f"non-standard JSON constant {name}")
