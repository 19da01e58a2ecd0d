"""The Android KeyDescription extension (1.3.6.1.4.1.11129.2.1.17): a strict DER reader.

The leaf certificate of an Android Key Attestation chain describes the attested key in this
extension: attestation and KeyMint versions and security levels, the challenge, and two
AuthorizationLists (`softwareEnforced`, `hardwareEnforced`) of `[tag] EXPLICIT` fields.

Strictness, as for every extension reader of the package (`attestverify.asn1`): each piece is
decoded with `pyasn1` against a fixed schema and must re-encode to exactly the input (canonical
DER: minimal lengths and INTEGERs, BOOLEAN TRUE as 0xFF, SET OF sorted, no trailing bytes).
AuthorizationList is read as a SEQUENCE OF opaque elements, so that unknown tags can be skipped;
each element's header is checked by hand (context-specific, constructed, minimal tag and length),
tags must strictly ascend (DER order of the schema; each tag at most once) and each known tag is
decoded against its own schema. Tags that the KeyDescription's version does not define are
skipped like unknown ones. None of the real chains in testdata needs a tolerance.

Versions: attestationVersion 1, 2, 3, 4, 100, 200, 300, 400, or any value above 400 (read with
the 400 schema, up to 2^31 - 1). RootOfTrust.verifiedBootHash is absent before version 3 and
present from version 3 on.

Every failure is a `MalformedError` with check `"K6"` (or the caller's check id).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from cryptography import x509
from pyasn1.type import namedtype, tag, univ

from ..asn1 import decode_strict, raw_extension
from ..errors import MalformedError, quote
from .values import (
    OID_KEY_DESCRIPTION,
    AuthorizationList,
    KeyDescription,
    RootOfTrust,
    SecurityLevel,
    VerifiedBootState,
)

__all__ = [
    "MAX_KEY_DESCRIPTION",
    "OID_KEY_DESCRIPTION",
    "AuthorizationList",
    "KeyDescription",
    "RootOfTrust",
    "SecurityLevel",
    "VerifiedBootState",
    "decode_key_description",
    "key_description_of",
]


MAX_KEY_DESCRIPTION = 8192
"""Largest extension value read; real ones are 200-450 bytes (Keystore caps the application id at 1 KiB)."""

_T = TypeVar("_T")
_KNOWN_VERSIONS = frozenset({1, 2, 3, 4, 100, 200, 300, 400})
_MAX_VERSION = 2**31 - 1
_MAX_ELEMENTS = 128  # per AuthorizationList; KeyMint defines about 60 tags
_MAX_SET = 32  # entries of a SET OF INTEGER (purposes, digests, paddings)
_MAX_INT_BITS = 64  # every AuthorizationList integer is a Keymaster uint32/uint64
_MAX_TAG = 1 << 28


# --- schemas -------------------------------------------------------------------------------------


class _OpaqueList(univ.SequenceOf):  # type: ignore[misc]
    # AuthorizationList as a SEQUENCE OF opaque TLVs: each element is checked and decoded below.
    componentType = univ.Any()


class _KeyDescription(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("attestationVersion", univ.Integer()),
        namedtype.NamedType("attestationSecurityLevel", univ.Enumerated()),
        namedtype.NamedType("keyMintVersion", univ.Integer()),
        namedtype.NamedType("keyMintSecurityLevel", univ.Enumerated()),
        namedtype.NamedType("attestationChallenge", univ.OctetString()),
        namedtype.NamedType("uniqueId", univ.OctetString()),
        namedtype.NamedType("softwareEnforced", _OpaqueList()),
        namedtype.NamedType("hardwareEnforced", _OpaqueList()),
    )


def _root_of_trust_schema(with_hash: bool) -> univ.Sequence:
    fields = [
        namedtype.NamedType("verifiedBootKey", univ.OctetString()),
        namedtype.NamedType("deviceLocked", univ.Boolean()),
        namedtype.NamedType("verifiedBootState", univ.Enumerated()),
    ]
    if with_hash:
        fields.append(namedtype.NamedType("verifiedBootHash", univ.OctetString()))
    return univ.Sequence(componentType=namedtype.NamedTypes(*fields))


def _explicit(number: int, inner: Any) -> Any:
    return inner.subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, number))


# --- strict decoding ----------------------------------------------------------------------------


def _decode_strict(data: bytes, spec: Any, what: str, check: str, convert: Callable[[Any], _T]) -> _T:
    """`asn1.decode_strict` with the KeyDescription's own size bound."""
    return decode_strict(data, spec, what, check, convert, max_size=MAX_KEY_DESCRIPTION)


