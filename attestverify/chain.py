"""The x5c steps every format takes: read and parse the certificates, validate the path.

Each format passes its own check ids (`A1`/`A2`/`A3`, `S1`/`S2`/`S4`, `T3`/`T3`/`T5`), so the same
code reports the SPEC check of the format being verified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from . import fields, x509path
from .errors import MalformedError, UsageError
from .trust import Trust

__all__ = ["MAX_X5C", "certificate_items", "read_x5c", "validate"]

MAX_X5C = 10
"""Most certificates an x5c (or a caller's chain) may hold."""


def read_x5c(
    att_stmt: Mapping[object, object], *, shape_check: str, parse_check: str
) -> tuple[x509.Certificate, ...]:
    """`attStmt.x5c`: 1 ... 10 non-empty byte strings (`shape_check`), each one DER certificate
    (`parse_check`)."""
    items = fields.get_bytes_list(att_stmt, "x5c", check=shape_check)
    return x509path.parse_x5c(items, check=parse_check)


def certificate_items(
    value: object, *, what: str, check: str, bad_item: type[MalformedError] = MalformedError
) -> tuple[bytes, ...]:
    """A caller's chain (leaf first) as DER items: a sequence of 1 ... 10 non-empty DER `bytes`
    or `x509.Certificate`.

    Args:
        value: the caller's argument.
        what: its name in error messages.
        check: the format's x5c shape check (wrong count, empty item).
        bad_item: the error for an item of another type (`UsageError` is D1, else `check`).

    Raises:
        UsageError: (D1) `value` is not a sequence (a `str`, bytes, mapping or single certificate
            is not one), or an item has a foreign type and `bad_item` is `UsageError`.
        MalformedError: (`check`) a wrong count or an empty item.
    """
    if isinstance(value, (str, bytes, bytearray, memoryview, x509.Certificate, Mapping)) or not isinstance(
        value, Sequence
    ):
        raise UsageError(f"{what} must be a sequence of DER bytes or x509.Certificate", check="D1")
    if not 1 <= len(value) <= MAX_X5C:
        raise MalformedError(
            f"{what} must hold 1 ... {MAX_X5C} certificates, found {len(value)}", check=check
        )
    items: list[bytes] = []
    for index, item in enumerate(value):
        if isinstance(item, x509.Certificate):
            items.append(item.public_bytes(Encoding.DER))
        elif isinstance(item, (bytes, bytearray, memoryview)):
            if len(item) == 0:
                raise MalformedError(f"{what}[{index}] is empty", check=check)
            items.append(bytes(item))
        else:
            raise bad_item(
                f"{what}[{index}] must be DER bytes or x509.Certificate, found {type(item).__name__}",
                check="D1" if bad_item is UsageError else check,
            )
    return tuple(items)


def validate(
    certs: Sequence[x509.Certificate],
    trust: Trust,
    *,
    check: str,
    allow_legacy_f9: bool = False,
    allow_sha1: bool = False,
    allow_android_batch: bool = False,
) -> x509path.ValidatedPath:
    """The path from `certs[0]` (the x5c leaf) to one of `trust.anchors` at `trust.now`; the rest
    of x5c and `trust.intermediates` are untrusted candidates (§5.1, errors with `check`)."""
    return x509path.validate_path(
        certs[0],
        tuple(certs[1:]) + trust.intermediates,
        trust.anchors,
        trust.now,
        check=check,
        allow_legacy_f9=allow_legacy_f9,
        allow_sha1=allow_sha1,
        allow_android_batch=allow_android_batch,
    )
