"""Typed accessors for decoded `attStmt` maps.

Every field read of every format goes through these, so a missing key or a value of the wrong
type is always a `MalformedError` with the check id of the format's rule, never a `KeyError`
or `TypeError`. They accept both what `cbor2` produces and what a caller may pass as an
already decoded Mapping (`bytearray` for byte strings, `tuple` for arrays), and never accept
`bool` where an integer is expected.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import MalformedError

__all__ = ["get_bytes", "get_bytes_list", "get_int", "get_text", "require_map"]


def require_map(value: object, what: str, *, check: str) -> Mapping[object, object]:
    """`value` as a Mapping, else `MalformedError`."""
    if not isinstance(value, Mapping):
        raise MalformedError(f"{what} must be a map, found {type(value).__name__}", check=check)
    return value


def _get(m: Mapping[object, object], key: str, check: str) -> object:
    try:
        return m[key]
    except KeyError:
        raise MalformedError(f"attStmt.{key} is missing", check=check) from None


def get_text(m: Mapping[object, object], key: str, *, check: str) -> str:
    """A required text string field."""
    value = _get(m, key, check)
    if not isinstance(value, str):
        raise MalformedError(f"attStmt.{key} must be a text string", check=check)
    return value


def get_int(m: Mapping[object, object], key: str, *, check: str) -> int:
    """A required integer field (`bool` is rejected although Python treats it as an int)."""
    value = _get(m, key, check)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedError(f"attStmt.{key} must be an integer", check=check)
    return value


def get_bytes(
    m: Mapping[object, object], key: str, *, check: str, min_len: int = 1, max_len: int = 65536
) -> bytes:
    """A required byte string field of `min_len` ... `max_len` bytes."""
    value = _get(m, key, check)
    if not isinstance(value, (bytes, bytearray)):
        raise MalformedError(f"attStmt.{key} must be a byte string", check=check)
    if not min_len <= len(value) <= max_len:
        raise MalformedError(
            f"attStmt.{key} must hold {min_len} ... {max_len} bytes, found {len(value)}", check=check
        )
    return bytes(value)


def get_bytes_list(
    m: Mapping[object, object], key: str, *, check: str, min_items: int = 1, max_items: int = 10
) -> tuple[bytes, ...]:
    """A required array of `min_items` ... `max_items` non-empty byte strings (e.g. `x5c`)."""
    value = _get(m, key, check)
    if not isinstance(value, (list, tuple)):
        raise MalformedError(f"attStmt.{key} must be an array", check=check)
    if not min_items <= len(value) <= max_items:
        raise MalformedError(
            f"attStmt.{key} must hold {min_items} ... {max_items} items, found {len(value)}",
            check=check,
        )
    items: list[bytes] = []
    for index, item in enumerate(value):
        if not isinstance(item, (bytes, bytearray)) or not item:
            raise MalformedError(f"attStmt.{key}[{index}] must be a non-empty byte string", check=check)
        items.append(bytes(item))
    return tuple(items)
