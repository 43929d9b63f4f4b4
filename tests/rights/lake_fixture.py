"""A small hand-made lake for the rights tests: raw, restricted, protected, quarantine and vault
partitions of one batch in the formats the ingest and protect stages write (the vault encrypted
with the keyring exactly as the Spark job does: AES-256-GCM, nonce ‖ ciphertext ‖ tag, one JSON
object of C1 values per row), salts, and mart tables in the three warehouse files."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crmguard import key_store
from crmguard.paths import layout

BATCH = "2026-11-20"
UTC = dt.UTC


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


CUSTOMERS = [
    # customer_id, name, id_number, mobile, email, status, created_at
    ("C001", "张三", "110101199003071234", "13800138000", "zs@qq.com", "active", "2020-01-05"),
    ("C002", "李四", "44030519850101002X", "13900139000", "ls@163.com", "active", "2021-06-01"),
    ("C003", "王五", "310101198001011111", "13700137000", None, "closed", "2019-03-03"),
]
ORDERS = [
    # order_id, customer_id (as delivered), charged_price, ordered_at
    ("O1", "C001", "99.00", "2019-05-01"),
    ("O2", "Ｃ００１", "15.50", "2025-02-01"),  # full width: matched through its token
    ("O3", "C002", "1200.00", "2024-07-09"),
    ("O4", "C003", "5.00", "2026-10-01"),
]
MESSAGES = [
    ("M1", "C001", "会员日优惠", "2020-03-01"),
    ("M2", "C001", "新品推荐", "2026-09-01"),
    ("M3", "C002", "新品推荐", "2026-09-01"),
    ("M4", "C003", "账单提醒", "2019-01-01"),
]
CONTRACTS = [
    ("K1", "C001", "2018-01-01"),
    ("K2", "C001", "2024-04-04"),
    ("K3", "C002", "2023-03-03"),
]
DSR = [
    # request_id, customer_id, request_type, received_at, completed_at, status, reason
    ("R1", "C001", "delete", "2026-11-18T02:00:00", None, "open", None),
    ("R2", "C002", "access", "2026-11-19T02:00:00", None, "open", None),
]
VAULT_COLUMNS = ["id_number", "mobile"]
ENTITIES = {"id_number": "CN_RESIDENT_ID", "mobile": "CN_MOBILE", "customer_id": "CUSTOMER_ID"}


def token(value: str, entity: str) -> str:
    return key_store.token_for(value, entity)


def _write(table: pa.Table, folder: Path, name: str = "part-00000.parquet") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / name)


def _lineage(source: str, n: int) -> dict:
    return {
        "_source_file": [f"{source}.csv"] * n,
        "_source_line": list(range(2, n + 2)),
        "_batch_date": [dt.date.fromisoformat(BATCH)] * n,
    }


def _date_ts(day: str) -> dt.datetime:
    return ts(f"{day}T01:00:00")


def build_lake(home: Path) -> None:
    """The batch under ``home`` (CRMGUARD_HOME must point at it; the keyring must exist)."""
    lay = layout()
    assert lay.home == home.resolve()
    n = len(CUSTOMERS)
    cid = [c[0] for c in CUSTOMERS]
    ctok = [token(c, "CUSTOMER_ID") for c in cid]
    mobile_tok = [token(c[3], "CN_MOBILE") for c in CUSTOMERS]
    id_tok = [token(c[2], "CN_RESIDENT_ID") for c in CUSTOMERS]
    created = [_date_ts(c[6]) for c in CUSTOMERS]
    _write(
        pa.table(
            {
                "customer_id": cid,
                "name": [c[1] for c in CUSTOMERS],
                "id_number": [c[2] for c in CUSTOMERS],
                "mobile": [c[3] for c in CUSTOMERS],
                "email": [c[4] for c in CUSTOMERS],
                "status": [c[5] for c in CUSTOMERS],
                "created_at": created,
                **_lineage("customers", n),
            }
        ),
        lay.raw_partition("customers", BATCH),
    )
    masks = {
        "mobile_mask": [c[3][:3] + "****" + c[3][-4:] for c in CUSTOMERS],
        "id_number_mask": [c[2][:6] + "********" + c[2][-4:] for c in CUSTOMERS],
    }
    _write(
        pa.table(
            {
                "customer_token": ctok,
                "name": [c[1] for c in CUSTOMERS],
                "email": [c[4] for c in CUSTOMERS],
                "id_number_token": id_tok,
                "mobile_token": mobile_tok,
                **masks,
                "status": [c[5] for c in CUSTOMERS],
                "created_at": created,
                **_lineage("customers", n),
                "_key_version": [1] * n,
            }
        ),
        lay.restricted_partition("customers", BATCH),
    )
    protected = lay.protected_partition("customers", BATCH)
    _write(
        pa.table(
            {
                "customer_token": ctok,
                "name_masked": [c[1][0] + "*" for c in CUSTOMERS],
                "id_number_token": id_tok,
                "mobile_token": mobile_tok,
                **masks,
                "status": [c[5] for c in CUSTOMERS],
                "_batch_date": _lineage("customers", n)["_batch_date"],
                "_key_version": [1] * n,
            }
        ),
        protected,
    )
    (protected / "_protection.json").write_text('{"zone": "protected"}', encoding="utf-8")
    _customer_source("orders", ORDERS, "order_id", "ordered_at", extra="charged_price")
    _customer_source("marketing_messages", MESSAGES, "message_id", "sent_at", extra="content")
    _customer_source("contracts", CONTRACTS, "contract_id", "signed_at")
    _write(
        pa.table(
            {
                "request_id": [d[0] for d in DSR],
                "customer_id": [d[1] for d in DSR],
                "request_type": [d[2] for d in DSR],
                "received_at": [ts(d[3]) for d in DSR],
                "completed_at": pa.array([None] * len(DSR), pa.timestamp("us", tz="UTC")),
                "status": [d[5] for d in DSR],
                "rejection_reason": pa.array([None] * len(DSR), pa.string()),
                **_lineage("dsr_requests", len(DSR)),
            }
        ),
        lay.raw_partition("dsr_requests", BATCH),
    )
    # quarantine: a malformed customers line carrying C001's mobile, and one of nobody's
    _write(
        pa.table(
            {
                "source": ["customers", "customers"],
                "file": ["customers.csv", "customers.csv"],
                "line": pa.array([9, 10], pa.int64()),
                "raw_text": ["C001,张三,,13800138000,bad-date", "C999,赵六,,13600136000,x"],
                "reason": ["bad timestamp", "bad timestamp"],
                "kind": ["type_error", "type_error"],
                "record_key": ["C001", "C999"],
                "batch_date": [dt.date.fromisoformat(BATCH)] * 2,
            }
        ),
        lay.quarantine_partition("customers", BATCH),
    )
    _vault(cid, ctok)
    _marts(ctok)


def _customer_source(
    source: str, rows: list[tuple], key: str, date_column: str, extra: str | None = None
) -> None:
    lay = layout()
    n = len(rows)
    columns = {key: [r[0] for r in rows], "customer_id": [r[1] for r in rows]}
    if extra:
        columns[extra] = [r[2] for r in rows]
    columns[date_column] = [_date_ts(r[-1]) for r in rows]
    _write(pa.table({**columns, **_lineage(source, n)}), lay.raw_partition(source, BATCH))
    tokens = [token(r[1], "CUSTOMER_ID") for r in rows]
    restricted = {key: columns[key], "customer_token": tokens}
    if extra:
        restricted[extra] = columns[extra]
    restricted[date_column] = columns[date_column]
    _write(
        pa.table({**restricted, **_lineage(source, n), "_key_version": [1] * n}),
        lay.restricted_partition(source, BATCH),
    )
    protected = {k: v for k, v in restricted.items()}
    _write(
        pa.table(
            {
                **protected,
                "_batch_date": _lineage(source, n)["_batch_date"],
                "_key_version": [1] * n,
            }
        ),
        lay.protected_partition(source, BATCH),
    )


def _vault(cid: list[str], ctok: list[str]) -> None:
    lay = layout()
    store = key_store.salt_store()
    store.mkdir(parents=True, exist_ok=True)
    salts = [os.urandom(key_store.SALT_BYTES) for _ in cid]
    pq.write_table(
        pa.table(
            {
                "salt_id": [key_store.salt_id_for(c) for c in cid],
                "customer_token": ctok,
                "key_version": pa.array([1] * len(cid), pa.int32()),
                "salt": salts,
            }
        ),
        store / "part-00000.parquet",
    )
    ciphertexts = []
    for customer, salt in zip(CUSTOMERS, salts, strict=True):
        plaintext = json.dumps({"id_number": customer[2], "mobile": customer[3]}).encode()
        nonce = os.urandom(12)
        key = key_store.vault_data_key(salt, 1)
        ciphertexts.append(nonce + AESGCM(key).encrypt(nonce, plaintext, None))
    _write(
        pa.table(
            {
                "customer_token": ctok,
                "source": ["customers"] * len(cid),
                "key_version": pa.array([1] * len(cid), pa.int32()),
                "cipher": ["aes-256-gcm"] * len(cid),
                "columns": [VAULT_COLUMNS] * len(cid),
                "ciphertext": ciphertexts,
            }
        ),
        lay.vault / "customers" / f"batch_date={BATCH}",
    )


def _marts(ctok: list[str]) -> None:
    lay = layout()
    lay.warehouse.mkdir(parents=True, exist_ok=True)
    rows = ", ".join(f"('{t}', 'basic', {i})" for i, t in enumerate(ctok))
    for db, schema in (
        (lay.warehouse_db, "marts"),
        (lay.marts_db, "main"),
        (lay.restricted_db, "main"),
    ):
        con = duckdb.connect(str(db))
        con.execute(f"create schema if not exists {schema}")
        con.execute(
            f"create table {schema}.customer_360 as select * from (values {rows}) "
            "t(customer_token, member_tier, order_count)"
        )
        con.close()


def count_rows(folder: Path, where: str = "true") -> int:
    con = duckdb.connect()
    try:
        return con.execute(
            f"select count(*) from read_parquet('{folder}/*.parquet') where {where}"
        ).fetchall()[0][0]
    finally:
        con.close()
