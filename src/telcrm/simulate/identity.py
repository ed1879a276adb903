"""Who the synthetic people and companies are: numbers, ID numbers, names and addresses.

Every identifier must pass the validators in ``telcrm.core.validators`` (the tests check
each one), because the importer rejects a row that does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm.core.validators import MOBILE_PREFIXES, uscc_check_char
from telcrm.simulate import vocab
from telcrm.simulate.columns import digits, join, pick

CM_PREFIXES = MOBILE_PREFIXES["china_mobile"]
_NUMBER_SPACE = len(CM_PREFIXES) * 10**8

# GB 11643 / ISO 7064 MOD 11-2: weight of position i (1-based, of 18) is 2^(18-i) mod 11;
# the check character makes the weighted sum 1 mod 11.
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], np.int64)
_ID_CHECK = np.array(list("10X98765432"))


@dataclass(frozen=True)
class NumberPlan:
    """A bijection from a line's sequence number to a China Mobile number.

    Phone numbers are never reused (issue 2), so no set of issued numbers has to be kept
    across chunks: line ``i`` gets ``(a*i + b) mod space``, which is one-to-one because
    ``a`` is coprime with the size of the space (24 prefixes x 10^8); the suffix is then
    shuffled within its prefix so consecutive lines do not look consecutive.
    """

    a: int
    b: int
    c: int
    d: int

    @classmethod
    def from_rng(cls, rng: np.random.Generator) -> NumberPlan:
        a = int(rng.integers(_NUMBER_SPACE // 3, _NUMBER_SPACE))
        while a % 2 == 0 or a % 3 == 0 or a % 5 == 0:  # coprime with 2^11 * 3 * 5^8
            a += 1
        c = int(rng.integers(10**7, 10**8)) | 1
        while c % 5 == 0:
            c += 2
        return cls(a, int(rng.integers(0, _NUMBER_SPACE)), c, int(rng.integers(0, 10**8)))

    def numbers(self, index: np.ndarray) -> pa.Array:
        x = (np.asarray(index, np.int64) * self.a + self.b) % _NUMBER_SPACE
        prefix, suffix = np.divmod(x, 10**8)
        suffix = (suffix * self.c + self.d) % 10**8  # c odd, not a multiple of 5: bijective
        return join(pick(CM_PREFIXES, prefix), digits(suffix, 8))


def id_numbers(area: np.ndarray, birth_days: np.ndarray, seq: np.ndarray) -> pa.Array:
    """18-character resident ID numbers: area code, birth date, sequence, check character.

    The sequence's last digit is odd for men (GB 11643), so callers pass ``seq`` with the
    parity of the gender already set.
    """
    day = np.asarray(birth_days, np.int64).astype("datetime64[D]")
    months = day.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    ymd_int = (
        (years.astype(np.int64) + 1970) * 10_000
        + (months - years.astype("datetime64[M]")).astype(np.int64) * 100 + 100
        + (day - months.astype("datetime64[D]")).astype(np.int64) + 1
    )
    first17 = np.asarray(area, np.int64) * 10**11 + ymd_int * 1000 + np.asarray(seq, np.int64)
    rest, total = first17.copy(), np.zeros(len(first17), np.int64)
    for weight in _ID_WEIGHTS[::-1]:
        rest, digit = np.divmod(rest, 10)
        total += digit * weight
    return join(digits(first17, 17), pa.array(_ID_CHECK[total % 11]))


def uscc(rng: np.random.Generator, area_codes: list[str]) -> list[str]:
    """Unified Social Credit Codes (GB 32100): 9 enterprise, 1 company, division, body."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    codes = []
    for area, body in zip(area_codes, rng.integers(0, len(alphabet), (len(area_codes), 9)), strict=True):
        first17 = "91" + area + "".join(alphabet[i] for i in body)
        codes.append(first17 + uscc_check_char(first17))
    return codes


def person_names(rng: np.random.Generator, male: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Chinese names (surname, then one or two given characters) and the surname index."""
    n = len(male)
    surname = rng.choice(len(vocab.SURNAMES), n, p=vocab.SURNAME_WEIGHTS)
    pools = (vocab.GIVEN_FEMALE, vocab.GIVEN_MALE)
    first = [pick(pool, rng.integers(0, len(pool), n)) for pool in pools]
    second = [pick(pool, rng.integers(0, len(pool), n)) for pool in pools]
    two = pa.array(rng.random(n) < vocab.TWO_CHAR_GIVEN_SHARE)
    male_a = pa.array(male)
    given1 = pc.if_else(male_a, first[1], first[0])
    given2 = pc.if_else(two, pc.if_else(male_a, second[1], second[0]), "")
    return join(pick([s for s, _ in vocab.SURNAMES], surname), given1, given2), surname


@dataclass(frozen=True)
class Address:
    """An address in parts, so a duplicate registration can write it slightly differently."""

    district: pa.Array
    street: pa.Array
    lane: np.ndarray
    building: np.ndarray
    room: np.ndarray

    def text(self, city: bool = True, room: bool = True) -> pa.Array:
        parts: list[pa.Array | str] = ["上海市"] if city else []
        parts += [self.district, self.street, digits(self.lane, 1), "弄", digits(self.building, 1), "号"]
        if room:
            parts += [digits(self.room, 3), "室"]
        return join(*parts)


def addresses(rng: np.random.Generator, region: np.ndarray) -> Address:
    """Residential addresses in the customer's district ("上海市浦东新区张杨路123弄4号501室")."""
    n = len(region)
    streets = [f"{d.name}\t{s}" for d in vocab.DISTRICTS for s in d.streets]
    offsets = np.cumsum([0] + [len(d.streets) for d in vocab.DISTRICTS])
    counts = np.diff(offsets)
    street_idx = offsets[region] + (rng.random(n) * counts[region]).astype(np.int64)
    pair = pc.split_pattern(pick(streets, street_idx), "\t")
    floor, flat = rng.integers(1, 19, n), rng.integers(1, 7, n)
    return Address(
        district=pc.list_element(pair, 0),
        street=pc.list_element(pair, 1),
        lane=rng.integers(1, 1500, n),
        building=rng.integers(1, 60, n),
        room=floor * 100 + flat,
    )


def emails(rng: np.random.Generator, msisdn: pa.Array, surname: np.ndarray) -> pa.Array:
    """Mailboxes: the 139.com box named by the phone number, QQ numbers, or pinyin."""
    n = len(msisdn)
    kind = rng.choice(3, n, p=[0.35, 0.40, 0.25])
    qq = join(digits(rng.integers(10**5, 10**10, n), 5), "@qq.com")
    own = join(msisdn, "@139.com")
    domain = pick(vocab.EMAIL_DOMAINS[2:], rng.integers(0, 3, n))
    pinyin = join(
        pick([p for _, p in vocab.SURNAMES], surname), digits(rng.integers(1, 9999, n), 2), "@", domain
    )
    return pc.if_else(pa.array(kind == 0), own, pc.if_else(pa.array(kind == 1), qq, pinyin))
