"""`verify_csr`: the finalize-time three-way binding of CSR, attested key and identifier.

At finalize an ACME server holds a verified `DeviceIdentity` (from the challenge), the order's
identifier and the CSR. The certificate must be issued only for the attested key, and it may only
name identities the device attested. Checks C1...C9 run in table order; the first failure decides
(C9, requests a CA must never honour, is in `csrpolicy.py`).
"""

from __future__ import annotations

import hmac
import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from . import csrpolicy
from .asn1 import HARDWARE_MODULE_NAME_OID, PERMANENT_IDENTIFIER_OID, san_identities
from .cbor import strict_base64url
from .errors import (
    BadSignatureError,
    IdentifierMismatchError,
    KeyMismatchError,
    MalformedError,
    PolicyError,
    UsageError,
    public_boundary,
    quote,
    shown,
)
from .identity import (
    HARDWARE_MODULE,
    PERMANENT_IDENTIFIER,
    AcmeIdentifier,
    DeviceIdentity,
    HardwareModuleName,
    PermanentIdentifier,
    public_key_der,
)

__all__ = ["verify_csr"]

CsrInput = x509.CertificateSigningRequest | bytes | bytearray | memoryview | str

_MAX_CSR = 65536  # bytes of DER or PEM; real CSRs are below 4 KiB
_PEM_MARK = b"-----BEGIN"
_PEM_BLOCK = re.compile(rb"-----BEGIN ((?:NEW )?CERTIFICATE REQUEST)-----[A-Za-z0-9+/=\s]*-----END \1-----")
_PEM_TEXT = "-----BEGIN"
_ASCII_WHITESPACE = " \t\n\r\f\v"  # what bytes.lstrip() strips, so str and bytes PEM agree
_MAX_CSR_TEXT = 87382  # characters: the unpadded base64url of _MAX_CSR bytes
# PKCS#9 extensionRequest and Microsoft's msExtReq. `cryptography` reads only the first such
# attribute and ignores the others, while e.g. Go's x509 merges every extensionRequest: with two,
# a CA could issue a SAN that C6/C8 never saw.
_EXTENSION_REQUESTS = frozenset({"1.2.840.113549.1.9.14", "1.3.6.1.4.1.311.2.1.14"})


def _utf8(text: str) -> bytes:
    # surrogatepass: a lone surrogate in `identifier` must compare unequal, not raise.
    return text.encode("utf-8", "surrogatepass")


def _check_arguments(
    identity: object,
    identifier: object,
    identifier_type: object,
    flags: dict[str, object],
) -> None:
    if not isinstance(identity, DeviceIdentity):
        raise UsageError("identity must be a DeviceIdentity returned by verify()", check="D1")
    if identifier is not None and not isinstance(identifier, str):
        raise UsageError("identifier must be a str or None", check="D1")
    if identifier_type not in (None, PERMANENT_IDENTIFIER, HARDWARE_MODULE):
        raise UsageError(
            f"identifier_type must be None, {PERMANENT_IDENTIFIER!r} or {HARDWARE_MODULE!r}", check="D1"
        )
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise UsageError(f"{name} must be True or False", check="D1")
    if flags["require_identifier_in_csr"] and flags["forbid_identifier_in_csr"]:
        raise UsageError(
            "require_identifier_in_csr and forbid_identifier_in_csr exclude each other", check="D1"
        )
    if not flags["match_identity"] and identifier is None:
        # Without either binding a CSR could name any identity at all.
        raise UsageError("match_identity=False needs identifier= (the order's identifier)", check="D1")


def _from_text(csr: str) -> tuple[bytes, bool]:
    """C1 for a `str` CSR: PEM when its first non-whitespace characters are `-----BEGIN`, else the
    unpadded base64url DER of the ACME finalize payload's `csr` member (strict `str` rules)."""
    if len(csr) > _MAX_CSR_TEXT:
        raise MalformedError(f"CSR is longer than {_MAX_CSR_TEXT} characters", check="C1")
    if csr.lstrip(_ASCII_WHITESPACE).startswith(_PEM_TEXT):
        try:
            return csr.encode("ascii"), True
        except UnicodeEncodeError:
            raise MalformedError("a PEM CSR must be ASCII", check="C1") from None
    return strict_base64url(csr, check="C1", what="CSR", max_chars=_MAX_CSR_TEXT), False


