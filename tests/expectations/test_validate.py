"""validate_build on a small hand-made build: each blocking expectation fails on one planted
breach of its kind and passes on the clean build; warnings are counted, never blocking; the
run is recorded in the governance schema and in Data Docs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from crmguard.paths import layout
from expectations.validate import ValidationPlatformError, validate_build
from tests.expectations.warehouse_fixture import (
    BATCH_DATE,
    NEAR_MISSES,
    RAW_MOBILE,
    T1,
    VALID_CARD,
    VALID_RESIDENT_ID,
    rewrite_protected,
    sql,
)

pytestmark = pytest.mark.spark


def _failed(outcome: dict) -> set[tuple[str, str, int | None]]:
    return {
        (f["suite"], f["expectation"], f["unexpected_count"]) for f in outcome["blocking_failed"]
    }


def test_clean_build_passes_every_blocking_expectation_and_counts_warnings(build: Path) -> None:
    outcome = validate_build(BATCH_DATE, "run-clean")
    assert outcome["success"] is True
    assert outcome["blocking_failed"] == []
    warnings = {w["expectation"]: w["count"] for w in outcome["warnings"]}
    assert warnings["ingestion:quarantine_rate"] == 3  # 1 of 3-4 rows quarantined per file
    assert warnings["consent_lineage:messages_without_consent"] == 1  # M2
    assert warnings["pipl47:closed_customers_holding_personal_data"] == 1  # T3, closed 2020
    assert warnings["pipl47:deletion_due_without_legal_hold"] == 1  # no order or contract
    assert warnings["localisation:customers_offshore"] == 1  # ap-east-1 is Hong Kong
    # messages start 2026-06-01, the window 2023-11-20: 924 days missing; no orders at all
    assert warnings["retention:marketing_messages_coverage"] == 924
    assert warnings["retention:orders_coverage"] == 1096
    assert "localisation:marketing_messages_offshore" not in warnings
    suites = {r.split("/")[0] for r in outcome["gx_result_ids"]}
    assert {"analyst_marts", "protected_vault", "ingestion", "compliance_findings"} <= suites


def test_run_is_recorded_in_governance_and_data_docs(build: Path) -> None:
    outcome = validate_build(BATCH_DATE, "run-record")
    validate_build(BATCH_DATE, "run-record")  # the same run id again replaces its rows
    con = duckdb.connect(str(layout().warehouse_db), read_only=True)
    try:
        runs = con.execute(
            "select count(*), count(distinct suite), bool_and(blocking_success)"
            " from governance.validation_runs where run_id = 'run-record'"
        ).fetchone()
        results = con.execute(
            "select expectation, severity, success, unexpected_count, description_zh"
            " from governance.validation_results where run_id = 'run-record'"
        ).fetchall()
        findings = con.execute(
            "select rule_id, subject from governance.findings_history"
            " where run_id = 'run-record' order by 1, 2"
        ).fetchall()
        summary = con.execute(
            "select count(*) from governance.rule_summary_history where run_id = 'run-record'"
        ).fetchone()[0]
    finally:
        con.close()
    assert runs == (outcome["suites"], outcome["suites"], True)
    assert len(results) == outcome["expectations"]
    assert {r[1] for r in results} == {"blocking", "warning"}
    assert all(r[4] for r in results)  # every expectation has its Chinese description
    assert findings == [("CONS-01", "M2"), ("CUS-01", "C1"), ("MKT-02", "M2")]
    assert summary == 4
    index = layout().reports / "data_docs" / "index.html"
    assert index.is_file() and "analyst_marts.customer_360" in index.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "kind"),
    [(RAW_MOBILE, "mobile"), (VALID_RESIDENT_ID, "resident_id"), (VALID_CARD, "card")],
)
def test_raw_c1_in_a_mart_text_column_blocks(build: Path, value: str, kind: str) -> None:
    sql(f"update marts.customer_360 set note = '客户资料 {value}' where customer_token = '{T1}'")
    outcome = validate_build(BATCH_DATE, f"run-c1-{kind}")
    assert _failed(outcome) == {
        ("analyst_marts.customer_360", "no_raw_c1:marts.customer_360.note", 1)
    }
    # the leaked value itself is never copied into results or Data Docs
    stored = (layout().home / "gx").rglob("*.json")
    assert not [p for p in stored if value in p.read_text(encoding="utf-8")]
    docs = (layout().reports / "data_docs").rglob("*.html")
    assert not [p for p in docs if value in p.read_text(encoding="utf-8")]


def test_near_misses_in_a_mart_do_not_block(build: Path) -> None:
    values = ", ".join(f"('{v}')" for v in NEAR_MISSES)
    sql(f"create table marts.reference_numbers as select * from (values {values}) t(reference)")
    outcome = validate_build(BATCH_DATE, "run-near-misses")
    assert outcome["blocking_failed"] == []
    assert any(r.startswith("analyst_marts/reference_numbers/") for r in outcome["gx_result_ids"])


def test_clear_value_in_a_protected_vault_column_blocks(build: Path) -> None:
    rewrite_protected(
        "customers",
        f"case when status = 'closed' then '{RAW_MOBILE}' else mobile_mask end as mobile_mask",
    )
    outcome = validate_build(BATCH_DATE, "run-vault")
    assert _failed(outcome) == {
        ("protected_vault.customers", "vault_form:customers.mobile_mask", 1)
    }


def test_clear_column_in_the_protected_lake_blocks(build: Path) -> None:
    rewrite_protected("customers", f"'{VALID_RESIDENT_ID}' as id_number_token")
    outcome = validate_build(BATCH_DATE, "run-vault-token")
    assert _failed(outcome) == {
        ("protected_vault.customers", "vault_form:customers.id_number_token", 3)
    }


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "update governance.reconciliation set rows_loaded = rows_loaded - 1"
            " where source = 'consents'",
            {
                ("ingestion", "reconciliation:difference_zero", 1),
                ("ingestion", "reconciliation:raw_rows_match", 1),
            },
        ),
        (
            "delete from governance.reconciliation where source = 'orders' or source = 'consents'",
            # a file without its reconciliation row cannot match its raw rows either
            {
                ("ingestion", "reconciliation:row_per_file", 1),
                ("ingestion", "reconciliation:raw_rows_match", 1),
            },
        ),
    ],
    ids=["gap", "missing-row"],
)
def test_reconciliation_gap_blocks(build: Path, statement: str, expected: set) -> None:
    sql(statement)
    outcome = validate_build(BATCH_DATE, "run-reconciliation")
    assert _failed(outcome) == expected


def test_dropped_finding_blocks(build: Path) -> None:
    sql("delete from marts.compliance_findings where rule_id = 'MKT-02'")
    outcome = validate_build(BATCH_DATE, "run-finding")
    assert _failed(outcome) == {("compliance_findings", "findings:every_violation_has_finding", 1)}


def test_violation_lost_between_rule_model_and_checks_blocks(build: Path) -> None:
    sql("update marts.compliance_rule_checks set is_violation = false where rule_id = 'CUS-01'")
    sql("delete from marts.compliance_findings where rule_id = 'CUS-01'")
    outcome = validate_build(BATCH_DATE, "run-rule-model")
    assert _failed(outcome) == {
        ("compliance_rule_models", "findings:model_violations_reach_checks", 1)
    }


def test_missing_compliance_models_block(build: Path) -> None:
    sql("drop table marts.compliance_rule_checks")
    outcome = validate_build(BATCH_DATE, "run-no-checks")
    assert ("compliance_findings", "findings:rule_checks_built", 0) in _failed(outcome)


def test_audience_row_with_withdrawn_consent_blocks(build: Path) -> None:
    rewrite_protected(
        "consents",
        "case when consent_id = 'K2' then timestamptz '2026-11-20 08:00:00+00'"
        " else withdrawn_at end as withdrawn_at",
    )
    outcome = validate_build(BATCH_DATE, "run-audience")
    assert _failed(outcome) == {("marketing_audience", "audience:consent_valid_at_batch_end", 1)}


def test_withdrawal_after_the_batch_end_does_not_block(build: Path) -> None:
    # 2026-11-20 16:00 UTC is midnight in Asia/Shanghai: the consent was valid at the batch end
    rewrite_protected(
        "consents",
        "case when consent_id = 'K2' then timestamptz '2026-11-20 16:00:00+00'"
        " else withdrawn_at end as withdrawn_at",
    )
    assert validate_build(BATCH_DATE, "run-audience-late")["blocking_failed"] == []


def test_audience_row_without_notice_version_blocks(build: Path) -> None:
    sql("update marts.marketing_audience set notice_version = null where consent_id = 'K1'")
    outcome = validate_build(BATCH_DATE, "run-notice")
    assert _failed(outcome) == {
        ("marketing_audience", "audience:notice_version_present", 1),
        ("marketing_audience", "audience:consent_valid_at_batch_end", 1),
    }


@pytest.mark.parametrize(
    ("plant", "expected"),
    [
        (
            lambda: sql("alter table marts.customer_360 add column wechat_id varchar"),
            {
                ("mart_columns", "mart_columns:no_unclassified", 1),
                ("mart_columns", "mart_columns:confidence_floor", 1),
                ("mart_columns", "mart_columns:no_dropped", 1),
            },
        ),
        (
            lambda: sql(
                "insert into marts.field_inventory values"
                " ('customers', 'marital_status', 'customer_360', 'member_tier')"
            ),
            {("mart_columns", "mart_columns:no_dropped", 1)},
        ),
    ],
    ids=["unclassified-by-name", "dropped-by-lineage"],
)
def test_unclassified_or_dropped_column_in_a_mart_blocks(
    build: Path, plant: Callable[[], None], expected: set
) -> None:
    plant()
    outcome = validate_build(BATCH_DATE, "run-columns")
    assert _failed(outcome) == expected


def test_missing_build_is_a_platform_error(crmguard_home: Path) -> None:
    with pytest.raises(ValidationPlatformError, match="no dbt build"):
        validate_build(BATCH_DATE, "run-none")


def test_observed_values_are_json(build: Path) -> None:
    validate_build(BATCH_DATE, "run-json")
    con = duckdb.connect(str(layout().warehouse_db), read_only=True)
    try:
        observed = con.execute(
            "select observed from governance.validation_results where run_id = 'run-json'"
        ).fetchall()
    finally:
        con.close()
    assert all(isinstance(json.loads(o[0]), dict) for o in observed)
