"""Classification quality against a labelled set: entity accuracy, C1 column recall, false
alarms, per-entity precision and recall, and the confusion pairs."""

from __future__ import annotations

from collections import Counter

from classification.policy import Policy
from crmguard.stage_contracts import ProtectionClass


def score_catalog(catalog: dict, labels: dict[str, dict[str, str]], policy: Policy) -> dict:
    """Compare a catalog's entities with expected ones (labels: table -> column -> entity)."""
    total = correct = c1 = c1_caught = non_personal = false_alarms = 0
    misses: list[str] = []
    pairs: list[tuple[str, str]] = []
    for table, cols in labels.items():
        for col, expected in cols.items():
            got = catalog["tables"][table][col]
            total += 1
            pairs.append((expected, got["entity"]))
            if got["entity"] == expected:
                correct += 1
            else:
                misses.append(f"{table}.{col}: expected {expected}, got {got['entity']}")
            if policy.protection_of(expected) == ProtectionClass.VAULT_TOKEN_MASK:
                c1 += 1
                # a C1 column is caught when it is vault-protected or dropped (never passed on)
                c1_caught += got["protection"] in (
                    ProtectionClass.VAULT_TOKEN_MASK,
                    ProtectionClass.DROP,
                )
            if expected == "NONE":
                non_personal += 1
                false_alarms += got["entity"] != "NONE"
    return {
        "columns": total,
        "entity_accuracy": correct / total if total else 0.0,
        "c1_columns": c1,
        "c1_recall": c1_caught / c1 if c1 else 1.0,
        "non_personal_columns": non_personal,
        "false_alarm_rate": false_alarms / non_personal if non_personal else 0.0,
        "misses": misses,
        "per_entity": per_entity(pairs),
        "confusion": sorted(Counter((e, g) for e, g in pairs if e != g).items()),
    }


def per_entity(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float | int]]:
    """Precision and recall of each entity over (expected, got) column pairs."""
    out: dict[str, dict[str, float | int]] = {}
    for entity in sorted({e for pair in pairs for e in pair}):
        tp = sum(1 for e, g in pairs if e == entity and g == entity)
        fp = sum(1 for e, g in pairs if e != entity and g == entity)
        fn = sum(1 for e, g in pairs if e == entity and g != entity)
        out[entity] = {
            "columns": tp + fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
        }
    return out
