"""A small raw batch, its catalog and a development keyring under a throwaway data root."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from crmguard import key_store
from crmguard.paths import layout

BATCH = "2026-03-01"


CUSTOMERS = [
    # customer_id, name, id_number, mobile, email, address, birth_date, gps, credit, income, secret
    (
        "C001",
        "张三",
        "110101199003071234",
        "13800138000",
        "alice@qq.com",
        "广东省深圳市南山区科技园1号",
        dt.date(1990, 3, 7),
        "22.543096,114.057865",
        610,
        Decimal("120000.00"),
        "x1",
    ),
    (
        "C002",
        "李四",
        "44030519850101002X",
        "+86 139-0013-9000",
        "Bob@163.com",
        "北京市朝阳区建国路88号",
        dt.date(1985, 1, 1),
        "39.908722,116.397499",
        720,
        Decimal("45000.00"),
        "x2",
    ),
    (
        "C003",
        "欧阳娜娜",
        "110101800307123",
        "0086 13700137000",
        None,
        "浙江省杭州市西湖区",
        dt.date(1980, 3, 7),
        None,
        340,
        None,
        "x3",
    ),
]
ORDERS = [
    ("O1", "C001", Decimal("99.00"), "请联系13800138000送货"),
    ("O2", "C002", Decimal("1200.00"), "放门口"),
    ("O3", "Ｃ００１", Decimal("5.50"), None),
]


def _entry(entity: str, tier: str, protection: str, confidence: float = 0.95) -> dict:
    return {"entity": entity, "tier": tier, "protection": protection, "confidence": confidence}


CATALOG = {
    "profile": "seed",
    "policy_version": "2026.1",
    "policy_sha256": "test",
    "generated_at": "2026-03-01T00:00:00Z",
    "batch_date": BATCH,
    "tables": {
        "customers": {
            "customer_id": _entry("CUSTOMER_ID", "C2", "token_key"),
            "name": _entry("PERSON_NAME", "C2", "restricted_generalise"),
            "id_number": _entry("CN_RESIDENT_ID", "C1", "vault_token_mask"),
            "mobile": _entry("CN_MOBILE", "C1", "vault_token_mask"),
            "email": _entry("EMAIL", "C2", "restricted_generalise"),
            "address": _entry("ADDRESS", "C2", "restricted_generalise"),
            "birth_date": _entry("DATE_OF_BIRTH", "C2", "restricted_generalise"),
            "gps_location": _entry("GEO_LOCATION", "C1", "vault_token_mask"),
            "credit_score": _entry("CREDIT_SCORE", "C2", "restricted_generalise"),
            "annual_income": _entry("INCOME", "C2", "restricted_generalise"),
            # low confidence: must be dropped (fail closed)
            "secret_note": _entry("NONE", "C3", "pass", confidence=0.3),
        },
        "orders": {
            "order_id": _entry("NONE", "C3", "pass"),
            "customer_id": _entry("CUSTOMER_ID", "C2", "token_key"),
            "charged_price": _entry("TRANSACTION_AMOUNT", "C2", "restricted_generalise"),
            # `remark` has no catalog entry at all: a new column, dropped
        },
    },
}


def write_batch(spark: SparkSession, home: Path) -> None:
    """Raw partitions as the ingest stage writes them (typed + lineage columns)."""
    customers = spark.createDataFrame(
        [(*r, "customers.csv", i + 2, dt.date(2026, 3, 1)) for i, r in enumerate(CUSTOMERS)],
        "customer_id string, name string, id_number string, mobile string, email string, "
        "address string, birth_date date, gps_location string, credit_score int, "
        "annual_income decimal(18,2), secret_note string, _source_file string, "
        "_source_line int, _batch_date date",
    )
    orders = spark.createDataFrame(
        [(*r, "orders.csv", i + 2, dt.date(2026, 3, 1)) for i, r in enumerate(ORDERS)],
        "order_id string, customer_id string, charged_price decimal(18,2), remark string, "
        "_source_file string, _source_line int, _batch_date date",
    )
    lay = layout()
    customers.write.mode("overwrite").parquet(str(lay.raw_partition("customers", BATCH)))
    orders.write.mode("overwrite").parquet(str(lay.raw_partition("orders", BATCH)))
    lay.catalog_dir.mkdir(parents=True, exist_ok=True)
    lay.catalog.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def batch_home(crmguard_home: Path, spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    write_batch(spark, crmguard_home)
    return crmguard_home
