"""Relaxation (d) `android-batch-not-ca` of the pinned validator, self-contained.

Some Android devices (the real Sony Xperia 10 III, Keymaster 4.1) sign their attestation leaves
with a factory-provisioned *batch* key whose certificate B says basicConstraints cA=FALSE
(critical), keyUsage digitalSignature only, and a non-critical nameConstraints with one permitted
dNSName `invalid;email:invalid`. `cryptography` rejects such a chain ("basicConstraints.cA must be
asserted in a CA certificate"); `pinned.py` may accept it through this module only:

* `trigger(leaf, candidates)`: some candidate has cA=FALSE and issues (by name) a leaf carrying
  the KeyDescription. Read from the TBS only (extensions and names are signed data).
* `batch_problem(batch, leaf)`: why B cannot be the batch certificate of (d), or `None`. B must
  carry basicConstraints with cA=FALSE (absent is not relaxed), be v3, have no critical extension
  but basicConstraints, keyUsage and nameConstraints, no policyConstraints, and **no
  KeyDescription** (an app's attested key, which always carries one, can never act as B); its
  nameConstraints, at any criticality, hold only dNSName / rfc822Name subtrees, and the leaf has
  neither a subjectAltName nor an emailAddress attribute in its subject, so they hold vacuously;
  the leaf carries the KeyDescription and is not a CA.
* `anchor_problem(anchor)`: a path that used B must end at an anchor whose SubjectPublicKeyInfo
  is a Google hardware attestation root (pinned by SHA-256 below), so a caller's own `roots=`
  can never turn its end-entity certificates into issuers.

`pinned.py` enforces the rest: B directly above the leaf (depth 1, never higher), B issued by a
certificate with cA=TRUE, every other rule of the pinned validator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from . import certsig

__all__ = [
    "KEY_DESCRIPTION_OID",
    "PINNED_GOOGLE_ROOT_SPKI_SHA256",
    "anchor_problem",
    "batch_problem",
    "trigger",
]

KEY_DESCRIPTION_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17")

# SHA-256 of the SubjectPublicKeyInfo of the Google hardware attestation roots (computed from
# attestverify/roots/android-key/*.pem): the RSA-4096 key of serialNumber f92009e853b6b045 (all
# its issues, 2016-2022, share it) and the ECDSA P-384 "Key Attestation CA1".
PINNED_GOOGLE_ROOT_SPKI_SHA256 = frozenset(
    {
        "feb2ea7551ee316ed4bb443c8293b884dbfdea40b603ee3e4f4a897e4580fbae",
        "3ee44512a1af2beb39c889490c60ea3f82e43f5d5a5532f5ab9419f676cd07ec",
    }
)

_ALLOWED_CRITICAL = frozenset(
    {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.NAME_CONSTRAINTS}
)
_VACUOUS_SUBTREES = (x509.DNSName, x509.RFC822Name)


def _extension(
    cert: x509.Certificate, oid: x509.ObjectIdentifier
) -> x509.Extension[x509.ExtensionType] | None:
    return next((ext for ext in cert.extensions if ext.oid == oid), None)


def _basic_constraints(cert: x509.Certificate) -> x509.BasicConstraints | None:
    ext = _extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    return None if ext is None or not isinstance(ext.value, x509.BasicConstraints) else ext.value


def trigger(leaf: x509.Certificate, candidates: Iterable[x509.Certificate]) -> bool:
    """Whether a candidate with cA=FALSE is named as the issuer of a leaf carrying the KeyDescription."""
    if _extension(leaf, KEY_DESCRIPTION_OID) is None:
        return False
    issuer = leaf.issuer.public_bytes()
    for cert in candidates:
        bc = _basic_constraints(cert)
        if bc is not None and not bc.ca and cert.subject.public_bytes() == issuer:
            return True
    return False


def _leaf_problem(leaf: x509.Certificate, constrained: bool) -> str | None:
    if _extension(leaf, KEY_DESCRIPTION_OID) is None:
        return "issues a leaf without the KeyDescription"
    bc = _basic_constraints(leaf)
    if bc is not None and bc.ca:
        return "issues a leaf that is a CA"
    if not constrained:
        return None
    if _extension(leaf, ExtensionOID.SUBJECT_ALTERNATIVE_NAME) is not None:
        return "has nameConstraints and the leaf has a subjectAltName"
    if leaf.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
        return "has nameConstraints and the leaf subject has an emailAddress"
    return None


def _name_constraints_problem(value: x509.ExtensionType) -> str | None:
    if not isinstance(value, x509.NameConstraints):
        return "has an undecodable nameConstraints"
    for subtree in (*(value.permitted_subtrees or ()), *(value.excluded_subtrees or ())):
        if not isinstance(subtree, _VACUOUS_SUBTREES):
            return f"has a nameConstraints subtree of type {type(subtree).__name__}"
    return None


def batch_problem(batch: x509.Certificate, leaf: x509.Certificate) -> str | None:
    """Why `batch` cannot be the cA=FALSE batch certificate of relaxation (d) above `leaf`, or `None`.

    The message completes "... is not an Android batch certificate: it ...".
    """
    bc = _basic_constraints(batch)
    if bc is None or bc.ca:
        return "has no basicConstraints with cA=FALSE"
    if batch.version != x509.Version.v3:
        return "is not v3"
    if _extension(batch, KEY_DESCRIPTION_OID) is not None:
        return "carries a KeyDescription (an attested key, not a batch key)"
    constraints = None
    for ext in batch.extensions:
        if ext.oid == ExtensionOID.POLICY_CONSTRAINTS:
            return "has policyConstraints"
        if ext.critical and ext.oid not in _ALLOWED_CRITICAL:
            return f"has the critical extension {ext.oid.dotted_string}"
        if ext.oid == ExtensionOID.NAME_CONSTRAINTS:
            constraints = ext.value
    if constraints is not None:
        problem = _name_constraints_problem(constraints)
        if problem is not None:
            return problem
    return _leaf_problem(leaf, constrained=constraints is not None)


def anchor_problem(anchor: x509.Certificate) -> str | None:
    """Why a path through a batch certificate may not end at `anchor`, or `None` (a pinned Google root)."""
    if hashlib.sha256(certsig.spki_der(anchor)).hexdigest() in PINNED_GOOGLE_ROOT_SPKI_SHA256:
        return None
    return "is not a Google hardware attestation root, the only anchors pinned for Android batch certificates"
