"""The raw-C1 shape checks: check digits decide, masks, tokens and near-misses never match."""

from __future__ import annotations

import pandas as pd
import pytest

from expectations.c1_shapes import holds_no_raw_c1, raw_c1_kinds
from tests.expectations.warehouse_fixture import (
    NEAR_MISSES,
    RAW_MOBILE,
    VALID_CARD,
    VALID_RESIDENT_ID,
)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (VALID_RESIDENT_ID, ["resident_id"]),
        ("身份证 110105 19491231 002x 请核对", ["resident_id"]),
        (VALID_CARD, ["bank_card"]),
        ("卡号 4111 1111 1111 1111", ["bank_card"]),
        (RAW_MOBILE, ["mobile"]),
        ("回电+86 138-1234-5678谢谢", ["mobile"]),
        ("全角１３８１２３４５６７８", ["mobile"]),
    ],
)
def test_clear_identifiers_are_found(text: str, kinds: list[str]) -> None:
    assert raw_c1_kinds(text) == kinds


@pytest.mark.parametrize("text", [*NEAR_MISSES, None, "", "普通文本 2026-11-20 12:00"])
def test_near_misses_are_not_identifiers(text: str | None) -> None:
    assert raw_c1_kinds(text) == []


def test_series_condition_flags_only_the_leaking_values() -> None:
    values = pd.Series([*NEAR_MISSES, VALID_RESIDENT_ID, None, f"call {RAW_MOBILE}"])
    flags = holds_no_raw_c1(values)
    assert flags.tolist() == [True] * len(NEAR_MISSES) + [False, True, False]
