"""Certificate path validation for every format (SPEC §5): `parse_x5c` and `validate_path`.

Two tiers. Tier 1 is `cryptography.x509.verification` (needs cryptography >= 50, see SPEC §5.2),
configured as a client verifier with `max_chain_depth(8)` and these extension policies:
CA = `permit_all` + basicConstraints required + certificatePolicies at any criticality;
EE = `permit_all` + certificatePolicies at any criticality. Tier 2 is the pinned validator of
`attestverify.pinned` (SPEC §5.3), run only when tier 1 rejected and a candidate certificate shows the
trigger of an enabled relaxation; it must then use at least one relaxation, else the tiers disagree and
the chain is rejected.

What tier 1 does, found by experiment with cryptography 50.0 (tests pin each point):

* accepts a leaf without SAN, a leaf without basicConstraints, a leaf with cA=TRUE and any leaf key
  (the formats restrict leaves: A4/S5/T6); anything but a CA profile below the anchor fails;
* takes tz-aware times and compares in UTC; validity is inclusive at notAfter, no skew;
* checks the anchor's own validity, cA=TRUE and pathLenConstraint, and honours nameConstraints;
* **accepts a leaf that is itself in the store** (a one-certificate "chain"), so P9 is enforced here;
* rejects SHA-1 and MD5 signatures, RSA PKCS#1 v1.5 AlgorithmIdentifiers without the NULL
  parameter ("Forbidden signature algorithm"), Ed25519 and RSA-1024 issuers, issuers without
  basicConstraints, unknown critical extensions (permit_all), and GeneralizedTime validity before 2050.
* does not bound RSA exponents: `keys.issuer_key_problem` (P7) runs first on every candidate issuer
  and anchor, and failing ones are dropped before any signature is verified.

Real-data quirks (testdata/) and where they go:

* F9 without basicConstraints (YubiKey firmware 4.3.x, 5.2.4; `step/ovh-fw435-s5970478`): tier 1
  rejects; tier 2 accepts with `yubikey-legacy-f9` (format `step` only).
* F9 without basicConstraints under Yubico U2F Root CA (`step/pivgo-validchain2018-fw437`): rejected
  with the default step anchors (P3, no issuer); with `roots=[U2F root]` rejected too, because that
  root's pathLenConstraint 0 leaves no room for F (P5).
* RSA PKCS#1 v1.5 AlgorithmIdentifier without NULL on the 5.7.4 F9 (`step/pkbrocks-fw574-*`): tier 1
  rejects; tier 2 accepts with `rsa-sig-params-absent`. `step/ovh-fw574-*` (5 levels) passes tier 1.
* Windows AK chains with critical SAN and certificatePolicies (`tpm/webauthn-*`): tier 1.
* SHA-1 TPM vendor CAs (`roots/infineon/IFX_TPM_EK_Root_CA.pem` and its intermediates): tier 2 with
  `tpm-sha1-chain` when enabled, else P7.
* cA=FALSE batch certificate above the leaf (`android-key/sony-xperia10-iii-sdk33-TEE_EC`): tier 1
  rejects; tier 2 accepts with `android-batch-not-ca` (format `android-key`, Google roots only).
* Non-DER Nuvoton names, STM non-minimal serials, trailing bytes, ECDSA AlgorithmIdentifiers with
  NULL (Intel OnDie): cryptography 50 refuses to parse them, `parse_x5c` raises `malformed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store

from . import certder, certsig, pathcache, pinned, pinned_android, pinnednode
from .errors import MalformedError, UntrustedChainError, UsageError
from .memo import Memo

__all__ = ["ValidatedPath", "parse_x5c", "validate_path"]

_MAX_X5C = 10
_FIRMWARE_OID = x509.ObjectIdentifier(pinnednode.YUBICO_FIRMWARE_OID)


@dataclass(frozen=True, slots=True)
class ValidatedPath:
    """A path accepted under SPEC §5.

    Attributes:
        chain: the certificates, leaf first and trust anchor last (at least two).
        relaxations: names of the §5.3 relaxations the path needed, sorted (empty for tier 1).
    """

    chain: tuple[x509.Certificate, ...]
    relaxations: tuple[str, ...] = ()


def parse_x5c(items: Sequence[bytes], *, check: str) -> tuple[x509.Certificate, ...]:
    """Parse an `x5c` array of DER certificates strictly (SPEC §3.2).

    Args:
        items: 1 to 10 byte strings, each one DER certificate.
        check: SPEC check id for errors (e.g. `"S2"`).

    Returns:
        The certificates in the given order.

    Raises:
        MalformedError: (`malformed`) wrong count or type, not DER (cryptography refuses BER, non-DER
            SET ordering, non-minimal INTEGERs), trailing data, duplicate extension OIDs, an
            undecodable known extension, a validity date that cannot be represented (year 0000),
            a non-DER outer encoding, a signatureValue with unused bits, or an outer
            signatureAlgorithm that differs from `tbsCertificate.signature` (`certder`).
    """
    if not 1 <= len(items) <= _MAX_X5C:
        raise MalformedError(f"x5c must hold 1 to {_MAX_X5C} certificates, found {len(items)}", check=check)
    certs = []
    for index, item in enumerate(items):
        if not isinstance(item, (bytes, bytearray)) or not item:
            raise MalformedError(f"x5c[{index}] is not a non-empty byte string", check=check)
        der = bytes(item)
        # Intermediates recur across calls: one parsed object per exact DER (only accepted ones
        # are kept). The leaf is parsed on every call.
        cert = _PARSED.get(der) if index else None
        if cert is None:
            cert = _parse_one(der, index, check)
            cert = _PARSED.put(der, cert) if index else pathcache.remember_leaf(cert, der)
        certs.append(cert)
    return tuple(certs)


_PARSED: Memo[bytes, x509.Certificate] = Memo(256)


def _parse_one(der: bytes, index: int, check: str) -> x509.Certificate:
    try:
        cert = x509.load_der_x509_certificate(der)
        # Extensions decode lazily; force it so duplicates and bad values fail here, not later.
        cert.extensions  # noqa: B018
        cert.subject.public_bytes()
        cert.issuer.public_bytes()
        # Both validity dates as datetimes: year 0000 cannot be represented (SPEC v2 §3.2), and
        # a date that fails here would otherwise fail later, outside any check.
        cert.not_valid_before_utc  # noqa: B018
        cert.not_valid_after_utc  # noqa: B018
    except Exception as exc:  # noqa: BLE001 - every parser failure is the same malformed input
        raise MalformedError(f"x5c[{index}] is not a valid DER certificate: {exc}", check=check) from None
    outer = certder.outer_problem(der)
    if outer is not None:
        raise MalformedError(f"x5c[{index}]: {outer}", check=check)
    return cert


def _make_policies() -> tuple[ExtensionPolicy, ExtensionPolicy]:
    ca = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
        .may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
    )
    ee = ExtensionPolicy.permit_all().may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
    return ca, ee


_POLICIES: Memo[str, tuple[ExtensionPolicy, ExtensionPolicy]] = Memo(1)


def _policies() -> tuple[ExtensionPolicy, ExtensionPolicy]:
    # ExtensionPolicy objects are immutable: built once, shared by every call and thread.
    return _POLICIES.get_or_make("tier1", _make_policies)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _label(leaf: x509.Certificate) -> str:
    # Rendered only for a message: rfc4514_string costs more than most checks.
    return certsig.cert_label(leaf, "leaf")


def _tier1(
    leaf: x509.Certificate,
    candidates: list[x509.Certificate],
    anchors: Store | list[x509.Certificate],
    now: datetime,
) -> tuple[tuple[x509.Certificate, ...] | None, str]:
    ca_policy, ee_policy = _policies()
    try:
        verifier = (
            PolicyBuilder()
            .store(anchors if isinstance(anchors, Store) else Store(anchors))
            .time(now)
            .max_chain_depth(pinned.MAX_INTERMEDIATES)
            .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
            .build_client_verifier()
        )
        result = verifier.verify(leaf, candidates)
    except Exception as exc:  # noqa: BLE001 - any refusal of the verifier is a rejection
        return None, str(exc)
    return tuple(result.chain), ""


def _triggers(
    certs: Sequence[x509.Certificate], *, allow_legacy_f9: bool, allow_sha1: bool, allow_android_batch: bool
) -> frozenset[str]:
    found: set[str] = set()
    if allow_android_batch and pinned_android.trigger(certs[0], certs[1:]):  # relaxation (d)
        found.add(pinned.ANDROID_BATCH_NOT_CA)
    for cert in certs:
        alg = certsig.sig_alg(cert)
        if alg is not None and alg.rsa_params_absent:
            found.add(pinned.RSA_PARAMS_ABSENT)
        if allow_sha1 and alg is not None and alg.is_sha1:
            found.add(pinned.SHA1_CHAIN)
        if allow_legacy_f9 and not _has(cert, x509.BasicConstraints) and _has_oid(cert, _FIRMWARE_OID):
            found.add(pinned.LEGACY_F9)
    return frozenset(found)


def _has(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> bool:
    try:
        cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return False
    return True


def _has_oid(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bool:
    return any(ext.oid == oid for ext in cert.extensions)


_TIER1_RULES = (
    ("not valid at validation time", "P4"),
    ("basicconstraints", "P5"),
    ("path length", "P5"),
    ("name constraint", "P5"),
    ("critical", "P6"),
    ("forbidden", "P7"),
    ("signature algorithm", "P7"),
)


def _tier1_rule(message: str) -> str:
    lowered = message.lower()
    return next((rule for text, rule in _TIER1_RULES if text in lowered), "P3")


def validate_path(
    leaf: x509.Certificate,
    candidates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    now: datetime,
    *,
    check: str,
    allow_legacy_f9: bool = False,
    allow_sha1: bool = False,
    allow_android_batch: bool = False,
) -> ValidatedPath:
    """Validate `leaf` to one of `anchors` at `now` under the §5 profile.

    Args:
        leaf: `x5c[0]`.
        candidates: possible issuers, `x5c[1:]` + intermediates, any order; unused extras are fine;
            a copy of an anchor is harmless; none of them is ever an anchor.
        anchors: the format's trust anchors (bundled or given by the caller).
        now: tz-aware validation instant (inclusive bounds, no skew).
        check: SPEC check id for errors (e.g. `"S4"`).
        allow_legacy_f9: enable relaxation (a) `yubikey-legacy-f9` (format `step`).
        allow_sha1: enable relaxation (b) `tpm-sha1-chain` (format `tpm`, option on).
        allow_android_batch: enable relaxation (d) `android-batch-not-ca` (format `android-key`).
            Relaxation (c) `rsa-sig-params-absent` is always on.

    Returns:
        The accepted path with the relaxations it needed.

    Raises:
        UntrustedChainError: (`untrusted-chain`) no acceptable path; `rule` names the P rule and the
            message names the certificate and the reason.
        UsageError: (`malformed`) `now` is naive (a programming error of the caller).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise UsageError("now must be a tz-aware datetime", check="D1")
    try:
        now = now.astimezone(timezone.utc)
    except OverflowError:
        raise UsageError("now cannot be converted to UTC (out of range)", check="D1") from None
    anchor_set = pathcache.anchor_set(tuple(anchors))
    anchor_list = list(anchor_set.anchors)
    anchor_ders = anchor_set.ders
    leaf_der = pathcache.leaf_der(leaf)
    # P9: cryptography accepts a store certificate as a one-element chain; a leaf carrying an
    # anchor's key is an anchor in disguise.
    if leaf_der in anchor_ders or certsig.spki_der(leaf) in anchor_set.spkis:
        raise UntrustedChainError(f"{_label(leaf)} is a trust anchor itself", check=check, rule="P9")
    if leaf.subject.public_bytes() == leaf.issuer.public_bytes():
        raise UntrustedChainError(
            f"{_label(leaf)} is self-issued; x5c certificates are never anchors", check=check, rule="P1"
        )
    # P1 + P7 for the anchors; their validity at this `now` is checked on every call.
    store = anchor_set.store(now)
    # P7 before any signature: drop candidates whose key may not sign; copies of anchors add nothing.
    pool: list[x509.Certificate] = []
    seen: set[bytes] = set()
    for cert in candidates:
        known = pathcache.facts(cert)
        der = known.der
        if der in seen or der in anchor_ders or der == leaf_der or not known.decodable:
            continue
        seen.add(der)
        if known.may_sign:
            pool.append(cert)
    chain, reason = None, "no trust anchor is a CA valid now with an allowed key"
    if store is not None:
        chain, reason = _tier1(leaf, pool, store, now)
    if chain is not None:
        return ValidatedPath(chain, ())
    enabled = _triggers(
        [leaf, *pool],
        allow_legacy_f9=allow_legacy_f9,
        allow_sha1=allow_sha1,
        allow_android_batch=allow_android_batch,
    )
    # With a trigger the pinned validator may accept (using a relaxation); without one it only
    # explains the rejection, naming the certificate and the rule. Its result never counts then.
    try:
        # Each distinct certificate once: a duplicate would only spend the signature budget again.
        everything = [c for c in dict.fromkeys(candidates) if pathcache.facts(c).decodable]
        found, used = pinned.search(leaf, everything, anchor_list, now, check=check, enabled=enabled)
    except pinned.UnimplementedExtensionError:
        if enabled or store is None:
            raise
        # Explaining a tier-1 refusal: tier 1 does implement nameConstraints, its reason is the real one.
        found, used = (), ()
    if enabled and used:
        return ValidatedPath(found, used)
    raise UntrustedChainError(
        f"chain of {_label(leaf)} rejected by the path validator: {reason}",
        check=check,
        rule=_tier1_rule(reason),
    )
