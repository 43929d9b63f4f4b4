"""Vectorised value builders for the demo exports: identity numbers, timestamps, money, hashes."""

from __future__ import annotations

import numpy as np

# GB 11643 resident-ID check: ISO 7064 MOD 11-2 weights and check characters
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def resident_id_check(body17: str) -> str:
    """Check character of a 17-digit resident-ID body."""
    total = sum(int(d) * int(w) for d, w in zip(body17, _ID_WEIGHTS, strict=True))
    return str(_ID_CHECK[total % 11])


def resident_ids(bodies: list[str]) -> list[str]:
    """Append the MOD 11-2 check character to 17-digit bodies (vectorised)."""
    if not bodies:
        return []
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    checks = _ID_CHECK[(digits.astype(np.int64) @ _ID_WEIGHTS) % 11]
    return [b + c for b, c in zip(bodies, checks.tolist(), strict=True)]


def luhn_complete(bodies: list[str]) -> list[str]:
    """Append the Luhn check digit to equal-length digit strings (bank card numbers)."""
    if not bodies:
        return []
    width = len(bodies[0])
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    digits = digits.astype(np.int64) - 48
    # double every second digit counting from the right of the full number (check digit last)
    doubled = digits.copy()
    doubled[:, width - 1 :: -2] *= 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    checks = (10 - doubled.sum(axis=1) % 10) % 10
    return [b + str(c) for b, c in zip(bodies, checks.tolist(), strict=True)]


def digit_strings(rng: np.random.Generator, n: int, width: int) -> list[str]:
    """n random digit strings of a fixed width."""
    if n == 0:
        return []
    raw = rng.integers(48, 58, size=n * width, dtype=np.uint8).tobytes().decode("ascii")
    return [raw[i : i + width] for i in range(0, n * width, width)]


def hex_strings(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    """n random lower-case hex strings of ``nbytes`` bytes (hash-like values)."""
    raw = rng.bytes(n * nbytes).hex()
    w = 2 * nbytes
    return [raw[i : i + w] for i in range(0, n * w, w)]


def timestamps(
    seconds: np.ndarray,
    rng: np.random.Generator,
    offset_share: float,
    present: np.ndarray | None = None,
) -> list[str]:
    """ISO-8601 strings from Asia/Shanghai wall-clock seconds; some with +08:00; absent: ''."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    with_offset = rng.random(len(seconds)) < offset_share
    text = np.where(with_offset, np.strings.add(text, "+08:00"), text)
    if present is not None:
        text = np.where(present, text, "")
    return text.tolist()


def dates(days: np.ndarray) -> list[str]:
    """ISO dates from days since 1970-01-01."""
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").tolist()


def money(cents: np.ndarray, present: np.ndarray | None = None) -> list[str]:
    """CNY amounts with two decimals from integer cents."""
    out = [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]
    if present is not None:
        out = [v if p else "" for v, p in zip(out, present.tolist(), strict=True)]
    return out


def weighted_choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """n labels drawn with the given (normalised) weights."""
    labels = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return labels[rng.choice(len(labels), size=n, p=p / p.sum())]


def pick(rng: np.random.Generator, pool: list[str], n: int) -> list[str]:
    """n values drawn uniformly from a pool."""
    return np.array(pool, dtype=object)[rng.integers(0, len(pool), size=n)].tolist()


def prefixed_ids(prefix: str, start: int, stop: int, width: int) -> list[str]:
    """Keys like ``C00000001`` for the 0-based row range [start, stop)."""
    return [f"{prefix}{i:0{width}d}" for i in range(start + 1, stop + 1)]
