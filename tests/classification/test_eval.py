"""The labelled evaluation set (eval/*.csv, eval/labels.yaml) meets the issue's quality targets."""

from __future__ import annotations

from pathlib import Path

import yaml

from classification.catalog import classify_paths
from classification.policy import load_policy
from classification.quality import score_catalog

EVAL = Path(__file__).parent / "eval"


def test_quality_targets_on_labelled_set() -> None:
    labels = yaml.safe_load((EVAL / "labels.yaml").read_text(encoding="utf-8"))
    catalog = classify_paths([str(EVAL / f"{t}.csv") for t in labels], "seed")
    q = score_catalog(catalog, labels, load_policy("seed"))
    assert q["c1_recall"] == 1.0, q["misses"]
    assert q["entity_accuracy"] >= 0.97, q["misses"]
    assert q["false_alarm_rate"] <= 0.05, q["misses"]
