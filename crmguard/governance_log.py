"""The governance schema's run records: validation results, findings history, publish log.

One place defines these tables (in ``warehouse/crm.duckdb``, engineers only). Validation writes
its results and a copy of the batch's findings and rule summary per run, publishing writes the
publish log, and the auditor's report reads all of them, so history accumulates across batches
and re-runs. Every run table is keyed by ``run_id`` (the Airflow run id, or ``cli-<uuid>``); the
batch tables (classification drift) by ``batch_date``.
"""

from __future__ import annotations

import duckdb

TABLES: dict[str, str] = {
    # one row per validation of one suite in one run
    "validation_runs": """
        run_id varchar not null,
        batch_date date not null,
        suite varchar not null,
        gx_result_id varchar,
        success boolean not null,
        blocking_success boolean not null,
        evaluated_expectations integer,
        validated_at timestamptz not null,
        data_docs_path varchar
    """,
    # one row per expectation per suite per run
    "validation_results": """
        run_id varchar not null,
        batch_date date not null,
        suite varchar not null,
        expectation varchar not null,
        expectation_type varchar not null,
        severity varchar not null,
        success boolean not null,
        element_count bigint,
        unexpected_count bigint,
        observed json,
        description_zh varchar,
        description_en varchar
    """,
    # the batch's compliance_findings as validated in this run (columns of the mart + run_id)
    "findings_history": """
        run_id varchar not null,
        batch_date date not null,
        finding_id varchar not null,
        rule_id varchar not null,
        severity varchar not null,
        subject_type varchar not null,
        subject varchar not null,
        evidence varchar,
        reference varchar,
        detected_at timestamptz
    """,
    # per rule and run: how many units were evaluated and how many are findings
    "rule_summary_history": """
        run_id varchar not null,
        batch_date date not null,
        rule_id varchar not null,
        evaluated_count bigint not null,
        finding_count bigint not null,
        status varchar not null
    """,
    # one row per publish attempt
    "publish_log": """
        run_id varchar not null,
        batch_date date not null,
        published boolean not null,
        attempted_at timestamptz not null,
        catalog_sha256 varchar,
        policy_sha256 varchar,
        rules_sha256 varchar,
        gx_result_ids json,
        git_commit varchar,
        failed_expectations json,
        marts_path varchar,
        restricted_path varchar
    """,
}


# tables keyed by batch_date, not by run: a re-run of a batch replaces the batch's rows
BATCH_TABLES: dict[str, str] = {
    # each column whose entity, tier, protection class or form changed since the previous batch
    # (crmguard.classification_drift): what moved, never a failed build
    "classification_drift": """
        batch_date date not null,
        previous_batch_date date not null,
        source_name varchar not null,
        column_name varchar not null,
        previous_entity varchar,
        entity varchar,
        previous_tier varchar,
        tier varchar,
        previous_protection varchar,
        protection varchar,
        previous_protected_form varchar,
        protected_form varchar,
        previous_restricted_form varchar,
        restricted_form varchar,
        change varchar not null,
        detected_at timestamptz not null
    """,
}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the governance run tables when missing (idempotent)."""
    con.execute("create schema if not exists governance")
    for name, columns in {**TABLES, **BATCH_TABLES}.items():
        con.execute(f"create table if not exists governance.{name} ({columns})")
