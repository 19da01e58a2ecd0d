"""The path-validation caches (issue 14): anchors per exact anchor set, candidate facts, parsed
intermediates. A cache may only save work: every check still runs at every `now`."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import threading
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pki import NOW, ec_key, ed25519_key, issue, name, rsa_key

from attestverify import identity, pathcache, x509path
from attestverify.errors import MalformedError, UntrustedChainError
from attestverify.identity import PublicKey
from attestverify.memo import Memo


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _chain(tag: str, *, root_not_after: dt.datetime | None = None, root_ca: bool = True):  # type: ignore[no-untyped-def]
    kw: dict[str, Any] = {} if root_not_after is None else {"not_after": root_not_after}
    r = issue(name(f"CacheRoot{tag}"), ec_key("p384", f"cacheroot{tag}"), None, ca=root_ca, **kw)
    i = issue(name(f"CacheInter{tag}"), ec_key("p256", f"cacheinter{tag}"), r, ca=True)
    leaf = issue(name(f"CacheLeaf{tag}"), ec_key("p256", f"cacheleaf{tag}"), i)
    return r, i, leaf


def test_cached_anchor_set_still_rejects_an_expired_anchor_at_a_later_now() -> None:
    expiry = NOW + dt.timedelta(days=30)
    r, i, leaf = _chain("exp", root_not_after=expiry)
    anchors = (r.cert,)
    assert x509path.validate_path(leaf.cert, [i.cert], anchors, NOW, check="S4").chain[-1] == r.cert
    entry = pathcache.anchor_set(anchors)
    assert pathcache.anchor_set(anchors) is entry  # cached
    assert entry.usable(NOW) == [r.cert]
    later = expiry + dt.timedelta(seconds=1)
    assert entry.usable(later) == []
    assert entry.store(later) is None
    with pytest.raises(UntrustedChainError) as err:
        x509path.validate_path(leaf.cert, [i.cert], anchors, later, check="S4")
    assert err.value.check == "S4"
    # And back: validity is a per-call decision, not a cached one.
    assert x509path.validate_path(leaf.cert, [i.cert], anchors, NOW, check="S4").relaxations == ()


def test_cached_anchor_that_is_not_a_ca_is_never_used() -> None:
    r, i, leaf = _chain("noca", root_ca=False)
    for _ in range(2):  # first use and cached use
        with pytest.raises(UntrustedChainError) as err:
            x509path.validate_path(leaf.cert, [i.cert], (r.cert,), NOW, check="T5")
        assert err.value.check == "T5"
    assert pathcache.anchor_set((r.cert,)).usable(NOW) == []


def test_two_anchor_sets_never_share_entries() -> None:
    r1, i1, leaf1 = _chain("one")
    r2, i2, leaf2 = _chain("two")
    first = pathcache.anchor_set((r1.cert,))
    second = pathcache.anchor_set((r2.cert,))
    assert first is not second
    assert first.ders == {_der(r1.cert)} and second.ders == {_der(r2.cert)}
    assert first.store(NOW) is not second.store(NOW)
    x509path.validate_path(leaf1.cert, [i1.cert], (r1.cert,), NOW, check="S4")
    with pytest.raises(UntrustedChainError):
        x509path.validate_path(leaf1.cert, [i1.cert], (r2.cert,), NOW, check="S4")
    with pytest.raises(UntrustedChainError):
        x509path.validate_path(leaf2.cert, [i2.cert], (r1.cert,), NOW, check="S4")
    # A set is keyed by all of its anchors in order: a superset is another entry.
    both = pathcache.anchor_set((r1.cert, r2.cert))
    assert both is not first and both.ders == {_der(r1.cert), _der(r2.cert)}


def test_same_anchor_bytes_as_other_objects_share_the_entry() -> None:
    r, _, _ = _chain("bytes")
    copy = x509.load_der_x509_certificate(_der(r.cert))
    assert copy is not r.cert
    assert pathcache.anchor_set((copy,)) is pathcache.anchor_set((r.cert,))


def test_memo_bound_holds_and_evicts_oldest() -> None:
    memo: Memo[int, str] = Memo(3)
    for key in range(10):
        assert memo.get_or_make(key, functools.partial(str.format, "v{}", key)) == f"v{key}"
        assert len(memo) <= 3
    assert memo.get(9) == "v9" and memo.get(0) is None
    with pytest.raises(ValueError, match="positive"):
        Memo(0)


def test_anchor_set_table_is_bounded() -> None:
    r, _, _ = _chain("bound")
    copies = [x509.load_der_x509_certificate(_der(r.cert)) for _ in range(pathcache._ANCHOR_SETS + 20)]
    for copy in copies:
        pathcache.anchor_set((copy,))
    assert len(pathcache._BY_IDENTITY) <= pathcache._ANCHOR_SETS
    assert len(pathcache._BY_DER) <= pathcache._ANCHOR_SETS


def test_facts_are_per_object_and_bounded() -> None:
    r, i, _ = _chain("facts")
    known = pathcache.facts(i.cert)
    assert known.cert is i.cert and known.der == _der(i.cert) and known.decodable and known.may_sign
    assert pathcache.facts(i.cert) is known
    other = x509.load_der_x509_certificate(_der(i.cert))
    assert pathcache.facts(other).cert is other
    for _ in range(pathcache._FACTS + 10):
        pathcache.facts(x509.load_der_x509_certificate(_der(r.cert)))
    assert len(pathcache._FACTS_TABLE) <= pathcache._FACTS


def test_parse_x5c_memoises_intermediates_by_exact_bytes_only() -> None:
    _, i, leaf = _chain("parse")
    first = x509path.parse_x5c([_der(leaf.cert), _der(i.cert)], check="S2")
    second = x509path.parse_x5c([_der(leaf.cert), _der(i.cert)], check="S2")
    assert first[1] is second[1]  # one object per exact intermediate bytes
    assert first[0] is not second[0]  # the leaf is parsed on every call
    # A rejected item is never kept: it fails again, with its check id.
    bad = _der(i.cert) + b"\x00"
    for _ in range(2):
        with pytest.raises(MalformedError) as err:
            x509path.parse_x5c([_der(leaf.cert), bad], check="S2")
        assert err.value.check == "S2"


def test_concurrent_first_use_is_safe() -> None:
    chains = [_chain(f"thread{n}") for n in range(4)]
    pathcache.clear()
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        r, i, leaf = chains[index % 4]
        barrier.wait()
        try:
            for _ in range(20):
                path = x509path.validate_path(leaf.cert, [i.cert], (r.cert,), NOW, check="S4")
                assert path.chain[-1] == r.cert
                other_r = chains[(index + 1) % 4][0]
                with pytest.raises(UntrustedChainError):
                    x509path.validate_path(leaf.cert, [i.cert], (other_r.cert,), NOW, check="S4")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for r, _, _ in chains:
        assert pathcache.anchor_set((r.cert,)).ders == {_der(r.cert)}


def _direct_bits(public_key: object) -> bytes:
    """The fingerprinted bytes encoded directly from the key, the reference `fingerprint` must match."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(Encoding.DER, PublicFormat.PKCS1)
    assert isinstance(public_key, (ed25519.Ed25519PublicKey, x25519.X25519PublicKey))
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.mark.parametrize(
    "key",
    [
        ec_key("p256", "fp256").public_key(),
        ec_key("p384", "fp384").public_key(),
        ec_key("p521", "fp521").public_key(),
        rsa_key(2048, "fprsa").public_key(),
        ed25519_key("fped").public_key(),
    ],
    ids=["p256", "p384", "p521", "rsa2048", "ed25519"],
)
def test_fingerprint_from_the_encoded_spki_equals_the_direct_encoding(key: PublicKey) -> None:
    direct = hashlib.sha256(_direct_bits(key)).digest()
    assert identity.fingerprint(key) == "SHA256:" + base64.b64encode(direct).decode()
    assert identity.public_key_der(key) is identity.public_key_der(key)  # encoded once per key object
    assert identity.public_key_der(key) == key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_leaf_der_is_the_parsed_bytes_or_the_encoding() -> None:
    _, i, leaf = _chain("leafder")
    parsed = x509path.parse_x5c([_der(leaf.cert), _der(i.cert)], check="S2")[0]
    assert pathcache.leaf_der(parsed) == _der(leaf.cert)
    assert pathcache.leaf_der(leaf.cert) == _der(leaf.cert)  # never seen by parse_x5c