def _element_tag(element: bytes, check: str) -> int:
    """The tag number of one `[n] EXPLICIT` element, after checking its header is DER."""
    if len(element) < 2 or element[0] & 0xE0 != 0xA0:
        raise MalformedError(
            f"AuthorizationList element is not a context-specific constructed tag: {quote(element[:8])}",
            check=check,
        )
    number = element[0] & 0x1F
    pos = 1
    if number == 0x1F:
        number = 0
        while True:
            if pos >= len(element) or (number == 0 and element[pos] == 0x80) or number >= _MAX_TAG:
                raise MalformedError(f"bad AuthorizationList tag: {quote(element[:8])}", check=check)
            byte = element[pos]
            pos += 1
            number = (number << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        if number < 0x1F:
            raise MalformedError(f"AuthorizationList tag {number} is not minimally encoded", check=check)
    if pos >= len(element):
        raise MalformedError("AuthorizationList element has no length", check=check)
    first = element[pos]
    pos += 1
    length = first
    if first & 0x80:
        count = first & 0x7F
        raw = element[pos : pos + count]
        if count == 0 or len(raw) != count or raw[0] == 0:
            raise MalformedError(f"AuthorizationList tag [{number}] has a non-DER length", check=check)
        length = int.from_bytes(raw, "big")
        pos += count
        if length < 0x80:
            raise MalformedError(f"AuthorizationList tag [{number}] has a non-minimal length", check=check)
    if pos + length != len(element):
        raise MalformedError(f"AuthorizationList tag [{number}] has a wrong length", check=check)
    return number


def _uint(value: Any, what: str, check: str) -> int:
    number = int(value)
    if number < 0 or number.bit_length() > _MAX_INT_BITS:
        raise MalformedError(f"{what} must be an unsigned integer below 2^64", check=check)
    return number


def _int_set(value: Any, what: str, check: str) -> tuple[int, ...]:
    items = tuple(_uint(v, what, check) for v in value)
    if len(items) > _MAX_SET:
        raise MalformedError(f"{what} holds more than {_MAX_SET} values", check=check)
    return items


def _security_level(value: Any, what: str, check: str) -> SecurityLevel:
    try:
        return SecurityLevel(int(value))
    except ValueError:
        raise MalformedError(f"{what} {int(value)} is not 0, 1 or 2", check=check) from None


def _root_of_trust(value: Any, *, with_hash: bool, check: str) -> RootOfTrust:
    try:
        state = VerifiedBootState(int(value["verifiedBootState"]))
    except ValueError:
        raise MalformedError("verifiedBootState is not 0 ... 3", check=check) from None
    return RootOfTrust(
        verified_boot_key=bytes(value["verifiedBootKey"]),
        device_locked=bool(value["deviceLocked"]),
        verified_boot_state=state,
        verified_boot_hash=bytes(value["verifiedBootHash"]) if with_hash else None,
    )


# tag -> (field name, first attestationVersion that defines it, inner schema factory, converter)
_Reader = Callable[..., object]  # reader(value, what=..., check=...)


def _as_bytes(value: Any, what: str, check: str) -> bytes:
    return bytes(value)


def _as_true(value: Any, what: str, check: str) -> bool:
    return True


_INT = (univ.Integer, _uint)
_SET = (lambda: univ.SetOf(componentType=univ.Integer()), _int_set)
_OCTETS = (univ.OctetString, _as_bytes)
_NULL = (univ.Null, _as_true)

_FIELDS: dict[int, tuple[str, int, Callable[[], Any], _Reader]] = {
    1: ("purposes", 1, *_SET),
    2: ("algorithm", 1, *_INT),
    3: ("key_size", 1, *_INT),
    5: ("digests", 1, *_SET),
    6: ("paddings", 1, *_SET),
    10: ("ec_curve", 1, *_INT),
    200: ("rsa_public_exponent", 1, *_INT),
    503: ("no_auth_required", 1, *_NULL),
    600: ("all_applications", 1, *_NULL),
    701: ("creation_date_time", 1, *_INT),
    702: ("origin", 1, *_INT),
    # 704 rootOfTrust is handled apart (its schema depends on the version).
    705: ("os_version", 1, *_INT),
    706: ("os_patch_level", 1, *_INT),
    709: ("attestation_application_id", 2, *_OCTETS),
    710: ("attestation_id_brand", 2, *_OCTETS),
    711: ("attestation_id_device", 2, *_OCTETS),
    712: ("attestation_id_product", 2, *_OCTETS),
    713: ("attestation_id_serial", 2, *_OCTETS),
    714: ("attestation_id_imei", 2, *_OCTETS),
    715: ("attestation_id_meid", 2, *_OCTETS),
    716: ("attestation_id_manufacturer", 2, *_OCTETS),
    717: ("attestation_id_model", 2, *_OCTETS),
    718: ("vendor_patch_level", 3, *_INT),
    719: ("boot_patch_level", 3, *_INT),
    720: ("device_unique_attestation", 4, *_NULL),
    723: ("attestation_id_second_imei", 300, *_OCTETS),
    724: ("module_hash", 400, *_OCTETS),
}
_ROOT_OF_TRUST = 704


def _authorization_list(elements: Any, version: int, which: str, check: str) -> AuthorizationList:
    if len(elements) > _MAX_ELEMENTS:
        raise MalformedError(f"{which} holds more than {_MAX_ELEMENTS} elements", check=check)
    values: dict[str, object] = {}
    tags: list[int] = []
    for item in elements:
        element = bytes(item)
        number = _element_tag(element, check)
        if tags and number <= tags[-1]:
            # DER orders SEQUENCE components as declared, and the schema declares them by tag.
            problem = "repeats" if number == tags[-1] else "is out of order after"
            raise MalformedError(f"{which}: tag [{number}] {problem} [{tags[-1]}]", check=check)
        tags.append(number)
        what = f"{which} [{number}]"
        if number == _ROOT_OF_TRUST:
            with_hash = version >= 3
            schema = _explicit(number, _root_of_trust_schema(with_hash))
            read_root = functools.partial(_root_of_trust, with_hash=with_hash, check=check)
            values["root_of_trust"] = _decode_strict(element, schema, what, check, read_root)
            continue
        field = _FIELDS.get(number)
        if field is None or version < field[1]:
            continue  # unknown to this version's schema: skipped
        name, _, inner, read = field
        convert = functools.partial(read, what=what, check=check)
        values[name] = _decode_strict(element, _explicit(number, inner()), what, check, convert)
    return AuthorizationList(tags=tuple(tags), **values)  # type: ignore[arg-type]


def _version(value: Any, check: str) -> int:
    number = int(value)
    if number not in _KNOWN_VERSIONS and not 400 < number <= _MAX_VERSION:
        raise MalformedError(f"attestationVersion {number} is not a known version", check=check)
    return number


def decode_key_description(der: object, *, check: str = "K6") -> KeyDescription:
    """Decode a KeyDescription extension value (strict DER).

    Args:
        der: the extnValue contents of extension 1.3.6.1.4.1.11129.2.1.17.
        check: the check id of errors (`"K6"` in verification; `inspect` passes its own).

    Returns:
        The typed `KeyDescription`.

    Raises:
        MalformedError: not bytes, empty or above 8 KiB; not canonical DER; trailing bytes; an
            unknown attestationVersion or security level; a negative or above-2^64 integer; an
            AuthorizationList element that is not `[n] EXPLICIT`, a repeated or out-of-order tag;
            a known field or RootOfTrust that does not match its schema.
    """
    if not isinstance(der, (bytes, bytearray, memoryview)):
        raise MalformedError("the KeyDescription must be DER bytes", check=check)
    data = bytes(der)
    if not 1 <= len(data) <= MAX_KEY_DESCRIPTION:
        raise MalformedError(f"the KeyDescription must hold 1 ... {MAX_KEY_DESCRIPTION} bytes", check=check)

    def convert(value: Any) -> KeyDescription:
        version = _version(value["attestationVersion"], check)
        keymint_version = int(value["keyMintVersion"])
        if not 0 <= keymint_version <= _MAX_VERSION:
            raise MalformedError(f"keyMintVersion {keymint_version} is out of range", check=check)
        return KeyDescription(
            attestation_version=version,
            attestation_security_level=_security_level(
                value["attestationSecurityLevel"], "attestationSecurityLevel", check
            ),
            keymint_version=keymint_version,
            keymint_security_level=_security_level(
                value["keyMintSecurityLevel"], "keyMintSecurityLevel", check
            ),
            attestation_challenge=bytes(value["attestationChallenge"]),
            unique_id=bytes(value["uniqueId"]),
            software_enforced=_authorization_list(
                value["softwareEnforced"], version, "softwareEnforced", check
            ),
            hardware_enforced=_authorization_list(
                value["hardwareEnforced"], version, "hardwareEnforced", check
            ),
        )

    return _decode_strict(data, _KeyDescription(), "KeyDescription", check, convert)


def key_description_of(
    cert: x509.Certificate, *, check: str = "K6", max_size: int = MAX_KEY_DESCRIPTION
) -> KeyDescription | None:
    """The decoded KeyDescription extension of `cert`, or `None` when it carries none.

    Args:
        cert: any certificate (the leaf after validation; any certificate for `inspect()`).
        check: the check id of every error.
        max_size: the largest extension value decoded (`inspect()` passes its 1 024-byte bound).

    Raises:
        MalformedError: (`check`) the value is longer than `max_size` or does not decode.
    """
    for ext in cert.extensions:
        if ext.oid.dotted_string == OID_KEY_DESCRIPTION:
            raw = raw_extension(ext)
            if len(raw) > max_size:
                raise MalformedError(
                    f"the KeyDescription holds {len(raw)} bytes, more than {max_size} are not decoded",
                    check=check,
                )
            return decode_key_description(raw, check=check)
    return None