def _load(csr: object) -> x509.CertificateSigningRequest:
    """C1: the CSR object, DER or PEM, with its key and extensions decodable."""
    if isinstance(csr, x509.CertificateSigningRequest):
        request = csr
    else:
        if isinstance(csr, str):
            data, pem = _from_text(csr)
        elif isinstance(csr, (bytes, bytearray, memoryview)):
            data = bytes(csr)
            pem = data.lstrip().startswith(_PEM_MARK)
        else:
            raise UsageError(
                "csr must be an x509.CertificateSigningRequest, DER or PEM bytes, or a str", check="D1"
            )
        if not data or len(data) > _MAX_CSR:
            raise MalformedError(f"CSR must be 1 ... {_MAX_CSR} bytes", check="C1")
        try:
            if pem:
                # Exactly one CSR block and nothing else but whitespace: cryptography stops at
                # the first block and ignores whatever follows it.
                if _PEM_BLOCK.fullmatch(data.strip()) is None:
                    raise MalformedError(
                        "a PEM CSR must be exactly one CERTIFICATE REQUEST block", check="C1"
                    )
                request = x509.load_pem_x509_csr(data)
            else:
                request = x509.load_der_x509_csr(data)
        except (ValueError, x509.InvalidVersion) as exc:
            raise MalformedError(f"CSR does not parse: {exc}"[:200], check="C1") from None
    try:
        # Both are parsed lazily by cryptography; force them here so later checks cannot fail
        # with a parse error (duplicate or undecodable extensions, unsupported key types).
        request.public_key()
        _ = request.extensions
        _ = request.subject
        # Counted over every value: a multi-valued extensionRequest is as ambiguous as two of them.
        requests = sum(a.count for a in csrpolicy.read_attributes(request) if a.oid in _EXTENSION_REQUESTS)
    except (ValueError, TypeError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise MalformedError(f"CSR content does not decode: {exc}"[:200], check="C1") from None
    except Exception as exc:  # noqa: BLE001 - e.g. UnsupportedAlgorithm for an unknown key type
        raise MalformedError(f"CSR content is not supported: {type(exc).__name__}", check="C1") from None
    if requests > 1:
        raise MalformedError(
            "CSR carries more than one extensionRequest / msExtReq attribute (ambiguous extensions)",
            check="C1",
        )
    return request


def _requested_names(request: x509.CertificateSigningRequest) -> tuple[x509.GeneralName, ...]:
    try:
        ext = request.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(ext.value)


def _check_signature(request: x509.CertificateSigningRequest) -> None:
    """C2: the self-signature proves possession of the CSR key."""
    try:
        valid = request.is_signature_valid
    except Exception as exc:  # noqa: BLE001 - unsupported signature algorithms land here
        raise BadSignatureError(
            f"CSR self-signature cannot be verified ({type(exc).__name__})", check="C2"
        ) from None
    if not valid:
        raise BadSignatureError("CSR self-signature does not verify", check="C2")


def _check_key(identity: DeviceIdentity, request: x509.CertificateSigningRequest) -> None:
    """C3: the CSR key is the attested key (canonical SubjectPublicKeyInfo, constant time)."""
    try:
        found = public_key_der(request.public_key())  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - a key cryptography cannot re-encode is not ours
        raise KeyMismatchError(f"CSR key cannot be encoded ({type(exc).__name__})", check="C3") from None
    if not hmac.compare_digest(found, identity.public_key_der):
        raise KeyMismatchError(
            f"CSR key is not the attested key (attested {identity.fingerprint})", check="C3"
        )


def _check_common_names(request: x509.CertificateSigningRequest, identifier: str) -> None:
    """C5: step-ca rule: every non-empty subject CN equals the order identifier."""
    wanted = _utf8(identifier)
    for attribute in request.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        value = attribute.value
        raw = value if isinstance(value, bytes) else _utf8(value)
        if raw and not hmac.compare_digest(raw, wanted):
            raise IdentifierMismatchError(
                f"CSR subject CN {quote(raw)} (hex) differs from identifier {shown(identifier)}",
                check="C5",
                identifier_type=PERMANENT_IDENTIFIER,
                identifier_value=identifier,
            )


def _acme_identifier(name: PermanentIdentifier | HardwareModuleName) -> AcmeIdentifier | None:
    value = name.acme_value()
    if value is None:
        return None
    kind = PERMANENT_IDENTIFIER if isinstance(name, PermanentIdentifier) else HARDWARE_MODULE
    return AcmeIdentifier(kind, value)


def _check_san_identity(
    identity: DeviceIdentity,
    name: PermanentIdentifier | HardwareModuleName,
    *,
    identifier: str | None,
    identifier_type: str | None,
    match_identity: bool,
) -> None:
    """C6 for one PermanentIdentifier / HardwareModuleName SAN of the CSR."""
    acme = _acme_identifier(name)
    if acme is None:
        raise IdentifierMismatchError(
            f"CSR {type(name).__name__} SAN has no ACME identifier value (absent, '/', not UTF-8)",
            check="C6",
        )

    def reject(reason: str) -> IdentifierMismatchError:
        return IdentifierMismatchError(
            f"CSR {acme.type} SAN {shown(acme.value)} {reason}",
            check="C6",
            identifier_type=acme.type,
            identifier_value=acme.value,
        )

    # With an identifier the SAN must be of type T (identifier_type or permanent-identifier).
    wanted_type = (identifier_type or PERMANENT_IDENTIFIER) if identifier is not None else identifier_type
    if wanted_type is not None and acme.type != wanted_type:
        raise reject(f"is not of identifier_type {wanted_type!r}")
    if identifier is not None and not hmac.compare_digest(_utf8(acme.value), _utf8(identifier)):
        raise reject(f"differs from identifier {shown(identifier)}")
    if match_identity and not identity.matches(acme.value, acme.type):
        raise reject("is not among the attested identifiers")


def verify_csr(
    identity: DeviceIdentity,
    csr: CsrInput,
    *,
    identifier: str | None = None,
    identifier_type: str | None = None,
    match_identity: bool = True,
    allow_other_sans: bool = False,
    require_identifier_in_csr: bool = False,
    forbid_identifier_in_csr: bool = False,
) -> None:
    """Check a finalize CSR against a verified attestation (checks C1...C9).

    The checks run in order and the first failure decides; `err.acme_problem()` of a C-check
    failure is an ACME `badCSR` problem.

    Args:
        identity: the `DeviceIdentity` that `verify()` returned for the order's challenge.
        csr: an `x509.CertificateSigningRequest`; its DER or PEM as `bytes`; or a `str`: PEM
            when its first non-whitespace characters are `-----BEGIN`, else the unpadded
            base64url DER of the ACME finalize payload's `csr` member (alphabet `A-Z a-z 0-9 - _`,
            no `=`, no whitespace, length mod 4 not 1, zero unused bits).
        identifier: the order's identifier value. Pass it at finalize: without it the subject CN
            and the identity SANs are not tied to the order.
        identifier_type: the order identifier's ACME type (`"permanent-identifier"` or
            `"hardware-module"`); C4 and C6 use T = `identifier_type` or `"permanent-identifier"`,
            so a hardware-module identifier matches only with `identifier_type="hardware-module"`.
        match_identity: `False` skips the membership tests against `identity` (C4 and the last
            clause of C6), for servers that validate identifiers elsewhere; it needs `identifier`.
        allow_other_sans: accept GeneralNames other than PermanentIdentifier and
            HardwareModuleName in the requested subjectAltName (DNS names, UPN, ...).
        require_identifier_in_csr: fail unless the CSR requests at least one identity SAN.
        forbid_identifier_in_csr: privacy mode: fail if the CSR requests any identity SAN.

    Returns:
        `None`: the CSR may be issued. Every failure raises.

    Raises:
        UsageError: `malformed`, D1: `identity` not a `DeviceIdentity`, `csr` of another type,
            non-`str` `identifier`, unknown `identifier_type`, non-`bool` flags, both
            `require_identifier_in_csr` and `forbid_identifier_in_csr`, or
            `match_identity=False` without `identifier`.
        MalformedError: `malformed`, C1: the CSR is empty, over 64 KiB, not strict base64url
            (a non-PEM `str`), does not parse (PEM: not exactly one block and whitespace), has
            undecodable extensions or key, carries two extensionRequest attributes, or an
            identity SAN does not decode.
        BadSignatureError: `bad-signature`, C2: the CSR self-signature does not verify.
        KeyMismatchError: `key-mismatch`, C3: the CSR key is not the attested key.
        IdentifierMismatchError: `identifier-mismatch`: `identifier` is not attested (C4), a
            subject CN differs from it (C5), or an identity SAN is unusable, of another type,
            differs from `identifier` or is not attested (C6).
        PolicyError: `policy`: identity SAN present in privacy mode or absent when required
            (C7); another kind of SAN requested without `allow_other_sans` (C8); an extension
            or attribute a CA must never honour (C9: cA=TRUE, keyCertSign/cRLSign,
            anyExtendedKeyUsage, nameConstraints, issuerAltName, an unknown critical extension,
            a Microsoft `SAN` name-value pair).
    """
    with public_boundary():
        flags: dict[str, object] = {
            "match_identity": match_identity,
            "allow_other_sans": allow_other_sans,
            "require_identifier_in_csr": require_identifier_in_csr,
            "forbid_identifier_in_csr": forbid_identifier_in_csr,
        }
        _check_arguments(identity, identifier, identifier_type, flags)
        request = _load(csr)
        names = _requested_names(request)
        permanent, hardware = san_identities(names, check="C1")
        _check_signature(request)
        _check_key(identity, request)
        wanted_type = identifier_type or PERMANENT_IDENTIFIER  # T of SPEC v2 §2.4 C4/C6
        if identifier is not None and match_identity and not identity.matches(identifier, wanted_type):
            raise IdentifierMismatchError(
                f"identifier {shown(identifier)} is not among the {len(identity.identifiers)} "
                "attested identifier(s)",
                check="C4",
                identifier_type=identifier_type or PERMANENT_IDENTIFIER,
                identifier_value=identifier,
            )
        if identifier is not None:
            _check_common_names(request, identifier)
        identity_names: list[PermanentIdentifier | HardwareModuleName] = [*permanent, *hardware]
        for name in identity_names:
            _check_san_identity(
                identity,
                name,
                identifier=identifier,
                identifier_type=identifier_type,
                match_identity=match_identity,
            )
        has_identity_san = bool(permanent or hardware)
        if forbid_identifier_in_csr and has_identity_san:
            raise PolicyError("CSR requests a device identity SAN, forbidden in privacy mode", check="C7")
        if require_identifier_in_csr and not has_identity_san:
            raise PolicyError("CSR requests no PermanentIdentifier or HardwareModuleName SAN", check="C7")
        if not allow_other_sans:
            for general_name in names:
                if not _is_identity_name(general_name):
                    raise PolicyError(
                        f"CSR requests a {type(general_name).__name__} SAN; only device identity "
                        "SANs are allowed (allow_other_sans=False)",
                        check="C8",
                    )
        csrpolicy.check_c9(request, csrpolicy.read_attributes(request))


def _is_identity_name(general_name: x509.GeneralName) -> bool:
    return isinstance(general_name, x509.OtherName) and general_name.type_id in (
        PERMANENT_IDENTIFIER_OID,
        HARDWARE_MODULE_NAME_OID,
    )
