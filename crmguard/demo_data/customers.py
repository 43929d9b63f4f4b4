"""The customers source: Faker zh_CN names and addresses, checksum-valid identity numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker
from faker.providers.ssn.zh_CN import Provider as ZhSsnProvider

from crmguard.demo_data import values
from crmguard.demo_data.profile import DemoDataProfile

DAY = 86_400
# county-level area codes only (prefecture/province codes end in 00)
_AREA_CODES = [c for c in ZhSsnProvider.area_codes if not c.endswith("00")]
_ALNUM = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))


@dataclass
class CustomerBase:
    """Per-customer facts other sources need (small numpy arrays, one slot per customer)."""

    count: int
    batch_start: int  # batch date 00:00 Asia/Shanghai wall clock, epoch seconds
    created_at: np.ndarray
    updated_at: np.ndarray
    birth_day: np.ndarray  # days since epoch
    region: np.ndarray
    tier: np.ndarray
    closed: np.ndarray
    # customers whose PIPL-sensitive columns hold values (set once consents are known)
    sensitive_filled: np.ndarray | None = None
    # extra (planted) customers column -> which customers have a value in it
    extra_fill: dict[str, np.ndarray] | None = None


def customer_base(
    profile: DemoDataProfile,
    mainland: list[str],
    n: int,
    batch_start: int,
    rng: np.random.Generator,
    minimum_age: int,
) -> CustomerBase:
    p = profile.customers
    history = profile.history_years * 365 * DAY
    created = batch_start - rng.integers(2 * DAY, history, size=n)
    # updated strictly after created and before the batch date
    updated = created + 1 + (rng.random(n) * (batch_start - created - 2)).astype(np.int64)
    age = np.clip(rng.normal(p.age.mean, p.age.sd, n), p.age.min, p.age.max)
    birth_day = batch_start // DAY - (age * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    # nobody is under the guardian-consent age when the account is created (CONS-02): minors
    # appear only where a planter puts them
    birth_day = np.minimum(birth_day, created // DAY - (minimum_age * 366 + 1))
    # every record is stored in a mainland region (DATA-03); offshore ones are planted
    regions = {r: 1.0 for r in mainland}
    return CustomerBase(
        count=n,
        batch_start=batch_start,
        created_at=created,
        updated_at=updated,
        birth_day=birth_day,
        region=values.weighted_choice(rng, regions, n),
        tier=values.weighted_choice(rng, p.member_tier_weights, n),
        closed=rng.random(n) < p.closed_share,
    )


def identity_numbers(
    id_types: np.ndarray, birth: list[str], male: np.ndarray, rng: np.random.Generator
) -> list[str]:
    """id_number per id_type; resident IDs carry the birth date, sex digit and a valid check."""
    n = len(id_types)
    areas = np.array(_AREA_CODES)[rng.integers(0, len(_AREA_CODES), n)].tolist()
    seq = rng.integers(0, 100, n)
    sex = rng.integers(0, 5, n) * 2 + male.astype(np.int64)  # odd digit for men
    bodies = [
        f"{a}{b.replace('-', '')}{s:02d}{x}"
        for a, b, s, x in zip(areas, birth, seq.tolist(), sex.tolist(), strict=True)
    ]
    resident = values.resident_ids(bodies)
    eight = values.digit_strings(rng, n, 8)
    letters = rng.choice(np.array(["E", "G"]), n).tolist()
    permit = ["".join(r) for r in _ALNUM[rng.integers(0, len(_ALNUM), (n, 8))].tolist()]
    out = []
    for i, kind in enumerate(id_types.tolist()):
        if kind == "RESIDENT_ID":
            out.append(resident[i])
        elif kind == "PASSPORT":
            out.append(letters[i] + eight[i])
        elif kind == "HK_MACAO_PERMIT":
            out.append("C" + permit[i])
        else:
            out.append(eight[i])
    return out


def customer_chunk(
    base: CustomerBase,
    profile: DemoDataProfile,
    faker: Faker,
    rng: np.random.Generator,
    start: int,
    stop: int,
    sensitive_columns: list[str] | tuple[str, ...] = (),
    extra_columns: list[str] | tuple[str, ...] = (),
) -> dict[str, list[str]]:
    """Rows [start, stop) of customers.csv, extra columns included, as raw values.

    PIPL-sensitive columns hold values only for customers with a sensitive_pi consent in force
    (CONS-03); marital_status and children_info (no declared purpose, DATA-01) stay empty.
    """
    p = profile.customers
    n = stop - start
    sl = slice(start, stop)
    gender = values.weighted_choice(rng, p.gender_weights, n)
    birth = values.dates(base.birth_day[sl])
    id_types = values.weighted_choice(rng, p.id_type_weights, n)
    prefixes = np.array(p.mobile_prefixes)[rng.integers(0, len(p.mobile_prefixes), n)]
    mobiles = [
        f"{a}{b}" for a, b in zip(prefixes.tolist(), values.digit_strings(rng, n, 8), strict=True)
    ]
    users = values.hex_strings(rng, n, 4)
    domains = values.pick(rng, p.email_domains, n)
    cities = np.array(profile.gps_cities)[rng.integers(0, len(profile.gps_cities), n)]
    lat = cities[:, 0] + rng.normal(0, 0.15, n)
    lng = cities[:, 1] + rng.normal(0, 0.15, n)
    score = np.clip(rng.normal(p.credit_score.mean, p.credit_score.sd, n), 350, 950)
    income = np.exp(rng.normal(p.annual_income_log.mean, p.annual_income_log.sd, n))
    closed = base.closed[sl]
    bins = np.array(p.unionpay_bins)[rng.integers(0, len(p.unionpay_bins), n)].tolist()
    cards = values.luhn_complete(
        [f"{b}{d}" for b, d in zip(bins, values.digit_strings(rng, n, 12), strict=True)]
    )
    wechat = ["wxid_" + h for h in values.hex_strings(rng, n, 5)]
    # an in-house attribute code: 11 digits, some of which happen to read like mobile numbers
    # and most not, so no recogniser can name the column (DATA-02 planting)
    tail = values.digit_strings(rng, n, 10)
    mobile_like = (rng.random(n) < 0.4).tolist()
    # fresh digits, never a customer's own number
    codes = [
        (d[:1] + "3" + d[1:] if like else "9" + d)[:11]
        for d, like in zip(tail, mobile_like, strict=True)
    ]
    codes = ["1" + c[1:] if like else c for c, like in zip(codes, mobile_like, strict=True)]
    updated = values.timestamps(base.updated_at[sl], rng, profile.offset_timestamp_share)
    cols = {
        "customer_id": values.prefixed_ids("C", start, stop, 8),
        "name": [faker.name() for _ in range(n)],
        "id_type": id_types.tolist(),
        "id_number": identity_numbers(id_types, birth, gender == "男", rng),
        "mobile": mobiles,
        "email": [f"{u}@{d}" for u, d in zip(users, domains, strict=True)],
        "address": [faker.address() for _ in range(n)],
        "birth_date": birth,
        "gender": gender.tolist(),
        "marital_status": [""] * n,
        "children_info": [""] * n,
        "gps_location": [
            f"{a:.5f},{b:.5f}" for a, b in zip(lat.tolist(), lng.tolist(), strict=True)
        ],
        "credit_score": score.astype(np.int64).astype(str).tolist(),
        "annual_income": values.money((income * 100).astype(np.int64)),
        "member_tier": base.tier[sl].tolist(),
        "storage_region": base.region[sl].tolist(),
        "created_at": values.timestamps(base.created_at[sl], rng, profile.offset_timestamp_share),
        "updated_at": updated,
        "status": np.where(closed, "closed", "active").tolist(),
        # closing a customer is its last update
        "closed_at": [u if c else "" for u, c in zip(updated, closed.tolist(), strict=True)],
        "bank_card_no": cards,
        "wechat_id": wechat,
    }
    cols[profile.violations.data_02_column] = codes
    filled = base.sensitive_filled[sl].tolist() if base.sensitive_filled is not None else [1] * n
    for column in sensitive_columns:
        cols[column] = [v if f else "" for v, f in zip(cols[column], filled, strict=True)]
    for column in extra_columns:
        fill = (base.extra_fill or {}).get(column)
        if fill is not None:
            keep = fill[sl].tolist()
            cols[column] = [v if f else "" for v, f in zip(cols[column], keep, strict=True)]
    return cols
