"""classify_batch over raw Parquet partitions: catalog keys, fail-closed drops, overrides,
history, reuse."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from classification.catalog import classify_batch, classify_paths
from classification.recognizers.bank_card import luhn_valid
from crmguard import stage_contracts
from crmguard.paths import layout
from crmguard.stage_contracts import ProtectionClass
from crmguard.warehouse import connect

KEYS = {
    "entity",
    "tier",
    "protection",
    "confidence",
    "masked",
    "sample_size",
    "match_ratio",
    "reason",
    "source",
    "new",
    "pipl_sensitive",
    "in_contract",
    "evidence",
}


def _cards(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        s = "62" + "".join(rng.choice("0123456789") for _ in range(16))
        if luhn_valid(s):
            out.append(s)
    return out


def _write_raw(source: str, batch: str, table: pa.Table) -> None:
    part = layout().raw_partition(source, batch)
    part.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, part / "part-0.parquet")


def _customers(n: int = 60, extra: bool = False) -> pa.Table:
    rng = random.Random(5)
    cols = {
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "mobile": [f"139{rng.randint(0, 10**8 - 1):08d}" for _ in range(n)],
        "bank_card_no": _cards(rng, n),
        "member_tier": [rng.choice(["gold", "silver"]) for _ in range(n)],
        "mystery": [
            rng.choice(["x1", "abc", "好的"]) if i % 2 else "13912345678" for i in range(n)
        ],
        "_source_file": ["customers.csv"] * n,
        "_source_line": list(range(2, n + 2)),
        "_batch_date": ["2026-01-05"] * n,
    }
    if extra:
        cols["wechat_id"] = [f"wx{i}" for i in range(n)]
    return pa.table(cols)


def _campaigns(n: int = 10) -> pa.Table:
    return pa.table({"campaign_id": [f"K{i}" for i in range(n)], "name": ["张伟"] * n})


@pytest.fixture
def raw_batch(crmguard_home: Path) -> str:
    _write_raw("customers", "2026-01-05", _customers())
    _write_raw("campaigns", "2026-01-05", _campaigns())
    return "2026-01-05"


def test_classify_batch_writes_catalog_and_history(raw_batch: str) -> None:
    summary = classify_batch(raw_batch)
    doc = json.loads(layout().catalog.read_text(encoding="utf-8"))
    assert doc["profile"] == "seed" and doc["batch_date"] == raw_batch
    cols = doc["tables"]["customers"]
    assert "_source_file" not in cols and set(cols["mobile"]) >= KEYS
    assert cols["bank_card_no"]["entity"] == "BANK_CARD" and cols["bank_card_no"]["tier"] == "C1"
    assert cols["bank_card_no"]["in_contract"] is False
    # the evidence that decided it: the header, the value share, their Luhn check
    evidence = cols["bank_card_no"]["evidence"]
    assert [e["kind"] for e in evidence][:3] == ["header", "values", "checksum"], evidence
    assert evidence[2]["share"] == 1.0 and "Luhn" in evidence[2]["detail"]
    assert cols["customer_id"]["protection"] == "token_key"
    assert cols["member_tier"]["entity"] == "NONE"
    # half the values are mobiles, half are not: ambiguous, so dropped (fail closed, DATA-02)
    assert cols["mystery"]["protection"] == "drop"
    assert "customers.mystery" in summary["dropped"]
    # the shipped override wins and says so
    name = doc["tables"]["campaigns"]["name"]
    assert (name["entity"], name["source"]) == ("NONE", "override") and "override" in name["reason"]
    assert name["evidence"][0]["kind"] == "override"
    con = connect()
    n1 = con.execute("select count(*) from governance.catalog_history").fetchone()[0]
    con.close()
    classify_batch(raw_batch)  # idempotent per batch_date
    con = connect()
    n2 = con.execute("select count(*) from governance.catalog_history").fetchone()[0]
    con.close()
    assert n1 == n2 == summary["columns"]


def test_catalog_on_disk_is_exactly_the_stage_contract(raw_batch: str) -> None:
    classify_batch(raw_batch)
    path = layout().catalog
    catalog = stage_contracts.read_catalog(path)
    assert catalog.tables["customers"]["mobile"].protection is ProtectionClass.VAULT_TOKEN_MASK
    assert catalog.batch_date == raw_batch and catalog.generated_at is not None
    # nothing written that the model does not carry, nothing the model adds
    assert stage_contracts.catalog_json(catalog) == path.read_text(encoding="utf-8")


def test_new_columns_flagged_and_unchanged_schema_reused(raw_batch: str) -> None:
    classify_batch(raw_batch)
    _write_raw("customers", "2026-01-06", _customers(extra=True))
    _write_raw("campaigns", "2026-01-06", _campaigns())
    summary = classify_batch("2026-01-06")
    doc = json.loads(layout().catalog.read_text(encoding="utf-8"))
    assert summary["new_columns"] == ["customers.wechat_id"]
    assert doc["tables"]["customers"]["wechat_id"]["new"] is True
    assert doc["tables"]["customers"]["mobile"]["new"] is False
    assert doc["tables"]["campaigns"]["campaign_id"]["reason"].startswith("reused: ")


def test_profiles_change_words_not_classes(raw_batch: str) -> None:
    part = layout().raw_partition("customers", raw_batch)
    seed = classify_paths([str(part)], "seed")["tables"]
    jrt = classify_paths([str(part)], "jrt0171")["tables"]
    for col, entry in seed[part.name].items():
        assert entry["protection"] == jrt[part.name][col]["protection"]
    assert jrt[part.name]["bank_card_no"]["tier"] != seed[part.name]["bank_card_no"]["tier"]


def test_missing_batch_is_a_clear_error(crmguard_home: Path) -> None:
    with pytest.raises(FileNotFoundError, match="batch_date=2030-01-01"):
        classify_batch("2030-01-01")


def test_record_keys_are_system_identifiers(crmguard_home: Path) -> None:
    """message_id values like M0000000001 look like Macao permits; the contract says key."""
    n = 50
    _write_raw(
        "marketing_messages",
        "2026-01-05",
        pa.table(
            {
                "message_id": [f"M{i:010d}" for i in range(1, n + 1)],
                "customer_id": [f"C{i:05d}" for i in range(n)],
                "permit_copy": [f"M{i:010d}" for i in range(1, n + 1)],
            }
        ),
    )
    classify_batch("2026-01-05")
    cols = json.loads(layout().catalog.read_text())["tables"]["marketing_messages"]
    assert cols["message_id"]["entity"] == "NONE"
    assert cols["message_id"]["source"] == "key"
    assert cols["customer_id"]["protection"] == "token_key"
    # the same values under a non-key header are still judged by their values
    assert cols["permit_copy"]["entity"] == "CN_TRAVEL_PERMIT"


def test_prose_with_a_few_embedded_mobiles_is_scrubbed(crmguard_home: Path) -> None:
    """3% of complaint texts carry a mobile: still FREE_TEXT_PII (a leak otherwise)."""
    n = 200
    texts = [
        f"客服电话一直无人接听 联系人王芳 电话139{i:08d}"
        if i % 33 == 0
        else "账单金额与实际消费不符"
        for i in range(n)
    ]
    _write_raw(
        "complaints",
        "2026-01-05",
        pa.table({"complaint_id": [f"Q{i}" for i in range(n)], "content": texts}),
    )
    classify_batch("2026-01-05")
    cols = json.loads(layout().catalog.read_text())["tables"]["complaints"]
    assert cols["content"]["entity"] == "FREE_TEXT_PII"


def test_changed_classifier_settings_reclassify(raw_batch: str, monkeypatch) -> None:
    """A catalog made under other thresholds or lexicon is never reused for an unchanged schema."""
    import classification.catalog as catalog

    classify_batch(raw_batch)
    monkeypatch.setattr(catalog, "classifier_sha256", lambda: "settings-changed")
    classify_batch(raw_batch)
    doc = json.loads(layout().catalog.read_text(encoding="utf-8"))
    assert doc["classifier_sha256"] == "settings-changed"
    reasons = [e["reason"] for cols in doc["tables"].values() for e in cols.values()]
    assert not any(r.startswith("reused: ") for r in reasons)
