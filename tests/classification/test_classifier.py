"""Column decisions on tricky columns: opaque headers, chance Luhn matches, masks, prose,
headers."""

from __future__ import annotations

import random

import pytest

from classification.column_classifier import decide, header_evidence
from classification.recognizers.bank_card import luhn_valid
from classification.settings import classification_settings

rng = random.Random(7)


def _cards(n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        s = "62" + "".join(rng.choice("0123456789") for _ in range(14))
        if luhn_valid(s):
            out.append(s)
    return out


def test_opaque_header_classified_from_values() -> None:
    d = decide("col_a", _cards(200), "string")
    assert (d.entity, d.source) == ("BANK_CARD", "values")
    assert d.confidence >= 0.9 and d.match_ratio == 1.0


def test_random_16_digit_numbers_are_not_cards() -> None:
    values = [str(rng.randrange(10**15, 10**16)) for _ in range(500)]
    assert 0 < sum(luhn_valid(v) for v in values) < 100  # chance matches exist
    d = decide("ref_no", values, "string")
    assert d.entity == "NONE", d.reason


def test_masked_mobile_flagged_masked() -> None:
    d = decide("col_x", [f"13{i % 10}****{1000 + i:04d}" for i in range(100)], "string")
    assert d.entity == "CN_MOBILE" and d.masked


def test_prose_embedding_pii_is_free_text() -> None:
    values = ["物流太慢了，希望改进服务"] * 80 + ["请拨打13812345678联系我"] * 20
    assert decide("备注", values, "string").entity == "FREE_TEXT_PII"


def test_header_only_entity_for_numbers() -> None:
    d = decide("annual_income", ["120000.00", "56000.00"], "decimal")
    assert d.entity == "INCOME" and d.source == "header"


def test_header_contradicted_by_values_fails_closed() -> None:
    d = decide("mobile", ["active", "closed", "paid"] * 30, "string")
    assert d.entity == "UNCLASSIFIED"


def test_values_override_a_misleading_header() -> None:
    ids = ["11010519491231002X"] * 100
    d = decide("mobile", ids, "string")
    assert d.entity == "CN_RESIDENT_ID"


def test_customer_id_is_the_key() -> None:
    assert decide("customer_id", ["C1", "C2"], "string").entity == "CUSTOMER_ID"


@pytest.mark.parametrize(
    ("header", "entity"),
    [
        ("身份证号", "CN_RESIDENT_ID"),
        ("sfzh", "CN_RESIDENT_ID"),
        ("手机号码", "CN_MOBILE"),
        ("customer_mobile", "CN_MOBILE"),
        ("Bank Card No", "BANK_CARD"),
        ("col_a", None),
    ],
)
def test_header_lexicon(header: str, entity: str | None) -> None:
    ev = header_evidence(header, classification_settings())
    assert (ev.entity if ev else None) == entity


@pytest.mark.parametrize(
    ("header", "values", "entity"),
    [
        ("lat", ["39.9042", "31.2304"] * 20, "GEO_LOCATION"),
        (
            "password",
            ["5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"] * 20,
            "CREDENTIAL",
        ),
        ("credit_score", ["650", "720"] * 20, "CREDIT_SCORE"),
    ],
)
def test_header_decides_entities_values_cannot_show(
    header: str, values: list[str], entity: str
) -> None:
    d = decide(header, values, "string")
    assert (
        d.entity == entity
        and d.confidence >= classification_settings().thresholds.header_only_confidence
    )
