"""Validate a dbt build with the suites and record the run in the governance schema.

``validate_build`` is the DAG's validate task and ``crmguard validate``: it runs every suite on
the build in warehouse/crm.duckdb and the batch's lake, stores one validation_runs row per
suite and one validation_results row per expectation, copies the batch's compliance_findings
and compliance_rule_summary into the history tables under this run_id (rows of the same run_id
replaced), and updates Data Docs in reports/data_docs. Data findings never raise: they are
results. Only platform errors do (no build, no catalog, a mart the contract requires missing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import numbers
import time
import uuid
from typing import Any

import duckdb
import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier

from classification.catalog import read_catalog
from classification.policy import load_policy
from crmguard import governance_log
from crmguard.batch_date import batch_date_arg, parse_batch_date
from crmguard.config import compliance_rules, ingestion_policy, organisation
from crmguard.paths import SHARED_DIR_MODE, ensure_dir, layout, share_tree
from crmguard.stage_contracts import Catalog
from crmguard.warehouse import connect, sql_string
from expectations import frames
from expectations.context import build_docs, checkpoint_for, data_docs_dir, get_context
from expectations.suites import (
    BLOCKING,
    analyst_marts,
    compliance_findings,
    consent_lineage,
    ingestion,
    localisation,
    marketing_audience,
    mart_columns,
    protected_vault,
    retention,
)

log = logging.getLogger(__name__)

REQUIRED_MARTS = ("marketing_audience", "marketing_message_log", "field_inventory")


class ValidationPlatformError(RuntimeError):
    """The build cannot be validated at all (missing warehouse, catalog or required mart)."""


def build_fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every published relation: publish refuses a build changed since validation."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = current_database()"
        " and table_schema in ('marts', 'restricted_marts') order by 1, 2"
    ).fetchall()
    return {
        f"{schema}.{table}": con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        for schema, table in rows
    }


def _check_build(con: duckdb.DuckDBPyConnection) -> None:
    missing = [m for m in REQUIRED_MARTS if not frames.relation_exists(con, "marts", m)]
    if missing:
        raise ValidationPlatformError(
            f"{layout().warehouse_db}: the dbt build lacks marts {', '.join(missing)}"
            " (run dbt build for this batch first)"
        )


def _outcome(suite_name: str, key: Any, result: Any) -> tuple[dict, list[dict]]:
    """One validation_runs row and its validation_results rows from a GX suite result."""
    rows = []
    for er in result.results:
        config = er.expectation_config
        meta = config.meta or {}
        res = dict(er.result or {})
        count = res.get("unexpected_count")
        observed = res.get("observed_value")
        # aggregate expectations (counts computed in DuckDB, days missing) report their number
        if count is None and isinstance(observed, numbers.Real) and not isinstance(observed, bool):
            count = observed
        if er.exception_info and er.exception_info.get("raised_exception"):
            res["exception_message"] = er.exception_info.get("exception_message")
        rows.append(
            {
                "suite": suite_name,
                "expectation": meta.get("check", config.type),
                "expectation_type": config.type,
                "severity": meta.get("severity", BLOCKING),
                "success": bool(er.success),
                "element_count": res.get("element_count"),
                "unexpected_count": None if count is None else int(count),
                "observed": {
                    k: v
                    for k, v in res.items()
                    if not k.startswith("partial_") and not k.endswith("_list")
                },
                "description_zh": meta.get("description_zh"),
                "description_en": meta.get("description_en"),
            }
        )
    blocking_ok = all(r["success"] for r in rows if r["severity"] == BLOCKING)
    run = {
        "suite": suite_name,
        "gx_result_id": "/".join(str(p) for p in key.to_tuple()),
        "success": bool(result.success),
        "blocking_success": blocking_ok,
        "evaluated_expectations": len(rows),
    }
    return run, rows


class _Runner:
    """Runs suites through their checkpoints under one GX run id; collects the outcomes."""

    def __init__(self, run_id: str) -> None:
        self.context = get_context()
        self.run = RunIdentifier(run_name=run_id, run_time=dt.datetime.now(dt.UTC))
        self.runs: list[dict] = []
        self.results: list[dict] = []
        self.keys: list[Any] = []

    def __call__(self, suite: gx.ExpectationSuite, frame: Any) -> None:
        checkpoint = checkpoint_for(self.context, suite)
        outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=self.run)
        for key, result in outcome.run_results.items():
            self.keys.append(key)
            run, rows = _outcome(suite.name, key, result)
            urls = self.context.get_docs_sites_urls(resource_identifier=key, only_if_exists=False)
            run["data_docs_path"] = urls[0]["site_url"] if urls else None
            self.runs.append(run)
            self.results.extend(rows)


def _validate_vault(runner: _Runner, catalog: Catalog, batch_date: str) -> None:
    """The protected lake's vault columns, read column-wise from Parquet into pandas: only
    the token and mask columns are loaded (a Spark session for these regex checks cost a JVM
    start, 17 s of a 10k run, for a few columns)."""
    import pyarrow.parquet as pq

    checks = frames.vault_columns(catalog, batch_date)
    if not checks:
        return
    policy = load_policy(catalog.profile)
    masks = {
        name: entity.display_mask
        for name, entity in policy.entities.items()
        if entity.display_mask is not None
    }
    for source, (folder, columns) in checks.items():
        files = sorted(str(p) for p in folder.glob("*.parquet"))
        wanted = sorted({vc.column for vc in columns})
        # the files, not the folder: the `batch_date=` folder name is no column of the data
        frame = pq.ParquetDataset(files, partitioning=None).read(columns=wanted).to_pandas()
        runner(protected_vault.build_suite(source, columns, masks), frame)


def _record(
    con: duckdb.DuckDBPyConnection, batch_date: str, run_id: str, runner: _Runner
) -> dict[str, int]:
    """Governance rows of this run (replacing an earlier attempt with the same run_id)."""
    day = parse_batch_date(batch_date)
    now = dt.datetime.now(dt.UTC)
    governance_log.ensure_tables(con)
    con.execute("begin transaction")
    try:
        for table in governance_log.TABLES:
            if table != "publish_log":
                con.execute(f"delete from governance.{table} where run_id = ?", [run_id])
        con.executemany(
            "insert into governance.validation_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    day,
                    r["suite"],
                    r["gx_result_id"],
                    r["success"],
                    r["blocking_success"],
                    r["evaluated_expectations"],
                    now,
                    r["data_docs_path"],
                ]
                for r in runner.runs
            ],
        )
        con.executemany(
            "insert into governance.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    day,
                    r["suite"],
                    r["expectation"],
                    r["expectation_type"],
                    r["severity"],
                    r["success"],
                    r["element_count"],
                    r["unexpected_count"],
                    json.dumps(r["observed"], default=str, ensure_ascii=False),
                    r["description_zh"],
                    r["description_en"],
                ]
                for r in runner.results
            ],
        )
        copied = {"findings": 0, "rule_summary": 0}
        if frames.relation_exists(con, "marts", "compliance_findings"):
            con.execute(
                """
                insert into governance.findings_history
                select ?, batch_date, finding_id, rule_id, severity, subject_type, subject,
                    evidence, reference, detected_at
                from marts.compliance_findings
                """,
                [run_id],
            )
            copied["findings"] = con.execute(
                "select count(*) from governance.findings_history where run_id = ?", [run_id]
            ).fetchone()[0]
        if frames.relation_exists(con, "marts", "compliance_rule_summary"):
            con.execute(
                """
                insert into governance.rule_summary_history
                select ?, batch_date, rule_id, evaluated_count, finding_count, status
                from marts.compliance_rule_summary
                """,
                [run_id],
            )
            copied["rule_summary"] = con.execute(
                "select count(*) from governance.rule_summary_history where run_id = ?", [run_id]
            ).fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return copied


def validate_build(batch_date: str, run_id: str) -> dict:
    """Run every suite on the build of ``batch_date``; record and return the outcome."""
    started = time.monotonic()
    parse_batch_date(batch_date)  # a malformed date is a caller error, not a finding
    lay = layout()
    if not lay.warehouse_db.is_file():
        raise ValidationPlatformError(f"{lay.warehouse_db}: no dbt build to validate")
    catalog = read_catalog()
    if catalog is None:
        raise ValidationPlatformError(f"{lay.catalog}: no classification catalog")
    policy = load_policy(catalog.profile)
    runner = _Runner(run_id)
    con = connect()
    try:
        con.execute(f"set timezone = {sql_string(organisation().timezone)}")
        _check_build(con)
        fingerprint = build_fingerprint(con)
        # blocking: the platform's guarantees
        for table, columns in frames.mart_text_columns(con).items():
            if columns:
                runner(
                    analyst_marts.build_suite(table, columns),
                    frames.mart_text_frame(con, table, columns),
                )
        runner(
            ingestion.build_suite(ingestion_policy().quarantine_rate_warning),
            frames.ingestion_frame(con, batch_date),
        )
        runner(compliance_findings.build_suite(), frames.rule_checks_frame(con))
        runner(compliance_findings.build_rule_model_suite(), frames.rule_models_frame(con))
        runner(marketing_audience.build_suite(), frames.audience_frame(con, batch_date))
        runner(
            mart_columns.build_suite(policy.confidence_floor),
            frames.mart_columns_frame(con, catalog, batch_date),
        )
        # warnings: facts about the data
        runner(
            retention.build_coverage_suite(frames.retention_years()),
            frames.retention_coverage_frame(con, batch_date),
        )
        runner(
            retention.build_closed_customers_suite(
                compliance_rules().retention_warnings.closed_customer_max_days
            ),
            frames.closed_customers_frame(con, catalog, batch_date),
        )
        frame, with_cross_border = frames.localisation_frame(con, batch_date)
        runner(localisation.build_suite(with_cross_border), frame)
        runner(consent_lineage.build_suite(), frames.message_log_frame(con))
        # blocking: the protected lake's vault columns
        _validate_vault(runner, catalog, batch_date)
        copied = _record(con, batch_date, run_id, runner)
    finally:
        con.close()
    build_docs(runner.context, runner.keys)
    blocking_failed = [
        {
            "suite": r["suite"],
            "expectation": r["expectation"],
            "unexpected_count": r["unexpected_count"],
        }
        for r in runner.results
        if r["severity"] == BLOCKING and not r["success"]
    ]
    warnings = [
        {
            "suite": r["suite"],
            "expectation": r["expectation"],
            "count": r["unexpected_count"],
            "description_en": r["description_en"],
        }
        for r in runner.results
        if r["severity"] != BLOCKING and not r["success"]
    ]
    log.info(
        "validated batch %s (run %s): %d suites, %d blocking failed, %d warnings",
        batch_date,
        run_id,
        len(runner.runs),
        len(blocking_failed),
        len(warnings),
    )
    if data_docs_dir().exists():  # auditors read reports/ (the pipeline runs with umask 077)
        ensure_dir(layout().reports, SHARED_DIR_MODE)
        share_tree(data_docs_dir())
    return {
        "run_id": run_id,
        "batch_date": batch_date,
        "success": not blocking_failed,
        "blocking_failed": blocking_failed,
        "warnings": warnings,
        "gx_result_ids": [r["gx_result_id"] for r in runner.runs],
        "suites": len(runner.runs),
        "expectations": len(runner.results),
        "history_rows": copied,
        "build_fingerprint": fingerprint,
        "data_docs": str(data_docs_dir() / "index.html"),
        "elapsed_s": round(time.monotonic() - started, 2),
    }


def _run(args: argparse.Namespace) -> int:
    run_id = args.run_id or f"cli-{uuid.uuid4()}"
    outcome = validate_build(args.batch_date, run_id)
    shown = {k: v for k, v in outcome.items() if k not in ("gx_result_ids", "build_fingerprint")}
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    return 0 if outcome["success"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate the dbt build of a batch with the GX suites (blocking and warning)",
    )
    parser.add_argument("--batch-date", type=batch_date_arg, required=True, help="YYYY-MM-DD")
    parser.add_argument("--run-id", default=None, help="governance run id (default cli-<uuid>)")
    parser.set_defaults(func=_run)
