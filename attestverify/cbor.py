"""Input forms, limits and strict CBOR decoding (SPEC §3.2, checks D2 and D3).

`cbor2` alone is too lenient for attestation input: it turns semantic tags into Python objects
before any hook sees them, keeps the last of duplicate map keys and accepts floats. So every CBOR
input first goes through `_scan`, a bounded, non-recursive well-formedness scan of the raw bytes
(an explicit stack, linear in the input), and only what it accepts is handed to `cbor2`.

What the scan accepts (everything else is `MalformedError`, check D3):

* exactly one data item, nothing after it; at most 16 nested arrays/maps;
* unsigned and negative integers (non-minimal argument encodings accepted);
* byte and text strings, definite or indefinite; an indefinite string is a sequence of
  definite chunks of its own major type; text (each chunk) is valid UTF-8;
* arrays and maps, definite or indefinite, of at most 256 entries (a map entry is a pair);
  map keys are integers or text, with no two equal by decoded value (integers by value
  whatever their encoding, text after joining chunks); keys of the top-level map and of the
  map under its `"attStmt"` key are text only;
* `false`, `true`, `null`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

import cbor2

from .errors import MalformedError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_TEXT",
    "decode_attestation_object",
    "decode_inner_bstr",
    "decode_statement",
    "strict_base64url",
]

MAX_BYTES = 65536
"""Largest statement, in bytes (CBOR input, decoded base64url, or byte strings of a Mapping)."""
MAX_TEXT = 87382
"""Largest base64url statement, in characters: the unpadded encoding of `MAX_BYTES` bytes."""
MAX_DEPTH = 16
"""Most nested arrays/maps; a top-level map is level 1."""
MAX_ENTRIES = 256
"""Most entries of one array or map (a map entry is a key/value pair)."""

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_ARRAY, _MAP = 4, 5
_INDEFINITE = -1
# Major type 7 values we accept: false, true, null. Everything else there is a float, `undefined`
# or a simple value, none of which an attestation object carries.
_SIMPLE_OK = frozenset((20, 21, 22))


class _Frame:
    """One open container or indefinite-length string on the scan stack."""

    __slots__ = ("attstmt_next", "chunks", "count", "keys", "kind", "left", "root", "text_keys", "want_key")

    def __init__(self, kind: int, left: int, *, text_keys: bool = False, root: bool = False) -> None:
        self.kind = kind  # 2/3: indefinite byte/text string, 4: array, 5: map
        self.left = left  # entries announced by a definite header, or _INDEFINITE
        self.count = 0  # entries completed so far
        self.keys: set[object] = set()  # decoded keys: int and str never compare equal
        self.want_key = True
        self.text_keys = text_keys
        self.root = root
        self.attstmt_next = False
        self.chunks: list[str] | None = None  # text chunks of an indefinite map key


def _fail(check: str, message: str, offset: int) -> MalformedError:
    return MalformedError(f"CBOR: {message} at offset {offset}", check=check)


def _scan(data: bytes, check: str, *, text_keys: bool) -> None:
    """Reject `data` unless it is one well-formed CBOR item within the limits of SPEC §3.2."""
    _Scanner(data, check, text_keys=text_keys).run()


class _Scanner:
    """The scan state: the input, the read position and the stack of open items.

    Each byte is read once; nothing recurses, so the nesting limit is the only depth.
    """

    __slots__ = ("check", "data", "end", "pos", "stack", "text_keys")

    def __init__(self, data: bytes, check: str, *, text_keys: bool) -> None:
        self.data = data
        self.end = len(data)
        self.pos = 0
        self.stack: list[_Frame] = []
        self.check = check
        self.text_keys = text_keys

    def fail(self, message: str, offset: int) -> MalformedError:
        return _fail(self.check, message, offset)

    def run(self) -> None:
        value: int | str | None
        while True:
            if self.pos >= self.end:
                raise self.fail("truncated input", self.pos)
            start = self.pos
            ib = self.data[start]
            self.pos += 1
            if ib == 0xFF:
                value = self._break(start)
            else:
                complete, value = self._item(ib, start)
                if not complete:  # a container or indefinite string was opened
                    continue
            top = self.stack[-1] if self.stack else None
            # Hot path, what `_account` would do: an array entry or map value that leaves its
            # definite container open (a string frame is never definite, so `left` excludes it).
            if top is not None and top.count + 1 < top.left and not (top.kind == _MAP and top.want_key):
                top.count += 1
                top.want_key = True
                top.attstmt_next = False
                continue
            if self._account(value, start):
                return

    def _break(self, start: int) -> str | None:
        top = self.stack[-1] if self.stack else None
        if top is None or top.left != _INDEFINITE:
            raise self.fail("break outside an indefinite-length item", start)
        if top.kind == _MAP and not top.want_key:
            raise self.fail("map ends between a key and its value", start)
        self.stack.pop()
        return "".join(top.chunks) if top.chunks is not None else None

    def _argument(self, ai: int, start: int) -> int:
        if ai < 28:
            size = 1 << (ai - 24)
            if size > self.end - self.pos:
                raise self.fail("truncated input", start)
            arg = int.from_bytes(self.data[self.pos : self.pos + size], "big")
            self.pos += size
            return arg
        if ai == 31:
            return _INDEFINITE
        raise self.fail(f"reserved additional information {ai}", start)

    def _key_position(self, top: _Frame, major: int, arg: int, start: int) -> bool:
        """Check the item against its enclosing item; `True` when it is a map key."""
        if top.kind < _ARRAY and (major != top.kind or arg == _INDEFINITE):
            raise self.fail("indefinite string chunk is not a definite string of its type", start)
        if top.kind != _MAP or not top.want_key:
            return False
        if not (major == 3 or (major < 2 and not top.text_keys)):
            allowed = "text" if top.text_keys else "text or integer"
            raise self.fail(f"map key of major type {major} (must be {allowed})", start)
        return True

    def _item(self, ib: int, start: int) -> tuple[bool, int | str | None]:
        """One item header (and a string's body): `(complete, key value)`."""
        major = ib >> 5
        ai = ib & 0x1F
        arg = ai if ai < 24 else self._argument(ai, start)
        top = self.stack[-1] if self.stack else None
        # Only string chunks and map keys are constrained: skip the call for other items.
        key_position = (
            top is not None
            and (top.kind < _ARRAY or (top.kind == _MAP and top.want_key))
            and self._key_position(top, major, arg, start)
        )
        if major < 2:
            if arg == _INDEFINITE:
                raise self.fail("indefinite-length integer", start)
            return True, arg if major == 0 else -1 - arg
        if major < 4:
            return self._string(major, arg, top, key_position, start)
        if major < 6:
            return self._container(major, arg, top, start)
        if major == 6:
            raise self.fail("tags are not allowed", start)
        if ai not in _SIMPLE_OK:
            raise self.fail("only false, true and null are allowed in major type 7", start)
        return True, None

    def _string(
        self, major: int, arg: int, top: _Frame | None, key_position: bool, start: int
    ) -> tuple[bool, str | None]:
        if arg == _INDEFINITE:
            frame = _Frame(major, _INDEFINITE)
            if key_position:
                frame.chunks = []
            self.stack.append(frame)
            return False, None
        if arg > self.end - self.pos:
            raise self.fail("truncated input", start)
        value = None
        if major == 3:
            try:
                value = self.data[self.pos : self.pos + arg].decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("text string is not valid UTF-8", start) from None
            if top is not None and top.chunks is not None:
                top.chunks.append(value)
        self.pos += arg
        return True, value

    def _container(self, major: int, arg: int, top: _Frame | None, start: int) -> tuple[bool, None]:
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", start)
        if arg > MAX_ENTRIES:
            raise self.fail(f"container of more than {MAX_ENTRIES} entries", start)
        if arg == 0:
            return True, None
        strict = major == _MAP and (
            (top is None and self.text_keys) or (top is not None and top.attstmt_next)
        )
        self.stack.append(_Frame(major, arg, text_keys=strict, root=top is None and strict))
        return False, None

    def _account(self, value: int | str | None, start: int) -> bool:
        """One item (`value` is its key value when it is a map key) is complete: account for it
        in the enclosing containers, closing every definite one that is now full. `True` when the
        top-level item is complete."""
        stack = self.stack
        while stack:
            top = stack[-1]
            if top.kind == _MAP and top.want_key:
                if value in top.keys:
                    raise self.fail(f"duplicate map key {value!r:.40}", start)
                top.keys.add(value)
                top.want_key = False
                top.attstmt_next = top.root and value == "attStmt"
                return False
            if top.kind < _ARRAY:
                return False
            top.want_key = True
            top.attstmt_next = False
            top.count += 1
            if top.left == _INDEFINITE:
                if top.count > MAX_ENTRIES:
                    raise self.fail(f"container of more than {MAX_ENTRIES} entries", start)
                return False
            if top.count < top.left:
                return False
            stack.pop()
            value = None
        if self.pos != self.end:
            raise self.fail(f"{self.end - self.pos} bytes after the data item", self.pos)
        return True


def _decode(data: bytes, check: str, *, text_keys: bool) -> object:
    _scan(data, check, text_keys=text_keys)
    try:
        return cbor2.loads(data)
    except Exception as exc:  # noqa: BLE001 - unreachable if the scan is right; never leak
        raise MalformedError(f"CBOR: cbor2 refused the input ({type(exc).__name__})", check=check) from None


def _check_mapping(statement: Mapping[object, object]) -> None:
    # Only the values verifiers interpret are checked, without ever recursing into caller
    # structures (they may be cyclic or deep): attStmt values and the items of attStmt arrays.
    att_stmt = statement.get("attStmt")
    if not isinstance(att_stmt, Mapping):
        return
    if len(att_stmt) > MAX_ENTRIES:
        raise MalformedError(f"attStmt has more than {MAX_ENTRIES} entries", check="D2")
    total = 0
    for value in att_stmt.values():
        if isinstance(value, (bytes, bytearray)):
            total += len(value)
        elif isinstance(value, (list, tuple)):
            if len(value) > MAX_ENTRIES:
                raise MalformedError(f"an attStmt array has more than {MAX_ENTRIES} items", check="D2")
            total += sum(len(item) for item in value if isinstance(item, (bytes, bytearray)))
        if total > MAX_BYTES:
            raise MalformedError(f"attStmt byte strings exceed {MAX_BYTES} bytes in total", check="D2")


def strict_base64url(text: str, *, check: str, what: str, max_chars: int) -> bytes:
    """Decode unpadded base64url under the strict `str` rules of SPEC §3.2.

    1 ... `max_chars` characters of `A-Z a-z 0-9 - _` only (no `=`, no whitespace), length mod 4
    not 1, and the unused low bits of the last character zero, so one byte string has exactly one
    accepted spelling. Shared by `verify()` (D2) and `verify_csr()` (C1).

    Raises:
        MalformedError: with `check`, naming `what`, when a rule fails.
    """
    if not 1 <= len(text) <= max_chars:
        raise MalformedError(f"base64url {what} must hold 1 ... {max_chars} characters", check=check)
    if not _BASE64URL.fullmatch(text):
        raise MalformedError(
            f"base64url {what} holds a character outside A-Z a-z 0-9 - _ (no padding, no whitespace)",
            check=check,
        )
    rest = len(text) % 4
    if rest == 1:
        raise MalformedError(f"base64url {what} length is 1 mod 4", check=check)
    # A non-zero unused low bit would let many strings decode to the same bytes.
    unused = 0x0F if rest == 2 else 0x03 if rest == 3 else 0
    if _ALPHABET.index(text[-1]) & unused:
        raise MalformedError(f"base64url {what} has non-zero unused bits", check=check)
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # unreachable after the checks above
        raise MalformedError(f"{what} is not base64url", check=check) from None


def _from_buffer(buffer: bytes | bytearray | memoryview) -> bytes:
    try:
        size = buffer.nbytes if isinstance(buffer, memoryview) else len(buffer)
        if not 1 <= size <= MAX_BYTES:
            raise MalformedError(f"statement must hold 1 ... {MAX_BYTES} bytes, found {size}", check="D2")
        return buffer.tobytes() if isinstance(buffer, memoryview) else bytes(buffer)
    except ValueError:  # a released memoryview
        raise MalformedError("statement buffer is not readable", check="D2") from None


def decode_statement(statement: object) -> object:
    """Decode the `statement` argument of `verify()` (SPEC §3.2).

    Args:
        statement: CBOR `bytes`/`bytearray`/`memoryview` (1 ... 65 536 bytes), the unpadded
            base64url `str` of it (1 ... 87 382 characters), or an already decoded Mapping.

    Returns:
        The decoded CBOR item (byte strings as `bytes`), or the Mapping itself after checking
        that the byte strings of its `attStmt` values and arrays total at most 65 536 bytes.

    Raises:
        MalformedError: check D2 for a bad input type, size, base64url or Mapping budget;
            check D3 for CBOR that breaks a rule of SPEC §3.2.
    """
    if isinstance(statement, Mapping):
        _check_mapping(statement)
        return statement
    if isinstance(statement, str):
        data = strict_base64url(statement, check="D2", what="statement", max_chars=MAX_TEXT)
    elif isinstance(statement, (bytes, bytearray, memoryview)):
        data = _from_buffer(statement)
    else:
        raise MalformedError(
            f"statement must be bytes, str or a mapping, found {type(statement).__name__}", check="D2"
        )
    if not 1 <= len(data) <= MAX_BYTES:
        raise MalformedError(f"statement must hold 1 ... {MAX_BYTES} bytes", check="D2")
    return _decode(data, "D3", text_keys=True)


def decode_attestation_object(statement: object) -> tuple[Mapping[object, object], str]:
    """Decode the statement (D2, D3) and check its top level (D4) for `verify()` and `inspect()`.

    Returns:
        The top-level map and its text `fmt`.

    Raises:
        MalformedError: D2 and D3 as `decode_statement`; D4 when the top level is not a map or
            `fmt` is missing or not text.
    """
    top = decode_statement(statement)
    if not isinstance(top, Mapping):
        raise MalformedError("the attestation object must be a map", check="D4")
    fmt = top.get("fmt")
    if not isinstance(fmt, str):
        raise MalformedError("the attestation object needs a text 'fmt'", check="D4")
    return top, fmt


def decode_inner_bstr(data: bytes | bytearray, *, check: str) -> bytes:
    """Decode `data` that must hold exactly one CBOR byte string and nothing else.

    The string may be definite or indefinite (byte chunks); the same scan as for statements
    applies, so a tag, `null`, another type or a trailing byte is rejected.

    Args:
        data: the raw bytes (e.g. step's `sig`, a CBOR-encoded byte string).
        check: the SPEC check id to report on failure.

    Returns:
        The content of the byte string.

    Raises:
        MalformedError: with `check`, when `data` is not exactly one CBOR byte string.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise MalformedError("inner value must be a byte string", check=check)
    raw = bytes(data)
    if not raw or raw[0] >> 5 != 2:
        raise MalformedError("inner value is not a CBOR byte string", check=check)
    value = _decode(raw, check, text_keys=False)
    if not isinstance(value, bytes):  # unreachable: the scan checked the major type
        raise MalformedError("inner value is not a CBOR byte string", check=check)
    return value
