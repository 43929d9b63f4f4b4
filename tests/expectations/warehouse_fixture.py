"""A small hand-made build for the validation tests: lake Parquet, catalog, reconciliation and a
crm.duckdb with the marts the suites read, all clean; ``plant_*`` functions add one breach each.

The compliance marts follow interfaces.md §5 (compliance_rule_checks, compliance_findings,
compliance_rule_summary, a rule model with its violates_<rule> flag) without running dbt.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from crmguard.ingest.reconcile import record_batch
from crmguard.paths import layout

BATCH_DATE = "2026-11-20"
T1, T2, T3 = "a1" * 32, "b2" * 32, "c3" * 32
VALID_RESIDENT_ID = "11010519491231002X"  # GB 11643 check character X
VALID_CARD = "6222021234567890128"  # Luhn-valid, 19 digits
RAW_MOBILE = "13812345678"
# values that look close to C1 but are not clear identifiers: none may trip the check
NEAR_MISSES = [
    "110101********1234",  # masked resident ID
    "110101199003071234",  # 18 digits, wrong check digit
    "6222021234567890123",  # 19 digits, not Luhn-valid
    "138****5678",  # masked mobile
    "a1" * 32,  # a token
    "9" * 64,  # a token of digits only, too long for any C1 shape
    "订单O12345678901234567",  # a reference glued to letters
    "12812345678",  # 11 digits outside the mobile segments
]


def _catalog_entry(entity: str, tier: str, protection: str, confidence: float = 0.95) -> dict:
    return {
        "entity": entity,
        "tier": tier,
        "protection": protection,
        "confidence": confidence,
        "masked": False,
        "reason": "fixture",
    }


CATALOG = {
    "profile": "seed",
    "policy_version": "2026.1",
    "tables": {
        "customers": {
            "customer_id": _catalog_entry("CUSTOMER_ID", "C2", "token_key", 1.0),
            "mobile": _catalog_entry("CN_MOBILE", "C1", "vault_token_mask"),
            "id_number": _catalog_entry("CN_RESIDENT_ID", "C1", "vault_token_mask"),
            "marital_status": _catalog_entry("MARITAL_STATUS", "C2", "restricted_generalise"),
            "wechat_id": _catalog_entry("UNCLASSIFIED", "C2", "drop", 0.2),
            "member_tier": _catalog_entry("NONE", "C3", "pass"),
            "status": _catalog_entry("NONE", "C3", "pass"),
            "closed_at": _catalog_entry("NONE", "C3", "pass"),
            "storage_region": _catalog_entry("NONE", "C3", "pass"),
        },
        "consents": {
            c: _catalog_entry("NONE", "C3", "pass")
            for c in ("consent_id", "purpose", "granted_at", "withdrawn_at", "notice_version")
        }
        | {"customer_id": _catalog_entry("CUSTOMER_ID", "C2", "token_key", 1.0)},
        "marketing_messages": {
            c: _catalog_entry("NONE", "C3", "pass")
            for c in ("message_id", "channel", "sent_at", "storage_region")
        }
        | {"customer_id": _catalog_entry("CUSTOMER_ID", "C2", "token_key", 1.0)},
    },
}

_CUSTOMER_FORMS = {
    "customer_id": {"form": "token", "outputs": ["customer_token"]},
    "mobile": {"form": "token", "outputs": ["mobile_token", "mobile_mask"]},
    "id_number": {"form": "token", "outputs": ["id_number_token", "id_number_mask"]},
    "marital_status": {"form": "dropped", "outputs": []},
    "wechat_id": {"form": "dropped", "outputs": []},
    "member_tier": {"form": "clear", "outputs": ["member_tier"]},
    "status": {"form": "clear", "outputs": ["status"]},
    "closed_at": {"form": "clear", "outputs": ["closed_at"]},
    "storage_region": {"form": "clear", "outputs": ["storage_region"]},
}
PROTECTION_MANIFEST = {
    "zone": "protected",
    "source": "customers",
    "batch_date": BATCH_DATE,
    "columns": {
        column: {
            **forms,
            **{
                k: CATALOG["tables"]["customers"][column][k]
                for k in ("entity", "tier", "protection")
            },
        }
        for column, forms in _CUSTOMER_FORMS.items()
    },
}

PROTECTED = {
    "customers": f"""
        select * from (values
          ('{T1}', '{"e1" * 32}', '138****5678', '{"f1" * 32}', '110101********1234', 'gold',
           'active', null::timestamptz, 'cn-north-1'),
          ('{T2}', '{"e2" * 32}', '139****0000', '{"f2" * 32}', '310101********4321', 'basic',
           'active', null::timestamptz, 'cn-east-2'),
          ('{T3}', '{"e3" * 32}', '137****1111', null, null, 'basic',
           'closed', timestamptz '2020-01-01 02:00:00+00', 'ap-east-1')
        ) t(customer_token, mobile_token, mobile_mask, id_number_token, id_number_mask,
            member_tier, status, closed_at, storage_region)
    """,
    "consents": f"""
        select * from (values
          ('K1', '{T1}', 'marketing_sms', timestamptz '2026-01-01 00:00:00+00',
           null::timestamptz, 'v1'),
          ('K2', '{T2}', 'marketing_email', timestamptz '2026-02-01 00:00:00+00',
           null::timestamptz, 'v2'),
          ('K3', '{T2}', 'marketing_sms', timestamptz '2026-01-01 00:00:00+00',
           timestamptz '2026-03-01 00:00:00+00', 'v1')
        ) t(consent_id, customer_token, purpose, granted_at, withdrawn_at, notice_version)
    """,
    "marketing_messages": f"""
        select * from (values
          ('M1', '{T1}', 'sms', timestamptz '2026-06-01 02:00:00+00', 'cn-north-1'),
          ('M2', '{T2}', 'sms', timestamptz '2026-06-02 02:00:00+00', 'cn-north-1')
        ) t(message_id, customer_token, channel, sent_at, storage_region)
    """,
}

MARTS = [
    f"""create table marts.customer_360 as select * from (values
          ('{T1}', '138****5678', '110101********1234', 'gold', '回访 <CN_MOBILE>'),
          ('{T2}', '139****0000', '310101********4321', 'basic', null),
          ('{T3}', '137****1111', null, 'basic', '已注销')
        ) t(customer_token, mobile_mask, id_number_mask, member_tier, note)""",
    f"""create table marts.marketing_audience as select * from (values
          ('{T1}', 'sms', 'marketing_sms', 'K1', 'v1', date '{BATCH_DATE}'),
          ('{T2}', 'email', 'marketing_email', 'K2', 'v2', date '{BATCH_DATE}')
        ) t(customer_token, channel, purpose, consent_id, notice_version, as_of_date)""",
    f"""create table marts.marketing_message_log as select * from (values
          ('M1', '{T1}', 'sms', 'K1', true),
          ('M2', '{T2}', 'sms', null, false)
        ) t(message_id, customer_token, channel, consent_id, is_consent_authorised)""",
    """create table marts.field_inventory as select * from (values
          ('customers', 'customer_id', 'customer_360', 'customer_token'),
          ('customers', 'mobile', 'customer_360', 'mobile_mask'),
          ('customers', 'id_number', 'customer_360', 'id_number_mask'),
          ('customers', 'member_tier', 'customer_360', 'member_tier'),
          ('customers', 'marital_status', null, null),
          ('customers', 'wechat_id', null, null),
          ('consents', 'consent_id', 'marketing_audience', 'consent_id')
        ) t(source_name, column_name, mart_name, mart_column)""",
    f"""create table marts.compliance_rule_checks as select * from (values
          ('CONS-01', 'message', 'M1', false, date '{BATCH_DATE}'),
          ('CONS-01', 'message', 'M2', true, date '{BATCH_DATE}'),
          ('MKT-02', 'message', 'M2', true, date '{BATCH_DATE}'),
          ('CUS-01', 'complaint', 'C1', true, date '{BATCH_DATE}'),
          ('CUS-01', 'complaint', 'C2', false, date '{BATCH_DATE}')
        ) t(rule_id, subject_type, subject, is_violation, batch_date)""",
    """create table marts.compliance_findings as
        select md5(rule_id || '|' || subject) as finding_id, rule_id, 'high' as severity,
            subject_type, subject, 'fixture evidence' as evidence, 'ref' as reference,
            batch_date, timestamptz '2026-11-21 01:00:00+00' as detected_at
        from marts.compliance_rule_checks where is_violation""",
    f"""create table marts.compliance_rule_summary as select * from (values
          ('CONS-01', 2::bigint, 1::bigint, 'findings', date '{BATCH_DATE}'),
          ('MKT-02', 1::bigint, 1::bigint, 'findings', date '{BATCH_DATE}'),
          ('CUS-01', 2::bigint, 1::bigint, 'findings', date '{BATCH_DATE}'),
          ('FIN-01', 0::bigint, 0::bigint, 'not_evaluated', date '{BATCH_DATE}')
        ) t(rule_id, evaluated_count, finding_count, status, batch_date)""",
    """create table marts.complaint_sla as select * from (values
          ('C1', true), ('C2', false)
        ) t(complaint_id, violates_cus_01)""",
    f"""create table restricted_marts.restricted_customer_financials as select * from (values
          ('{T1}', 712, 180000.00::decimal(18, 2))
        ) t(customer_token, credit_score, annual_income)""",
]


def write_parquet(query: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    con.execute(f"copy ({query}) to '{folder / 'part-00000.parquet'}' (format parquet)")
    con.close()


def build_warehouse(home: Path) -> None:
    """The clean build under ``home`` (CRMGUARD_HOME must point at it)."""
    lay = layout()
    assert lay.home == home.resolve()
    for source, query in PROTECTED.items():
        write_parquet(query, lay.protected_partition(source, BATCH_DATE))
        # raw holds the same rows (clear values are not needed: only counts are validated)
        write_parquet(query, lay.raw_partition(source, BATCH_DATE))
    (lay.protected_partition("customers", BATCH_DATE) / "_protection.json").write_text(
        json.dumps(PROTECTION_MANIFEST), encoding="utf-8"
    )
    lay.catalog.parent.mkdir(parents=True, exist_ok=True)
    lay.catalog.write_text(json.dumps(CATALOG), encoding="utf-8")
    results = []
    for source in PROTECTED:
        loaded = 3 if source != "marketing_messages" else 2
        results.append(
            {
                "source": source,
                "file": f"{source}.csv",
                "format": "csv",
                "encoding": "utf-8",
                "encoding_decision": "fixture",
                "rows_counted": loaded + 1,
                "rows_loaded": loaded,
                "rows_quarantined": 1,
                "quarantine_by_kind": {"bad_type": 1},
                "unknown_columns": [],
                "raw_path": str(lay.raw_partition(source, BATCH_DATE)),
                "quarantine_path": str(lay.quarantine_partition(source, BATCH_DATE)),
                "elapsed_s": 0.0,
            }
        )
    record_batch(BATCH_DATE, results)
    con = duckdb.connect(str(lay.warehouse_db))
    con.execute("create schema marts")
    con.execute("create schema restricted_marts")
    for statement in MARTS:
        con.execute(statement)
    con.close()


def sql(statement: str) -> None:
    """Run one statement on the build (planting a breach)."""
    con = duckdb.connect(str(layout().warehouse_db))
    con.execute(statement)
    con.close()


def rewrite_protected(source: str, replace: str) -> None:
    """Rewrite a protected partition through a ``select * replace (...)`` of itself."""
    folder = layout().protected_partition(source, BATCH_DATE)
    query = f"select * replace ({replace}) from ({PROTECTED[source]})"
    (folder / "part-00000.parquet").unlink()
    write_parquet(query, folder)
