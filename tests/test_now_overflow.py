"""Issue 12, finding 3: a `now` whose conversion to UTC overflows is the caller's bug (D1, SPEC v2 §3.3).

`datetime.max` one hour west of UTC is a valid tz-aware datetime, but its UTC instant lies after
year 9999; the conversion raised `OverflowError`, which only the API-boundary fallback caught.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pki
import pytest

import attestverify
from attestverify import apple, step, tpm, x509path
from attestverify.errors import UsageError

OVERFLOWING = [
    dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-1))),
    dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=1))),
    dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(minutes=-1))),
]
FITTING = [
    dt.datetime.max.replace(tzinfo=dt.timezone.utc),
    dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=1))),
    dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=-1))),
]


ENTRY_POINTS: dict[str, Callable[[dt.datetime], object]] = {
    "verify": lambda now: attestverify.verify(b"\xa0", pki.KEY_AUTHORIZATION, now=now),
    "tpm.verify_certify": lambda now: tpm.verify_certify({}, b"\x00" * 32, now=now),
    "step.verify_chain": lambda now: step.verify_chain([b"\x30\x00"], now=now),
    "apple.verify_device_properties": lambda now: apple.verify_device_properties(
        [b"\x30\x00"], b"\x00" * 32, now=now
    ),
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("now", OVERFLOWING, ids=["max-1h", "min+1h", "max-1min"])
def test_overflowing_now_is_usage_error(entry: str, now: dt.datetime) -> None:
    with pytest.raises(UsageError) as exc:
        ENTRY_POINTS[entry](now)
    assert exc.value.check == "D1"
    assert exc.value.code == "malformed"
    assert "UTC" in exc.value.message


@pytest.mark.parametrize("now", FITTING, ids=["max-utc", "max+1h", "min-1h"])
def test_extreme_but_convertible_now_is_not_d1(now: dt.datetime) -> None:
    # The same extremes that do convert: the statement decides (here the empty map fails D4).
    with pytest.raises(attestverify.AttestationError) as exc:
        attestverify.verify(b"\xa0", pki.KEY_AUTHORIZATION, now=now)
    assert exc.value.check == "D4"


def test_validate_path_rejects_overflowing_now() -> None:
    leaf = pki.issue(pki.name("OverflowLeaf"), pki.ec_key("p256", "ovl"), pki.root("OverflowRoot"))
    with pytest.raises(UsageError) as exc:
        x509path.validate_path(leaf.cert, [], [], OVERFLOWING[0], check="A3")
    assert exc.value.check == "D1"
