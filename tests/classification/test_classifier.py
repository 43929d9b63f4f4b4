"""Column decisions on tricky columns: opaque headers, chance Luhn matches, masks, prose,
headers."""

from __future__ import annotations

import random

import pytest

from classification.column_classifier import decide, header_evidence
from classification.policy import load_policy
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
    assert d.entity == "INCOME" and d.source == "values+header"


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


def _timestamps(n: int, fmt: str) -> list[str]:
    return [
        fmt.format(d=1 + i % 28, h=i % 24, m=i % 60, f=f"{rng.randrange(10**6):06d}")
        for i in range(n)
    ]


@pytest.mark.parametrize(
    "fmt",
    [
        "2026-11-{d:02d} {h:02d}:{m:02d}:07.{f}",
        "2026-11-{d:02d}T{h:02d}:{m:02d}:07.{f}+08:00",
        "2026/11/{d:02d} {h:02d}:{m:02d}:07 +0800",
        "2026-11-{d:02d} {h:02d}:{m:02d}:07.{f}Z",
    ],
)
def test_timestamps_are_never_free_text(fmt: str) -> None:
    """The date inside a timestamp is an embedded hit; a timestamp column is still not prose."""
    d = decide("sent_at", _timestamps(120, fmt), "string")
    assert d.entity == "NONE", d.reason
    assert "timestamp" in d.reason and any(e["kind"] == "shape" for e in d.evidence)


def test_decimal_and_enumeration_columns_are_never_prose() -> None:
    decimals = [f"{rng.randrange(10**5)}.{rng.randrange(100):02d}" for _ in range(100)]
    assert decide("price_note", decimals, "string").entity == "NONE"
    d = decide("flag", ["待审 A", "通过 B", "退回 C"] * 40, "string")
    assert d.entity == "NONE" and "enumeration" in d.reason, d.reason
    # an enumeration's embedded mobile is still a leak: it fails closed as free text
    leak = decide("flag", ["请拨打13812345678联系", "通过 B", "退回 C"] * 40, "string")
    assert leak.entity == "FREE_TEXT_PII", leak.reason


def test_date_shape_admits_only_birth_dates() -> None:
    """A value hit counts only for an entity the column's shape admits."""
    dates = [f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}" for i in range(100)]
    assert decide("csrq", dates, "string").entity == "DATE_OF_BIRTH"
    d = decide("shipped_on", dates, "string")
    assert d.entity == "NONE" and "date" in d.reason


AMOUNTS = [f"{rng.randrange(1, 10**6)}.{rng.randrange(100):02d}" for _ in range(150)]
SCORES = [str(rng.randrange(350, 951)) for _ in range(150)]


@pytest.mark.parametrize(
    ("header", "values", "entity"),
    [
        ("amount", AMOUNTS, "TRANSACTION_AMOUNT"),
        ("金额", AMOUNTS, "TRANSACTION_AMOUNT"),
        ("jine", AMOUNTS, "TRANSACTION_AMOUNT"),
        ("je", AMOUNTS, "TRANSACTION_AMOUNT"),
        ("txn_amt", [f"¥{a}" for a in AMOUNTS], "TRANSACTION_AMOUNT"),
        ("Credit Score", SCORES, "CREDIT_SCORE"),
        ("信用评分", SCORES, "CREDIT_SCORE"),
        ("xinyongpingfen", SCORES, "CREDIT_SCORE"),
        ("xypf", SCORES, "CREDIT_SCORE"),
        ("monthly_income", AMOUNTS, "INCOME"),
        ("月收入", AMOUNTS, "INCOME"),
        ("账户余额", AMOUNTS, "ACCOUNT_BALANCE"),
        ("zhye", AMOUNTS, "ACCOUNT_BALANCE"),
        ("授信额度", AMOUNTS, "CREDIT_LIMIT"),
        ("credit_limit", AMOUNTS, "CREDIT_LIMIT"),
    ],
)
def test_financial_header_and_shape_make_c2(header: str, values: list[str], entity: str) -> None:
    d = decide(header, values, "string")
    assert d.entity == entity, d.reason
    assert load_policy("seed").tier_of(d.entity) == "C2"
    assert {e["kind"] for e in d.evidence} >= {"header", "shape"}


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("credit_score", ["AAA", "BB+", "A-"] * 40),  # grades, not a bounded integer score
        ("credit_score", [str(rng.randrange(2000, 9000)) for _ in range(100)]),
        ("amount", [f"{rng.random() * 10:.4f}" for _ in range(100)]),  # rates, not money
    ],
)
def test_financial_header_contradicted_by_shape_fails_closed(
    header: str, values: list[str]
) -> None:
    d = decide(header, values, "string")
    assert d.entity == "UNCLASSIFIED" and "only" in d.reason, d.reason


@pytest.mark.parametrize("values", [AMOUNTS, SCORES])
def test_bare_numbers_without_header_stay_c3_and_say_why(values: list[str]) -> None:
    d = decide("col_17", values, "string")
    assert d.entity == "NONE" and "without a financial header" in d.reason, d.reason


def test_evidence_names_header_value_share_and_checksum() -> None:
    ids = ["360426199101010071", "44011320141005001x", "11010519491231002X"] * 30
    d = decide("证件号码", ids, "string")
    assert d.entity == "CN_RESIDENT_ID"
    kinds = [e["kind"] for e in d.evidence]
    assert kinds[0] == "header" and "values" in kinds and "checksum" in kinds
    checksum = next(e for e in d.evidence if e["kind"] == "checksum")
    assert checksum["share"] == 1.0 and "GB 11643" in checksum["detail"]
    assert d.as_dict()["evidence"] == d.evidence


def test_financial_vocabulary_and_shapes_are_config() -> None:
    """A term added to the YAML lexicon, or a narrower shape, changes the decision."""
    settings = classification_settings()
    assert decide("qqje", AMOUNTS, "string", settings).entity == "NONE"
    lexicon = dict(settings.header_lexicon)
    lexicon["TRANSACTION_AMOUNT"] = [*lexicon["TRANSACTION_AMOUNT"], "qqje"]
    wider = settings.model_copy(update={"header_lexicon": lexicon})
    assert decide("qqje", AMOUNTS, "string", wider).entity == "TRANSACTION_AMOUNT"
    shapes = settings.financial_shapes
    score = shapes.entities["CREDIT_SCORE"].model_copy(update={"max": 500})
    narrower = settings.model_copy(
        update={
            "financial_shapes": shapes.model_copy(
                update={"entities": {**shapes.entities, "CREDIT_SCORE": score}}
            )
        }
    )
    assert decide("xypf", SCORES, "string", narrower).entity == "UNCLASSIFIED"
