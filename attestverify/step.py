"""Format `step`: YubiKey PIV attestation and smallstep-managed devices.

`attStmt = {"alg": int, "sig": bstr, "x5c": [leaf, F9, further intermediates...]}`. The leaf is a
YubiKey slot attestation certificate (or a step-managed-device certificate from the customer's CA)
whose key signs the UTF-8 key authorization; `sig` holds that signature wrapped in one more CBOR
byte string. `alg` is not read (step-ca ignores it too).

Two entries share one implementation of each check: `verify_statement` (registered in `api.py`,
S1-S8) and `verify_chain` (S1-S2, S4-S5, S7-S8, for real YubiKey chains that come without a
key-authorization signature). `decode_extensions` is the pure decoder of the Yubico and step
extensions, reusable by `inspect()`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from . import asn1, cbor, fields, keys, x509path
from .api import check_certificates, check_now, public_boundary
from .context import Context
from .errors import BadSignatureError, MalformedError, PolicyError, UsageError
from .identity import (
    DeviceIdentity,
    FormFactor,
    PinPolicy,
    PublicKey,
    StepDetails,
    TouchPolicy,
    permanent_identifier_acme,
)
from .roots import bundled, bundled_intermediates

__all__ = [
    "OID_CSPN_CERTIFIED",
    "OID_FIPS_CERTIFIED",
    "OID_FIRMWARE",
    "OID_FORM_FACTOR",
    "OID_MANAGED_DEVICE",
    "OID_POLICY",
    "OID_SERIAL",
    "StepExtensions",
    "decode_details",
    "decode_extensions",
    "decode_serial",
    "verify_chain",
    "verify_statement",
]

OID_FIRMWARE = "1.3.6.1.4.1.41482.3.3"
OID_SERIAL = "1.3.6.1.4.1.41482.3.7"
OID_POLICY = "1.3.6.1.4.1.41482.3.8"
OID_FORM_FACTOR = "1.3.6.1.4.1.41482.3.9"
OID_FIPS_CERTIFIED = "1.3.6.1.4.1.41482.3.10"
OID_CSPN_CERTIFIED = "1.3.6.1.4.1.41482.3.11"
OID_MANAGED_DEVICE = "1.3.6.1.4.1.37476.9000.64.4"

SERIAL_SOURCE_YUBICO = "yubico"
SERIAL_SOURCE_MANAGED = "step-managed-device"

_FORMAT = "step"
_MAX_SIG = 1024
# A serial INTEGER longer than this could not be printed in decimal (int->str digit limit) and is
# no real serial anyway; same bound as the extension values inspect() decodes.
_MAX_SERIAL_DER = 1024
_FIPS_FLAG = 0x80
# YSA-2017-01: RSA keys generated on-device by firmware 4.2.6 ... 4.3.4 are ROCA-weak.
_FIRST_FIXED_FIRMWARE = (4, 3, 5)
_SLOT_CN = re.compile(r"YubiKey PIV Attestation ([0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class StepExtensions:
    """The decoded Yubico / step extensions of one certificate.

    Attributes:
        serial_number: YubiKey serial (decimal) or step-managed device id, else `None`.
        details: the informational fields (`serial_source` set when a serial was found).
    """

    serial_number: str | None
    details: StepDetails


def _raw_extensions(cert: x509.Certificate, check: str) -> list[tuple[str, bytes]]:
    # Certificate order matters for S7; only the raw extnValue of unrecognised OIDs is needed,
    # and every Yubico / step OID is unknown to cryptography.
    try:
        extensions = cert.extensions
    except ValueError:  # only reachable for certificates that did not go through parse_x5c (inspect)
        raise MalformedError("the certificate extensions do not decode", check=check) from None
    found: list[tuple[str, bytes]] = []
    for ext in extensions:
        if isinstance(ext.value, x509.UnrecognizedExtension):
            found.append((ext.oid.dotted_string, ext.value.value))
    return found


def decode_serial(cert: x509.Certificate, *, check: str = "S7") -> tuple[str | None, str | None]:
    """S7: the device serial of `cert` and where it came from.

    The leaf extensions are walked in certificate order; the first of 41482.3.7 (YubiKey serial,
    minimal non-negative DER INTEGER, printed in decimal) and 37476.9000.64.4 (step-managed device
    id, `SEQUENCE { UTF8String / PrintableString / IA5String }`, non-empty) decides.

    Args:
        cert: the leaf certificate (normally after `parse_x5c`; undecodable extensions are
            reported as `MalformedError` too).
        check: the check id for errors.

    Returns:
        `(serial, source)` with source `"yubico"` or `"step-managed-device"`, or `(None, None)`.

    Raises:
        MalformedError: the first serial extension is not encoded as required, or the
            extensions do not decode.
    """
    for oid, raw in _raw_extensions(cert, check):
        if oid == OID_SERIAL:
            if len(raw) > _MAX_SERIAL_DER:
                raise MalformedError(f"YubiKey serial extension is {len(raw)} bytes long", check=check)
            value = asn1.decode_der_integer(raw, check=check)
            return str(value), SERIAL_SOURCE_YUBICO
        if oid == OID_MANAGED_DEVICE:
            device_id = asn1.decode_der_string_sequence(raw, check=check)
            if not device_id:
                raise MalformedError("step managed device id is empty", check=check)
            return device_id, SERIAL_SOURCE_MANAGED
    return None, None


def _slot(cert: x509.Certificate) -> str | None:
    try:
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:  # an undecodable subject string is informational here, never fatal
        return None
    if len(names) != 1 or not isinstance(names[0].value, str):
        return None
    match = _SLOT_CN.fullmatch(names[0].value)
    return match.group(1).lower() if match else None


def _enum_or_int(enum_type: type[PinPolicy] | type[TouchPolicy] | type[FormFactor], value: int) -> int:
    try:
        return enum_type(value)
    except ValueError:
        return value  # unknown values stay integers (SPEC §4.2)


def decode_details(cert: x509.Certificate) -> StepDetails:
    """S8: the informational Yubico fields of `cert`; never fails.

    Values of the wrong length become `None`; unknown policy and form-factor values stay
    integers. `serial_source` is left `None` (see `decode_serial`). A certificate whose
    extensions do not decode at all yields only the slot.

    Args:
        cert: a certificate whose extensions are decodable (as after `parse_x5c`).

    Returns:
        The `StepDetails` (firmware, PIN/touch policy, form factor, FIPS flag, certifications, slot).
    """
    try:
        raw = dict(_raw_extensions(cert, "S8"))
    except MalformedError:
        raw = {}
    firmware = raw.get(OID_FIRMWARE)
    policy = raw.get(OID_POLICY)
    form = raw.get(OID_FORM_FACTOR)
    pin: int | None = None
    touch: int | None = None
    if policy is not None and len(policy) == 2:
        pin = _enum_or_int(PinPolicy, policy[0])
        touch = _enum_or_int(TouchPolicy, policy[1])
    form_factor: int | None = None
    fips: bool | None = None
    if form is not None and len(form) == 1:
        form_factor = _enum_or_int(FormFactor, form[0] & ~_FIPS_FLAG)
        fips = bool(form[0] & _FIPS_FLAG)
    return StepDetails(
        firmware_version=(firmware[0], firmware[1], firmware[2])
        if firmware is not None and len(firmware) == 3
        else None,
        pin_policy=pin,
        touch_policy=touch,
        form_factor=form_factor,
        fips=fips,
        fips_certified=OID_FIPS_CERTIFIED in raw,
        cspn_certified=OID_CSPN_CERTIFIED in raw,
        slot=_slot(cert),
    )


def decode_extensions(cert: x509.Certificate, *, check: str = "S7") -> StepExtensions:
    """S7 + S8: serial and informational fields of `cert` (pure; trusts nothing, checks no chain).

    Args:
        cert: a certificate whose extensions are decodable (as after `parse_x5c`).
        check: the check id for serial decoding errors.

    Returns:
        The serial and the details, `details.serial_source` set when a serial was found.

    Raises:
        MalformedError: the serial extension is not encoded as required (S7).
    """
    serial, source = decode_serial(cert, check=check)
    details = decode_details(cert)
    if source is not None:
        details = dataclasses.replace(details, serial_source=source)
    return StepExtensions(serial_number=serial, details=details)


def _leaf_key(leaf: x509.Certificate, firmware: tuple[int, int, int] | None) -> PublicKey:
    """S5: the leaf is not a CA and holds an acceptable key."""
    key = keys.end_entity_key(leaf, check="S5", what="the step leaf certificate")
    if isinstance(key, ec.EllipticCurvePublicKey):
        keys.check_ec_curve(key, ("secp256r1",), check="S5", what="step leaf key")
        return key
    if isinstance(key, rsa.RSAPublicKey):
        keys.check_rsa_key(key, check="S5", what="step leaf key")
        if firmware is not None and firmware < _FIRST_FIXED_FIRMWARE:
            version = ".".join(map(str, firmware))
            raise PolicyError(
                f"RSA leaf generated by YubiKey firmware {version} (< 4.3.5, YSA-2017-01 / ROCA)",
                check="S5",
            )
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise PolicyError(
        f"step leaf key {type(key).__name__} is not EC P-256, RSA 2048-4096 or Ed25519", check="S5"
    )


def _check_signature(key: PublicKey, signature: bytes, message: bytes) -> None:
    """S6: `signature` over `message` by the leaf key."""
    try:
        if not signature:
            raise InvalidSignature
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, message)
    except (InvalidSignature, ValueError):  # ValueError: a malformed DER ECDSA signature
        raise BadSignatureError(
            "the step signature over the key authorization does not verify with the leaf key",
            check="S6",
        ) from None


@dataclass(frozen=True, slots=True)
class _Chain:
    chain: tuple[x509.Certificate, ...]
    relaxations: tuple[str, ...]
    key: PublicKey


def _check_chain(
    x5c: tuple[x509.Certificate, ...],
    anchors: tuple[x509.Certificate, ...],
    intermediates: tuple[x509.Certificate, ...],
    now: datetime,
    *,
    allow_legacy_f9: bool,
) -> _Chain:
    """S4 and S5."""
    leaf = x5c[0]
    path = x509path.validate_path(
        leaf,
        tuple(x5c[1:]) + tuple(intermediates),
        anchors,
        now,
        check="S4",
        allow_legacy_f9=allow_legacy_f9,
    )
    key = _leaf_key(leaf, decode_details(leaf).firmware_version)
    return _Chain(chain=tuple(path.chain), relaxations=tuple(path.relaxations), key=key)


def _identity(checked: _Chain, extensions: StepExtensions) -> DeviceIdentity:
    """S7/S8 result: identifiers = (serial,) when usable as an ACME value."""
    ident = permanent_identifier_acme(extensions.serial_number)
    return DeviceIdentity.build(
        format=_FORMAT,
        public_key=checked.key,
        chain=checked.chain,
        acme_identifiers=() if ident is None else (ident,),
        serial_number=extensions.serial_number,
        relaxations=checked.relaxations,
        step=extensions.details,
    )


def verify_statement(att_stmt: Mapping[object, object], ctx: Context) -> DeviceIdentity:
    """Verify a `step` attestation statement (SPEC §4.2, checks S1-S8).

    Args:
        att_stmt: the decoded `attStmt` map.
        ctx: the validated verification context from `verify()`.

    Returns:
        The verified identity; `identifiers` is `(serial,)` or empty.

    Raises:
        MalformedError: S1 (`x5c`), S2 (certificate parsing), S3 (`sig`), S7 (serial encoding).
        UntrustedChainError: S4, the chain does not validate to `ctx.anchors`.
        PolicyError: S5, leaf is a CA or its key is not acceptable.
        BadSignatureError: S6, the signature over the key authorization does not verify.
    """
    x5c_der = fields.get_bytes_list(att_stmt, "x5c", check="S1")
    x5c = tuple(x509path.parse_x5c(x5c_der, check="S2"))
    sig = fields.get_bytes(att_stmt, "sig", check="S3", min_len=1, max_len=_MAX_SIG)
    signature = cbor.decode_inner_bstr(sig, check="S3")
    checked = _check_chain(
        x5c, ctx.anchors, ctx.intermediates, ctx.now, allow_legacy_f9=ctx.step_allow_legacy_f9
    )
    _check_signature(checked.key, signature, ctx.key_authorization.encode("utf-8"))
    return _identity(checked, decode_extensions(x5c[0], check="S7"))


def _x5c_der(x5c: object) -> tuple[bytes, ...]:
    if isinstance(x5c, (str, bytes, bytearray, memoryview, x509.Certificate, Mapping)) or not isinstance(
        x5c, Sequence
    ):
        raise UsageError("x5c must be a sequence of DER certificates or x509.Certificate", check="D1")
    if not 1 <= len(x5c) <= 10:
        raise MalformedError(f"x5c must hold 1 ... 10 certificates, found {len(x5c)}", check="S1")
    items: list[bytes] = []
    for index, item in enumerate(x5c):
        if isinstance(item, x509.Certificate):
            items.append(item.public_bytes(Encoding.DER))
        elif isinstance(item, (bytes, bytearray, memoryview)) and len(item) > 0:
            items.append(bytes(item))
        else:
            raise MalformedError(
                f"x5c[{index}] must be non-empty DER bytes or an x509.Certificate", check="S1"
            )
    return tuple(items)


def verify_chain(
    x5c: Sequence[bytes | x509.Certificate],
    *,
    roots: Iterable[x509.Certificate] | None = None,
    intermediates: Iterable[x509.Certificate] | None = None,
    now: datetime | None = None,
    allow_legacy_f9: bool = True,
) -> DeviceIdentity:
    """Verify a YubiKey (or step-managed) certificate chain without a key-authorization signature.

    Runs S1-S2, S4-S5 and S7-S8, the same code as `verify()` for `step`, for real
    device chains (slot leaf + F9 ...) whose private key is not at hand. It proves which key a
    device holds, not that the key signed anything fresh.

    Args:
        x5c: the chain as sent by the device, leaf first: DER `bytes` or `x509.Certificate`.
        roots: trust anchors; `None` uses the bundled Yubico anchors. An empty iterable
            trusts nothing.
        intermediates: extra untrusted path-building certificates. `None` means the bundled
            Yubico 5.7.4+ intermediates when `roots` is `None`, else none.
        now: tz-aware validation instant; `None` is the current time.
        allow_legacy_f9: relaxation (a), the pinned YubiKey F9 without basicConstraints
            (recorded as `"yubikey-legacy-f9"` when used).

    Returns:
        The identity (`format == "step"`, serial, details, relaxations, validated chain);
        `identifiers` is `(serial,)` or empty.

    Raises:
        UsageError: `malformed`, D1: `x5c` not a sequence, bad `roots` / `intermediates`, a
            naive `now`, a non-`bool` `allow_legacy_f9`.
        MalformedError: `malformed`: S1 (not 1 ... 10 items, an empty or non-bytes item), S2
            (a certificate does not parse), S7 (serial extension encoding).
        UntrustedChainError: `untrusted-chain`, S4, with `rule` `"P1"` ... `"P10"`.
        PolicyError: `policy`, S5: the leaf is a CA, or its key is not EC P-256, RSA 2048-4096
            (no ROCA fingerprint, firmware 4.3.5 or later) or Ed25519.
    """
    with public_boundary(_FORMAT):
        if not isinstance(allow_legacy_f9, bool):
            raise UsageError("allow_legacy_f9 must be True or False", check="D1")
        instant = check_now(now)
        if roots is None:
            anchors = bundled(_FORMAT)
            default_extra = bundled_intermediates(_FORMAT)
        else:
            anchors = check_certificates(roots, "roots")
            default_extra = ()
        extra = default_extra if intermediates is None else check_certificates(intermediates, "intermediates")
        parsed = tuple(x509path.parse_x5c(_x5c_der(x5c), check="S2"))
        checked = _check_chain(parsed, anchors, extra, instant, allow_legacy_f9=allow_legacy_f9)
        return _identity(checked, decode_extensions(parsed[0], check="S7"))
