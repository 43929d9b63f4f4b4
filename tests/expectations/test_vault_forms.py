"""The protected-lake forms: display masks of the policy and tokens match; clear values do not."""

from __future__ import annotations

import re

import pytest

from classification.policy import load_policy
from expectations.suites.protected_vault import TOKEN_REGEX, mask_regex

MASKS = {n: e.display_mask for n, e in load_policy("seed").entities.items() if e.display_mask}


@pytest.mark.parametrize(
    ("entity", "value", "is_mask"),
    [
        ("CN_RESIDENT_ID", "110101********1234", True),
        ("CN_RESIDENT_ID", "E****123", True),  # a passport in the same column keeps less
        ("CN_RESIDENT_ID", "*********", True),  # too short to keep both ends: masked whole
        ("CN_RESIDENT_ID", "11010519491231002X", False),
        ("CN_RESIDENT_ID", "1101051949123*****02X", False),  # keeps more than 6 + 4
        ("CN_MOBILE", "138****5678", True),
        ("CN_MOBILE", "13812345678", False),
        ("BANK_CARD", "622202*********0128", True),
        ("BANK_CARD", "6222021234567890128", False),
        ("GEO_LOCATION", "39.9,116.4", True),
        ("GEO_LOCATION", "39.91234,116.40321", False),
        ("HEALTH", "***", True),
        ("HEALTH", "高血压", False),
    ],
)
def test_display_mask_forms(entity: str, value: str, is_mask: bool) -> None:
    assert bool(re.search(mask_regex(MASKS[entity]), value)) is is_mask


@pytest.mark.parametrize(
    ("value", "is_token"),
    [("ab" * 32, True), ("AB" * 32, False), ("ab" * 31, False), ("13812345678", False)],
)
def test_token_form(value: str, is_token: bool) -> None:
    assert bool(re.search(TOKEN_REGEX, value)) is is_token
