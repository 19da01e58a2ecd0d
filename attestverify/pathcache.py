"""What path validation derives from anchors and candidate issuers, computed once per input.

Every format validates its path with `x509path.validate_path`, so every format (a fourth one
included) gets these caches for free:

* `anchor_set(anchors)`: the deduplicated, decodable anchors, their DER and SubjectPublicKeyInfo
  encodings (P9), and per anchor the time-independent part of P1/P7 (cA=TRUE, an allowed key).
  Keyed by the exact DER bytes of the anchors, in order; the same anchor objects are found by
  identity first (the entry holds them, so the identity cannot be reused while it lives).
  `AnchorSet.usable(now)` still checks every anchor's validity at `now` on every call, and the
  `Store` of the anchors usable at `now` is kept per usable subset.
* `facts(cert)`: a candidate issuer's DER, whether its fields decode, and whether its key may sign
  (P7), kept per certificate object (`x509path.parse_x5c` returns one object per exact DER bytes
  of an intermediate, and bundled or caller intermediates are the same objects on every call).

Nothing here depends on `now`; the tables are bounded `memo.Memo`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import Store

from . import certsig
from .keys import issuer_key_problem
from .memo import Memo

__all__ = ["AnchorSet", "CertFacts", "anchor_set", "decodable", "facts"]

_ANCHOR_SETS = 64  # distinct anchor sets kept (formats x caller root sets)
_STORES_PER_SET = 8  # usable subsets per anchor set (anchors expiring or starting over time)
_FACTS = 512  # candidate issuers and anchors kept
_RECENT_LEAVES = 64  # leaves between parse_x5c and validate_path (one per call in flight)


def decodable(cert: x509.Certificate) -> bool:
    """Whether the fields path validation reads all decode (caller certificates skip `parse_x5c`)."""
    try:
        cert.extensions  # noqa: B018
        cert.subject.public_bytes()
        cert.issuer.public_bytes()
        cert.not_valid_before_utc  # noqa: B018 - year 0000 cannot be represented
        cert.not_valid_after_utc  # noqa: B018
    except Exception:  # noqa: BLE001 - such a certificate is simply never used
        return False
    return True


@dataclass(frozen=True, slots=True)
class CertFacts:
    """The time-independent facts of one certificate that path validation uses.

    Attributes:
        cert: the certificate these facts belong to (kept: the table is keyed by its identity).
        der: its DER encoding.
        decodable: `decodable(cert)`.
        may_sign: its key passes P7 (`keys.issuer_key_problem` is None).
    """

    cert: x509.Certificate
    der: bytes
    decodable: bool
    may_sign: bool


_FACTS_TABLE: Memo[int, CertFacts] = Memo(_FACTS)


def _make_facts(cert: x509.Certificate) -> CertFacts:
    ok = decodable(cert)
    return CertFacts(
        cert=cert,
        der=cert.public_bytes(Encoding.DER),
        decodable=ok,
        may_sign=ok and issuer_key_problem(certsig.public_key(cert)) is None,
    )


def facts(cert: x509.Certificate) -> CertFacts:
    """The `CertFacts` of `cert`, computed on its first use and kept (bounded)."""
    found = _FACTS_TABLE.get(id(cert))
    if found is not None and found.cert is cert:
        return found
    made = _make_facts(cert)
    kept = _FACTS_TABLE.put(id(cert), made)
    # Another object with a recycled id may have been kept first: never return its facts.
    return kept if kept.cert is cert else made


# The DER of recently parsed leaves, so validation does not re-encode the bytes parse_x5c had.
_LEAVES: Memo[int, tuple[x509.Certificate, bytes]] = Memo(_RECENT_LEAVES)


def remember_leaf(cert: x509.Certificate, der: bytes) -> x509.Certificate:
    """Note that `cert` was parsed from exactly `der`; returns `cert`."""
    _LEAVES.put(id(cert), (cert, der))
    return cert


def leaf_der(cert: x509.Certificate) -> bytes:
    """The DER of `cert`: the parsed bytes when `remember_leaf` saw it, else re-encoded."""
    found = _LEAVES.get(id(cert))
    if found is not None and found[0] is cert:
        return found[1]
    return cert.public_bytes(Encoding.DER)


def _ca_with_allowed_key(anchor: x509.Certificate) -> bool:
    # The time-independent half of P1 (cA=TRUE) and P7 for an anchor.
    try:
        bc = anchor.extensions.get_extension_for_class(x509.BasicConstraints).value
    except Exception:  # noqa: BLE001 - missing or undecodable: not a CA
        return False
    return bool(bc.ca) and issuer_key_problem(certsig.public_key(anchor)) is None


class AnchorSet:
    """One anchor set's derived values (see the module docstring); immutable after construction.

    Attributes:
        anchors: the anchors, deduplicated in order, undecodable ones dropped.
        ders: their DER encodings.
        spkis: their SubjectPublicKeyInfo encodings (`certsig.spki_der`).
    """

    __slots__ = ("_stores", "_usable", "_windows", "anchors", "ders", "spkis")

    def __init__(self, given: tuple[x509.Certificate, ...]) -> None:
        self.anchors = tuple(a for a in dict.fromkeys(given, None) if decodable(a))
        self.ders = frozenset(a.public_bytes(Encoding.DER) for a in self.anchors)
        self.spkis = frozenset(certsig.spki_der(a) for a in self.anchors)
        self._usable = tuple(_ca_with_allowed_key(a) for a in self.anchors)
        self._windows = tuple((a.not_valid_before_utc, a.not_valid_after_utc) for a in self.anchors)
        self._stores: Memo[tuple[int, ...], Store] = Memo(_STORES_PER_SET)

    def usable(self, now: datetime) -> list[x509.Certificate]:
        """P1 + P7: the anchors that are CAs with an allowed key and valid at `now` (UTC, inclusive)."""
        return [
            anchor
            for anchor, ok, (start, end) in zip(self.anchors, self._usable, self._windows, strict=True)
            if ok and start <= now <= end
        ]

    def store(self, now: datetime) -> Store | None:
        """The `Store` of `usable(now)`, or None when no anchor is usable at `now`."""
        picked = tuple(
            index
            for index, (ok, (start, end)) in enumerate(zip(self._usable, self._windows, strict=True))
            if ok and start <= now <= end
        )
        if not picked:
            return None
        found = self._stores.get(picked)
        if found is not None:
            return found
        return self._stores.put(picked, Store([self.anchors[i] for i in picked]))


_BY_DER: Memo[tuple[bytes, ...], AnchorSet] = Memo(_ANCHOR_SETS)
# The same anchor objects again (the bundled roots, a caller's loaded roots): found without
# re-encoding them. The entry holds the objects, so their ids cannot be reused while it lives.
_BY_IDENTITY: Memo[tuple[int, ...], tuple[tuple[x509.Certificate, ...], AnchorSet]] = Memo(_ANCHOR_SETS)


def _same_objects(left: tuple[x509.Certificate, ...], right: tuple[x509.Certificate, ...]) -> bool:
    return len(left) == len(right) and all(a is b for a, b in zip(left, right, strict=True))


def anchor_set(anchors: tuple[x509.Certificate, ...]) -> AnchorSet:
    """The `AnchorSet` of `anchors` (in order), built on first use of these exact DER bytes."""
    ids = tuple(map(id, anchors))
    found = _BY_IDENTITY.get(ids)
    if found is not None and _same_objects(found[0], anchors):
        return found[1]
    ders = tuple(a.public_bytes(Encoding.DER) for a in anchors)
    entry = _BY_DER.get(ders)
    if entry is None:
        entry = _BY_DER.put(ders, AnchorSet(anchors))
    _BY_IDENTITY.put(ids, (anchors, entry))
    return entry


def clear() -> None:
    """Forget every cached value (tests)."""
    _FACTS_TABLE.clear()
    _LEAVES.clear()
    _BY_DER.clear()
    _BY_IDENTITY.clear()
