"""Google's attestation status list (revoked and suspended attestation keys), read offline (K5).

Google publishes the serial numbers of leaked or misused factory attestation certificates at
https://android.googleapis.com/attestation/status as
`{"entries": {"<serial hex>": {"status": "REVOKED" | "SUSPENDED", "reason": ...}, ...}}`.
The library never fetches it: the caller downloads and caches the document (it changes rarely;
re-fetch at least daily, as step-ca does) and passes `StatusList.from_json(document)`. Passing
`STATUS_UNCHECKED` instead is an explicit, recorded choice to skip the check.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, Union

from cryptography import x509

from ..errors import UsageError
from ..jsonlimits import nests_deeper_than, reject_constant

__all__ = [
    "MAX_STATUS_BYTES",
    "STATUS_UNCHECKED",
    "StatusList",
    "StatusUnchecked",
    "check_status",
    "normalize_serial",
]

MAX_STATUS_BYTES = 16 << 20
"""Largest status document accepted (bytes, or characters for `str`)."""

_MAX_DEPTH = 32  # the real document nests 3 levels
_MAX_ENTRIES = 1 << 20
_MAX_KEY = 256  # characters of one serial key, leading zeros included
_HEX = re.compile(r"[0-9A-Fa-f]+", re.ASCII)


class StatusUnchecked(enum.Enum):
    """The type of `STATUS_UNCHECKED`, the explicit "no status list" value (one member)."""

    STATUS_UNCHECKED = "status-unchecked"

    def __repr__(self) -> str:
        return "attestverify.android.STATUS_UNCHECKED"


STATUS_UNCHECKED: Final = StatusUnchecked.STATUS_UNCHECKED
"""Skip the status list check K5 on purpose; recorded as relaxation `"android-status-unchecked"`.

Leaked factory attestation keys are revoked only through Google's status list: without it, anyone
holding one can sign a leaf with any serial, security level and boot state.
"""

StatusUncheckedType = Literal[StatusUnchecked.STATUS_UNCHECKED]


def _fail(message: str) -> UsageError:
    return UsageError(f"android status list: {message}", check="D1")


def _check_depth(text: str) -> None:
    if nests_deeper_than(text, _MAX_DEPTH):
        raise _fail(f"the document nests deeper than {_MAX_DEPTH} levels")


def _decode(data: object) -> object:
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) > MAX_STATUS_BYTES:
            raise _fail(f"the document is larger than {MAX_STATUS_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("the document is not UTF-8") from None
    elif isinstance(data, str):
        if len(data) > MAX_STATUS_BYTES:
            raise _fail(f"the document is longer than {MAX_STATUS_BYTES} characters")
        text = data
    else:
        raise _fail(f"expected bytes, str or a mapping, found {type(data).__name__}")
    _check_depth(text)
    try:
        return json.loads(text, parse_constant=reject_constant)
    except RecursionError:
        raise _fail("the document nests too deeply") from None
    except ValueError as exc:  # JSONDecodeError, NaN, integers too long to convert
        raise _fail(f"the document is not valid JSON: {str(exc)[:80]}") from None


def normalize_serial(key: object) -> str:
    """A status-list key as lowercase hex without leading zeros (`"0"` for zero).

    Raises:
        UsageError: (D1) not a non-empty string of hex digits (at most 256 characters).
    """
    if not isinstance(key, str) or not 1 <= len(key) <= _MAX_KEY or not _HEX.fullmatch(key):
        raise _fail(f"entry key {key!r:.40} is not a hexadecimal serial number")
    return key.lower().lstrip("0") or "0"


class StatusList:
    """A parsed attestation status list: certificate serial (hex) -> status string.

    Immutable once built; share one instance between threads and re-parse when the cached
    document is refreshed. Every listed serial fails K5, whatever its status.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[str, str]) -> None:
        """Use `from_json`; this constructor takes already normalised keys."""
        self._entries: Mapping[str, str] = MappingProxyType(dict(entries))

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[Any, object]) -> StatusList:
        """Parse Google's status document (`{"entries": {"<serial hex>": {"status": ...}}}`).

        Args:
            data: the document as fetched (UTF-8 `bytes` or `str`, at most 16 MiB, nesting at
                most 32 levels), or an already decoded mapping.

        Returns:
            The status list; keys normalised to lowercase hex without leading zeros.

        Raises:
            UsageError: (D1) invalid JSON or UTF-8, too large or deep, no `entries` object, a key
                that is not hex, an entry that is not an object, a `status` that is not a string,
                more than 1 048 576 entries.
        """
        try:
            top = data if isinstance(data, Mapping) else _decode(data)
            if not isinstance(top, Mapping) or "entries" not in top:
                raise _fail("the document has no 'entries' object")
            entries = top["entries"]
            if not isinstance(entries, Mapping):
                raise _fail("'entries' is not an object")
            if len(entries) > _MAX_ENTRIES:
                raise _fail(f"more than {_MAX_ENTRIES} entries")
            parsed: dict[str, str] = {}
            for key, entry in entries.items():
                serial = normalize_serial(key)
                if not isinstance(entry, Mapping):
                    raise _fail(f"entry {key!r:.40} is not an object")
                status = entry.get("status", "")
                if not isinstance(status, str):
                    raise _fail(f"entry {key!r:.40} has a status that is not a string")
                parsed.setdefault(serial, status)  # "0A" and "a" are one serial; either entry counts
        except UsageError:
            raise
        except Exception as exc:  # a hostile Mapping may raise anything; the API promises our errors
            raise _fail(f"unexpected {type(exc).__name__} while reading the document") from exc
        return cls(parsed)

    @property
    def entries(self) -> Mapping[str, str]:
        """Read-only view: normalised serial hex -> status (`""` when the entry had none)."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"StatusList({len(self._entries)} entries)"

    def lookup(self, certificate: x509.Certificate) -> str | None:
        """The status of `certificate` if its serial is listed, else `None`.

        Args:
            certificate: any certificate; its positive serial is compared in lowercase hex
                without leading zeros.

        Returns:
            The entry's status string (`""` when the entry has none), or `None` when not listed
            (also for a zero or negative serial, which Google never lists).
        """
        serial = certificate.serial_number
        if serial <= 0:
            return None
        return self._entries.get(format(serial, "x"))


StatusArgument = Union[StatusList, StatusUncheckedType, None]  # noqa: UP007 - runtime alias on 3.10


def check_status(status: object, *, allow_none: bool) -> StatusList | None:
    """D1: `status` as a `StatusList`, or `None` for `STATUS_UNCHECKED` (and `None` when allowed).

    Raises:
        UsageError: (D1) anything else: `verify()` needs an explicit choice.
    """
    if isinstance(status, StatusList):
        return status
    if status is STATUS_UNCHECKED or (status is None and allow_none):
        return None
    raise UsageError(
        "android_status must be an android.StatusList or android.STATUS_UNCHECKED "
        "(leaked attestation keys are revoked only through Google's status list)",
        check="D1",
    )
