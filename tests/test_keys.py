"""Key checks: ROCA fingerprint, RSA bounds, EC curves, the P7 issuer key bounds."""

from __future__ import annotations

import math
import random

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pki import ec_key, ed25519_key, rsa_key

from attestverify.errors import PolicyError
from attestverify.keys import check_ec_curve, check_rsa_key, has_roca_fingerprint, issuer_key_problem

# A published ROCA-positive 2048-bit modulus: crocs-muni/roca, roca/tests/data/mod03.txt
# (test vector of the authors' detector, MIT licence).
ROCA_MOD03 = int(
    "9dcd7420e420c270a68060eb8b5aa7457a9f6648f86fafed2775cc1f79ae962f1e63f1b9e51c55f9ea6fdc7332e9b005"
    "8c9ff2eb1fc89855029cf6aafe21e689feb38ac9ffb12f1ce371bb5d0e9aae64161abce74b4244bf68f1edb4411f756a"
    "097c8929c14740245ea355f8332d1aa36bb50c7dcb4505da8de02e4e53d38f8df06097da7524df0df93db48eac8cc4af"
    "2d3a16257eb2b2adca6ba464e5974fa92550d31b1babf161e7692d00b86e3dd886ecab4abfbe1a8f8cc263ff4af55cdb"
    "45f4249a5193925f5e983d762f0b6800943eb0267b08f42ed311ce1f5c86eacbc8ce4d3cb7a2fee1ef5641423a1cf411"
    "4e5ecf50034a60a412523af9e6f4aa11",
    16,
)

_SMALL_PRIMES = [p for p in range(2, 168) if all(p % d for d in range(2, math.isqrt(p) + 1))]


def roca_like_modulus(bits: int = 2048, seed: int = 1) -> int:
    """A modulus with the Infineon structure: (k*M + 65537^a mod M)(l*M + 65537^b mod M)."""
    rng = random.Random(seed)
    m = math.prod(_SMALL_PRIMES)
    half = bits // 2

    def part() -> int:
        return rng.getrandbits(half - m.bit_length()) * m + pow(65537, rng.randrange(1, 10**6), m)

    return part() * part()


def test_roca_published_vector() -> None:
    assert has_roca_fingerprint(ROCA_MOD03)


def test_roca_constructed_moduli() -> None:
    for seed in range(5):
        assert has_roca_fingerprint(roca_like_modulus(seed=seed))


def test_roca_negative() -> None:
    assert not has_roca_fingerprint(ROCA_MOD03 + 2)
    assert not has_roca_fingerprint(rsa_key(2048).public_key().public_numbers().n)
    assert not has_roca_fingerprint(0)
    assert not has_roca_fingerprint(-ROCA_MOD03)
    # A multiple of a tested prime is never in the subgroup (0 is not a power of 65537).
    assert not has_roca_fingerprint(3 * 5 * 7)


def test_roca_false_positive_rate_is_tiny() -> None:
    rng = random.Random(7)
    assert not any(has_roca_fingerprint(rng.getrandbits(2048) | 1) for _ in range(2000))


def test_check_rsa_key_accepts_good_key() -> None:
    check_rsa_key(rsa_key(2048).public_key(), check="S5", what="leaf key")


def test_check_rsa_key_roca() -> None:
    key = rsa.RSAPublicNumbers(65537, ROCA_MOD03).public_key()
    with pytest.raises(PolicyError) as exc:
        check_rsa_key(key, check="S5", what="leaf key")
    assert exc.value.code == "policy"
    assert exc.value.check == "S5"
    assert "ROCA" in exc.value.message


@pytest.mark.parametrize("bits", [1024, 8192])
def test_check_rsa_key_size(bits: int) -> None:
    n = rsa_key(2048).public_key().public_numbers().n
    n = n | (1 << (bits - 1)) if bits > 2048 else n >> (2048 - bits) | 1
    with pytest.raises(PolicyError) as exc:
        check_rsa_key(rsa.RSAPublicNumbers(65537, n).public_key(), check="T6", what="AK")
    assert exc.value.check == "T6"


# cryptography itself refuses even exponents and e >= n when building the key object.
@pytest.mark.parametrize("exponent", [(1 << 32) + 1, (1 << 1000) + 1])
def test_check_rsa_key_exponent(exponent: int) -> None:
    n = rsa_key(2048).public_key().public_numbers().n
    with pytest.raises(PolicyError) as exc:
        check_rsa_key(rsa.RSAPublicNumbers(exponent, n).public_key(), check="S5", what="leaf key")
    assert exc.value.check == "S5"


def test_check_rsa_key_exponent_bounds_inclusive() -> None:
    n = rsa_key(2048).public_key().public_numbers().n
    for exponent in (3, (1 << 32) - 1):
        check_rsa_key(rsa.RSAPublicNumbers(exponent, n).public_key(), check="S5", what="leaf key")


def test_check_rsa_key_not_rsa() -> None:
    with pytest.raises(PolicyError) as exc:
        check_rsa_key(ec_key().public_key(), check="S5", what="leaf key")
    assert exc.value.check == "S5"


def test_check_ec_curve() -> None:
    check_ec_curve(ec_key("p256").public_key(), {"secp256r1"}, check="S5", what="leaf key")
    for key in (ec_key("p384").public_key(), ec_key("k256").public_key(), ed25519_key().public_key()):
        with pytest.raises(PolicyError) as exc:
            check_ec_curve(key, {"secp256r1"}, check="S5", what="leaf key")
        assert exc.value.check == "S5"


def test_issuer_key_problem() -> None:
    assert issuer_key_problem(rsa_key(2048).public_key()) is None
    assert issuer_key_problem(ec_key("p256").public_key()) is None
    assert issuer_key_problem(ec_key("p384").public_key()) is None
    assert issuer_key_problem(ec_key("p521").public_key()) is None
    n = rsa_key(2048).public_key().public_numbers().n
    assert issuer_key_problem(rsa.RSAPublicNumbers((1 << 2000) + 1, n).public_key()) is not None
    assert issuer_key_problem(rsa_key(1024).public_key()) is not None
    assert issuer_key_problem(ec_key("k256").public_key()) is not None
    assert issuer_key_problem(ed25519_key().public_key()) is not None
    assert issuer_key_problem(None) is not None
