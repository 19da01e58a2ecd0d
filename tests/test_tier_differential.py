"""Differential test of the two path-validation tiers (issue 12, SPEC v2 §5.3's oracle).

For each chain of `chain_faults.FAULTS` (one fault per rule of §5.3's closed list and of P1-P10):
tier 1 (`cryptography`'s verifier) rejects it without any trigger; then the same fault is combined
with each relaxation's trigger in signed data, and the whole validator (tier 1, then the pinned
validator with every relaxation the trigger may enable) must still reject, unless the fault *is* what
that relaxation relaxes (then it must accept, naming exactly that relaxation). A second verdict check
asks the pinned validator directly, with every relaxation enabled.
"""

from __future__ import annotations

import warnings

import chain_faults
import pytest
from chain_faults import FAULTS, PINNED_STRICTER, RELAXATION, TRIGGERS, Chain, build
from pki import NOW, rsa_key

from attestverify import pinned, pinnednode, x509path
from attestverify.errors import UntrustedChainError


@pytest.fixture(autouse=True)
def _pinned_test_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Relaxation (a) needs an anchor pinned by SPKI; the test root stands in for Yubico's.
    digest = pinnednode.Node(build("none").root.cert, "anchor").spki_sha256()
    monkeypatch.setattr(pinned, "PINNED_F9_ANCHOR_SPKI_SHA256", frozenset({digest}))
    assert rsa_key(2048, "diff-root")  # the cached key behind that root


def _make(builder: object, trigger: str) -> Chain:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography warns about non-positive serials it still parses
        return builder(trigger)  # type: ignore[operator, no-any-return]


def _validate(chain: Chain, trigger: str) -> x509path.ValidatedPath:
    return x509path.validate_path(
        chain.leaf, chain.candidates, chain.anchors, NOW, check="T5",
        allow_legacy_f9=trigger == "a", allow_sha1=trigger == "b",
    )  # fmt: skip


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_control_chain_accepted_with_exactly_its_relaxation(trigger: str) -> None:
    path = _validate(build(trigger), trigger)
    assert path.relaxations == RELAXATION[trigger]
    assert len(path.chain) == 3


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_tier1_rejects_each_fault(fault: str) -> None:
    chain = _make(FAULTS[fault][0], "none")
    found, reason = x509path._tier1(chain.leaf, chain.candidates, chain.anchors, NOW)
    if fault == "P9-leaf-is-anchor":
        # cryptography accepts a store certificate as a one-element chain; P9 is enforced before it.
        assert found is not None and len(found) == 1
    else:
        assert found is None, fault
        assert reason
    with pytest.raises(UntrustedChainError):
        _validate(chain, "none")


@pytest.mark.parametrize("trigger", ["a", "b", "c"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_trigger_never_opens_another_rule(fault: str, trigger: str) -> None:
    builder, relaxed_by = FAULTS[fault]
    chain = _make(builder, trigger)
    if relaxed_by == trigger:
        # The relaxation itself is the difference: accepted, naming it.
        assert _validate(chain, trigger).relaxations == RELAXATION[trigger]
        return
    with pytest.raises(UntrustedChainError) as exc:
        _validate(chain, trigger)
    assert exc.value.check == "T5"
    assert exc.value.rule is not None
    # The pinned validator alone agrees, with what the format enables: the trigger's relaxation and (c).
    enabled = {*RELAXATION[trigger], pinned.RSA_PARAMS_ABSENT}
    try:
        _, used = pinned.search(chain.leaf, chain.candidates, chain.anchors, NOW, check="T5", enabled=enabled)
    except UntrustedChainError:
        return
    assert used == (), (fault, trigger, used)


def test_fault_list_covers_the_closed_list() -> None:
    names = set(FAULTS)
    for needed in ("v1", "serial-negative", "serial-21-octets", "generalizedtime-before-2050",
                   "empty-subject", "rsa-pss-key-signs-pkcs1", "ecdsa-algorithm-under-rsa-key"):  # fmt: skip
        assert any(needed in n for n in names), needed
    rules = {n.split("-")[0] for n in names if n.startswith("P")}
    assert rules >= {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P9"}
    assert chain_faults.TRIGGERS == ("none", "a", "b", "c")


@pytest.mark.parametrize("case", sorted(PINNED_STRICTER))
def test_pinned_is_stricter_than_tier1_here(case: str) -> None:
    # Tier 1 accepts; with a trigger the pinned validator still refuses (it never runs otherwise).
    plain = _make(PINNED_STRICTER[case], "none")
    assert _validate(plain, "none").relaxations == ()
    with pytest.raises(UntrustedChainError) as exc:
        _validate(_make(PINNED_STRICTER[case], "c"), "c")
    assert exc.value.rule == "P3"
