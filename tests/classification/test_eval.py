"""The labelled evaluation sets meet the issue's quality targets (fast: DuckDB + Presidio only).

eval/public/ (>= 150 columns from material no one here wrote: python-stdnum's vectors, Faker
zh_CN, phonenumbers' CN metadata, JR/T 0171-2020 field names) and the earlier 50-column set in
eval/, which must not lose anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from classification.catalog import classify_paths
from classification.policy import load_policy
from classification.quality import per_entity, score_catalog

EVAL = Path(__file__).parent / "eval"


def _score(folder: Path) -> dict:
    labels = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))
    catalog = classify_paths([str(folder / f"{t}.csv") for t in labels], "seed")
    return score_catalog(catalog, labels, load_policy("seed"))


@pytest.fixture(scope="module")
def public() -> dict:
    return _score(EVAL / "public")


def test_public_set_is_large_and_varied(public: dict) -> None:
    labels = yaml.safe_load((EVAL / "public" / "labels.yaml").read_text(encoding="utf-8"))
    entities = {e for cols in labels.values() for e in cols.values()}
    assert public["columns"] >= 150
    assert public["non_personal_columns"] >= 40 and public["c1_columns"] >= 30
    assert {"TRANSACTION_AMOUNT", "CREDIT_SCORE", "LICENSE_PLATE", "CN_USCC"} <= entities


def test_quality_targets_on_public_set(public: dict) -> None:
    assert public["c1_recall"] == 1.0, public["misses"]
    assert public["entity_accuracy"] >= 0.98, public["misses"]
    assert public["false_alarm_rate"] <= 0.02, public["misses"]


def test_no_loss_on_the_earlier_set() -> None:
    q = _score(EVAL)
    assert q["c1_recall"] == 1.0, q["misses"]
    assert q["entity_accuracy"] == 1.0, q["misses"]
    assert q["false_alarm_rate"] == 0.0, q["misses"]


def test_per_entity_precision_and_recall() -> None:
    pairs = [("A", "A"), ("A", "B"), ("B", "B"), ("NONE", "B")]
    got = per_entity(pairs)
    assert got["A"] == {"columns": 2, "precision": 1.0, "recall": 0.5}
    assert got["B"]["precision"] == pytest.approx(1 / 3) and got["B"]["recall"] == 1.0
