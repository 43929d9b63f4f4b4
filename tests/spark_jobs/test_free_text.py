"""Free-text scrubbing through Presidio with our recognizers: recall on a labelled set."""

from __future__ import annotations

import random

import pytest
from faker import Faker
from pyspark.sql import SparkSession

from classification.policy import load_policy
from spark_jobs.protect.free_text import scrub_free_text, scrub_text, scrub_text_memo
from spark_jobs.protect.main import scrub_entities
from spark_jobs.protect.settings import protection_settings

pytestmark = pytest.mark.spark
pytest.importorskip("classification.engine", reason="classification engine not built yet")

TEMPLATES = [
    "客户来电，手机{mobile}，要求改地址",
    "请联系 {mobile} 送货，身份证{rid}",
    "退款到卡号{card}，持卡人已核实身份证号码：{rid}",
    "备用电话+86 {mobile}，周末勿扰",
    "账户{card}冻结，致电{mobile}确认",
]


def labelled_set(n: int = 60) -> list[tuple[str, list[str]]]:
    """(text, embedded C1 values) generated with valid check digits (Faker zh_CN)."""
    fake = Faker("zh_CN")
    Faker.seed(14)
    rng = random.Random(14)
    rows = []
    for i in range(n):
        values = {
            "mobile": fake.phone_number(),
            "rid": fake.ssn(),
            "card": fake.credit_card_number(card_type="visa"),
        }
        template = TEMPLATES[i % len(TEMPLATES)]
        text = template.format(**values)
        rows.append((text, [v for k, v in values.items() if "{" + k + "}" in template]))
    rng.shuffle(rows)
    return rows


def test_free_text_recall_and_prefilter(spark: SparkSession) -> None:
    labelled = labelled_set()
    clean = ["放门口即可", "周末送货", None]
    df = spark.createDataFrame(
        [(f"m{i}", t) for i, (t, _) in enumerate(labelled)]
        + [(f"c{i}", t) for i, t in enumerate(clean)]
        + [(f"d{i}", labelled[0][0]) for i in range(3)],  # one campaign text, many rows
        "message_id string, content string",
    )
    entities = scrub_entities(load_policy("seed"))
    out = {
        r["message_id"]: r["content"]
        for r in scrub_free_text(
            df, ["content"], entities, protection_settings().free_text
        ).collect()
    }
    assert len(out) == len(labelled) + len(clean) + 3
    assert {out[f"d{i}"] for i in range(3)} == {out["m0"]}
    total = found = 0
    for i, (_, values) in enumerate(labelled):
        for value in values:
            total += 1
            found += value not in out[f"m{i}"]
    assert found / total >= 0.98, f"recall {found}/{total}"
    assert "<CN_MOBILE>" in " ".join(v for v in out.values() if v)
    # values without candidates pass unchanged
    assert [out[f"c{i}"] for i in range(len(clean))] == clean


def test_repeated_values_are_scrubbed_once_per_worker() -> None:
    settings = protection_settings().free_text
    entities = tuple(sorted(scrub_entities(load_policy("seed"))))
    text = "客户来电，手机13800138000，要求改地址"
    scrub_text_memo.cache_clear()
    first = scrub_text_memo(text, entities, settings)
    again = scrub_text_memo(text, entities, settings)
    assert first == again == scrub_text(text, entities, settings)
    assert "13800138000" not in first
    info = scrub_text_memo.cache_info()
    assert (info.misses, info.hits) == (1, 1)
