"""The pinned fallback path validator of SPEC §5.3 (separately reviewed; keep it small).

`x509path.validate_path` calls `search` only after `cryptography`'s verifier rejected a chain and a
candidate shows the trigger of an enabled relaxation, and once more, with no relaxation enabled,
only to explain a rejection (that call can never turn a rejection into an acceptance: the caller
discards any path it finds). Everything here re-implements P1-P10 without `cryptography`'s path
builder:

* depth-first search from the leaf; issuer subject and child issuer compared as exact DER; each
  certificate at most once per path; at most 8 certificates between leaf and anchor; at most 64
  signature verifications per call, after which the search gives up;
* P7 issuer key bounds on every candidate and anchor before any signature is verified;
* recognised critical extensions: basicConstraints, keyUsage, extendedKeyUsage, subjectAltName,
  certificatePolicies; nameConstraints and policyConstraints fail at any criticality (not implemented);
* every intermediate counts against pathLenConstraint (self-issued ones too: stricter than RFC 5280);
* signature AlgorithmIdentifiers are read with asn1crypto (`certsig.py`), because `cryptography`
  hides whether RSA parameters are NULL or absent; every decision is taken from the signed
  `tbsCertificate.signature`, and the outer `signatureAlgorithm` must equal it byte for byte, with
  no exception (for (c) both lack the parameters);
* the certificate rules tier 1 enforces besides P1-P10 (SPEC v2 §5.3's closed list, `certrules.py`):
  v3, serial, validity encoding, non-empty names, RSA-PSS keys sign only with PSS and their own
  parameters, signature algorithm matching the issuer key type;
* id-RSASSA-PSS needs explicit parameters: hash = MGF1 hash in SHA-256/384/512, saltLength = hash
  length, trailerField 1.

Relaxations, each recorded by name when the accepted path used it:
(a) `yubikey-legacy-f9` leaf -> F -> anchor, F v3 without basicConstraints, with 41482.3.3, no critical
extension, keyCertSign if keyUsage is present, issued by an anchor whose SPKI SHA-256 is one of the
two pinned Yubico roots; leaf not a CA. (b) `tpm-sha1-chain` sha1WithRSAEncryption and
ecdsa-with-SHA1. (c) `rsa-sig-params-absent` RSA PKCS#1 v1.5 AlgorithmIdentifier without parameters in the TBS
(and, byte-equal, outside): a trigger is only ever read from signed data.
(d) `android-batch-not-ca` a cA=FALSE batch certificate directly above an Android leaf, under a pinned
Google root: the rules are in `pinned_android.py`; here only `_Search.android_batch` and the anchor pin.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from . import certrules, certsig, pinned_android
from .errors import UntrustedChainError
from .keys import issuer_key_problem
from .pinnednode import Node as _Node
from .relaxations import ANDROID_BATCH_NOT_CA, LEGACY_F9, RSA_PARAMS_ABSENT, SHA1_CHAIN

__all__ = [
    "ANDROID_BATCH_NOT_CA",
    "LEGACY_F9",
    "PINNED_F9_ANCHOR_SPKI_SHA256",
    "RSA_PARAMS_ABSENT",
    "SHA1_CHAIN",
    "UnimplementedExtensionError",
    "search",
]


# SHA-256 of the SubjectPublicKeyInfo of the only anchors that may issue a basicConstraints-less F9
# (computed from testdata/roots/yubico/*.pem): Yubico PIV Root CA Serial 263751 and Yubico U2F Root
# CA Serial 457200631. Pinning the key, not the name, keeps a customer CA given in `roots` (or one
# re-using the name) from turning its end-entity certificates into issuers.
PINNED_F9_ANCHOR_SPKI_SHA256 = frozenset(
    {
        "4b185b7783d792f902cd960cd1c9417977d88d3077b16bc9ebdcef7313f2e29e",
        "29412da192720e5f4f22a408559c057e4ff25347eafb20cfb15a047a07601935",
    }
)

MAX_INTERMEDIATES = 8
MAX_SIGNATURE_CHECKS = 64


class UnimplementedExtensionError(UntrustedChainError):
    """The path carries an extension the fallback does not implement (nameConstraints, policyConstraints).

    When the search only explains a tier-1 rejection, the caller prefers tier 1's own reason.
    """


class _Reject(Exception):
    """One failed step of the search, kept to explain the final rejection."""

    def __init__(self, depth: int, rule: str, message: str, unimplemented: bool = False) -> None:
        super().__init__(message)
        self.unimplemented = unimplemented
        self.depth = depth
        self.rule = rule
        self.message = message


class _Budget(_Reject):
    """The signature budget is spent: the search stops, whatever else was found."""


class _Search:
    def __init__(
        self, anchors: list[_Node], candidates: list[_Node], now: datetime, enabled: frozenset[str]
    ) -> None:
        self.anchors = anchors
        self.candidates = candidates
        self.now = now
        self.enabled = enabled
        self.checks = 0
        self.best: _Reject | None = None

    def fail(self, depth: int, rule: str, message: str, unimplemented: bool = False) -> None:
        if self.best is None or depth > self.best.depth:
            self.best = _Reject(depth, rule, message, unimplemented)

    def visit(
        self, path: list[_Node], used: frozenset[str], legacy: bool
    ) -> tuple[list[_Node], frozenset[str]] | None:
        child = path[-1]
        depth = len(path) - 1
        issuers = [(n, True) for n in self.anchors if n.subject == child.issuer]
        for node in self.candidates:
            if node.subject != child.issuer:
                continue
            if legacy:
                self.fail(
                    depth + 1, "P5", f"{child.label} has no basicConstraints; only a pinned root may issue it"
                )
            else:
                issuers.append((node, False))
        if not issuers:
            self.fail(depth, "P3", f"no anchor or candidate has the issuer name of {child.label}")
        for issuer, is_anchor in issuers:
            if any(issuer.der == n.der for n in path):
                self.fail(depth, "P2", f"{issuer.label} is already on the path (loop)")
                continue
            try:
                found = self.step(path, used, legacy, issuer, is_anchor)
            except _Budget:
                raise
            except _Reject as reject:
                self.fail(reject.depth, reject.rule, reject.message, reject.unimplemented)
                continue
            if found is not None:
                return found
        return None

    def step(
        self, path: list[_Node], used: frozenset[str], legacy: bool, issuer: _Node, is_anchor: bool
    ) -> tuple[list[_Node], frozenset[str]] | None:
        child = path[-1]
        depth = len(path)
        if issuer.unusable is not None:
            raise _Reject(depth, issuer.unusable[0], f"{issuer.label} {issuer.unusable[1]}")
        if issuer.profile is not None:
            raise _Reject(depth, issuer.profile[0], f"{issuer.label} {issuer.profile[1]}")
        if issuer.subject == certrules.EMPTY_NAME:
            raise _Reject(depth, "P3", f"{issuer.label} is an issuer with an empty subject")
        if not issuer.valid_at(self.now):
            raise _Reject(depth, "P4", f"{issuer.label} is not valid at {self.now.isoformat()}")
        batch = self.android_batch(child, issuer, depth, is_anchor)  # relaxation (d), pinned_android.py
        if issuer.ext_problem is not None and not batch:
            rule, why = issuer.ext_problem
            raise _Reject(depth, rule, f"{issuer.label} {why}", unimplemented=rule == "P5")
        f9 = self.issuer_is_ca(child, issuer, depth, is_anchor, batch=batch)
        below = len(path) - 1
        if issuer.bc is not None and issuer.bc.path_length is not None and below > issuer.bc.path_length:
            raise _Reject(depth, "P5", f"{issuer.label} pathLenConstraint {issuer.bc.path_length} exceeded")
        if legacy and issuer.spki_sha256() not in PINNED_F9_ANCHOR_SPKI_SHA256:
            raise _Reject(
                depth, "P5", f"{issuer.label} is not a Yubico root pinned for legacy F9 certificates"
            )
        used = used | self.verify(child, issuer, depth)
        if f9:
            used = used | {LEGACY_F9}
        used = self.android_batch_used(used, batch, issuer, is_anchor, depth)  # relaxation (d)
        if is_anchor:
            return [*path, issuer], used
        if len(path) >= MAX_INTERMEDIATES + 1:
            raise _Reject(
                depth, "P2", f"path longer than {MAX_INTERMEDIATES} certificates between leaf and anchor"
            )
        return self.visit([*path, issuer], used, f9)

    def issuer_is_ca(self, child: _Node, issuer: _Node, depth: int, is_anchor: bool, *, batch: bool) -> bool:
        """P5 for one issuer: a v3 CA, (a) a legacy F9 (returns True) or (d) an accepted Android batch."""
        if issuer.bc is None:
            if is_anchor or LEGACY_F9 not in self.enabled or depth != 1:
                raise _Reject(depth, "P5", f"{issuer.label} has no basicConstraints, so it is not a CA")
            unfit = issuer.legacy_f9_profile()
            if unfit is not None:
                raise _Reject(depth, "P5", f"{issuer.label} is not a legacy YubiKey F9: it {unfit}")
            if child.bc is not None and child.bc.ca:
                raise _Reject(depth, "P5", f"{child.label} is a CA below a legacy F9")
            return True
        if not issuer.bc.ca and not batch:
            raise _Reject(depth, "P5", f"{issuer.label} has basicConstraints cA=FALSE")
        if issuer.cert.version != x509.Version.v3:
            raise _Reject(depth, "P5", f"{issuer.label} is not v3")
        return False

    def android_batch(self, child: _Node, issuer: _Node, depth: int, is_anchor: bool) -> bool:
        """Relaxation (d): whether `issuer`, with cA=FALSE, is accepted as the Android batch
        certificate directly above the leaf (`pinned_android.batch_problem`)."""
        if ANDROID_BATCH_NOT_CA not in self.enabled or issuer.bc is None or issuer.bc.ca or is_anchor:
            return False
        if depth != 1:
            raise _Reject(
                depth, "P5", f"{issuer.label} has basicConstraints cA=FALSE above the leaf's issuer"
            )
        unfit = pinned_android.batch_problem(issuer.cert, child.cert)
        if unfit is not None:
            raise _Reject(depth, "P5", f"{issuer.label} is not an Android batch certificate: it {unfit}")
        return True

    @staticmethod
    def android_batch_used(
        used: frozenset[str], batch: bool, issuer: _Node, is_anchor: bool, depth: int
    ) -> frozenset[str]:
        """Relaxation (d): record the batch certificate; a path through one ends at a pinned Google root."""
        if batch:
            used = used | {ANDROID_BATCH_NOT_CA}
        if is_anchor and ANDROID_BATCH_NOT_CA in used:
            unpinned = pinned_android.anchor_problem(issuer.cert)
            if unpinned is not None:
                raise _Reject(depth, "P5", f"{issuer.label} {unpinned}")
        return used

    def verify(self, child: _Node, issuer: _Node, depth: int) -> frozenset[str]:
        alg = child.alg
        if alg is None:
            raise _Reject(depth, "P7", f"{child.label} has an unreadable signature algorithm")
        used: set[str] = set()
        # No exception for (c) (SPEC v2): the outer copy is unsigned, the trigger is the TBS one.
        if alg.outer != alg.inner:
            raise _Reject(
                depth, "P7", f"{child.label} signatureAlgorithm differs from tbsCertificate.signature"
            )
        if alg.rsa_params_absent:
            used.add(RSA_PARAMS_ABSENT)
        if alg.is_sha1:
            if SHA1_CHAIN not in self.enabled:
                raise _Reject(depth, "P7", f"{child.label} is signed with SHA-1, which is not allowed here")
            used.add(SHA1_CHAIN)
        pss_problem = certsig.pss_key_problem(alg, issuer.spki_alg)
        if pss_problem is not None:
            raise _Reject(depth, "P7", f"{child.label}: {pss_problem}")
        verify = certsig.verifier(alg, issuer.key)
        if isinstance(verify, str):
            raise _Reject(depth, "P7", f"{child.label}: {verify}")
        if self.checks >= MAX_SIGNATURE_CHECKS:
            raise _Budget(depth, "P2", f"gave up after {MAX_SIGNATURE_CHECKS} signature checks")
        self.checks += 1
        try:
            verify(child.cert.signature, child.cert.tbs_certificate_bytes)
        except InvalidSignature:
            raise _Reject(
                depth, "P3", f"signature of {child.label} does not verify under {issuer.label}"
            ) from None
        except UnsupportedAlgorithm:
            raise _Reject(depth, "P7", f"the crypto backend refuses the signature algorithm of {child.label} "
                          "(SHA-1 disabled by FIPS or the crypto policy?)") from None  # fmt: skip
        return frozenset(used)


def _anchor_problem(node: _Node, now: datetime) -> tuple[str, str] | None:
    if node.bc is None or not node.bc.ca:
        return "P1", "is not a CA (basicConstraints cA=TRUE), so it cannot be a trust anchor"
    if not node.valid_at(now):
        return "P4", f"(trust anchor) is not valid at {now.isoformat()}"
    problem = issuer_key_problem(node.key)
    if problem is not None:
        return "P7", problem
    return None


def search(
    leaf: x509.Certificate,
    candidates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    now: datetime,
    *,
    check: str,
    enabled: Collection[str] = (),
) -> tuple[tuple[x509.Certificate, ...], tuple[str, ...]]:
    """Find a path from `leaf` to one of `anchors` under the §5.3 profile.

    Args:
        leaf: the end-entity certificate (`x5c[0]`).
        candidates: untrusted possible issuers (`x5c[1:]` + intermediates), any order.
        anchors: trust anchors (bundled or given roots); never taken from `x5c`.
        now: tz-aware validation instant.
        check: SPEC check id for errors.
        enabled: relaxation names that may be used (`LEGACY_F9`, `SHA1_CHAIN`, `RSA_PARAMS_ABSENT`,
            `ANDROID_BATCH_NOT_CA`).

    Returns:
        `(chain, used)`: the path leaf first and anchor last, and the sorted relaxation names it used
        (possibly empty; the caller decides whether a path without relaxation is acceptable).

    Raises:
        UntrustedChainError: (`untrusted-chain`) no path; `rule` is the rule of the deepest failure.
    """
    now = now.astimezone(timezone.utc)
    enabled_set = frozenset(enabled)
    try:
        leaf_node = _Node(leaf, "leaf")
        anchor_nodes = [_Node(a, f"anchor {i}") for i, a in enumerate(anchors)]
        cand_nodes = [_Node(c, f"candidate {i}") for i, c in enumerate(candidates)]
    except Exception as exc:  # noqa: BLE001 - undecodable extensions of caller-supplied certificates
        raise UntrustedChainError(
            f"a certificate has undecodable extensions: {exc}", check=check, rule="P6"
        ) from None
    if not anchor_nodes:
        raise UntrustedChainError("no trust anchors for this format", check=check, rule="P1")
    for node in anchor_nodes:
        node.unusable = _anchor_problem(node, now)
    if any(leaf_node.der == a.der or leaf_node.spki_sha256() == a.spki_sha256() for a in anchor_nodes):
        raise UntrustedChainError(f"{leaf_node.label} is a trust anchor itself", check=check, rule="P9")
    if not leaf_node.valid_at(now):
        raise UntrustedChainError(
            f"{leaf_node.label} is not valid at {now.isoformat()}", check=check, rule="P4"
        )
    if leaf_node.profile is not None:
        rule, why = leaf_node.profile
        raise UntrustedChainError(f"{leaf_node.label} {why}", check=check, rule=rule)
    if leaf_node.ext_problem is not None:
        rule, why = leaf_node.ext_problem
        error = UnimplementedExtensionError if rule == "P5" else UntrustedChainError
        raise error(f"{leaf_node.label} {why}", check=check, rule=rule)
    usable: list[_Node] = []
    search_state = _Search(anchor_nodes, usable, now, enabled_set)
    for node in cand_nodes:
        if any(node.der == a.der for a in anchor_nodes) or node.der == leaf_node.der:
            continue
        problem = issuer_key_problem(node.key)
        if problem is None:
            usable.append(node)
        elif node.subject == leaf_node.issuer or any(node.subject == c.issuer for c in cand_nodes):
            search_state.fail(1, "P7", f"{node.label}: {problem}")
    try:
        found = search_state.visit([leaf_node], frozenset(), False)
    except _Budget as spent:
        raise UntrustedChainError(spent.message, check=check, rule=spent.rule) from None
    if found is None:
        best = search_state.best or _Reject(0, "P3", "no path to a trust anchor")
        error = UnimplementedExtensionError if best.unimplemented else UntrustedChainError
        raise error(best.message, check=check, rule=best.rule)
    path, used = found
    return tuple(n.cert for n in path), tuple(sorted(used))
