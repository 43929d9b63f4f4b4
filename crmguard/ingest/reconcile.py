"""Reconciliation of a batch: counted = loaded + quarantined per file, recorded by one writer."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from crmguard.batch_date import canonical_batch_date, parse_batch_date
from crmguard.config import landing_contract
from crmguard.paths import PRIVATE_FILE_MODE, ensure_private_dir, layout
from crmguard.warehouse import connect


class ReconciliationError(RuntimeError):
    """Rows were lost or invented between the landing file and raw + quarantine."""

    def __init__(self, failures: list[dict]) -> None:
        self.failures = failures
        super().__init__(
            "reconciliation failed: "
            + "; ".join(
                f"{f['file']}: counted {f['rows_counted']}, loaded {f['rows_loaded']}, "
                f"quarantined {f['rows_quarantined']}, difference {difference(f)}"
                for f in failures
            )
        )


def difference(result: dict) -> int:
    """Counted rows not accounted for (negative: more rows out than came in)."""
    return (
        int(result["rows_counted"]) - int(result["rows_loaded"]) - int(result["rows_quarantined"])
    )


def check_file(result: dict) -> None:
    if difference(result) != 0:
        raise ReconciliationError([result])


_JSON = "reconciliation.json"

_TABLE = """
create table if not exists governance.reconciliation (
    batch_date date not null,
    source varchar not null,
    file varchar not null,
    format varchar,
    encoding varchar,
    encoding_decision varchar,
    rows_counted bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    difference bigint,
    quarantine_by_kind json,
    unknown_columns json,
    raw_path varchar,
    quarantine_path varchar,
    elapsed_s double,
    recorded_at timestamptz,
)
"""


_REFUSALS = """
create table if not exists governance.ingest_refusals (
    batch_date date not null,
    source varchar,
    file varchar,
    reason varchar not null,
    recorded_at timestamptz,
)
"""


def reconciliation_json(batch_date: str) -> Path:
    return layout().ingest_reports / f"batch_date={canonical_batch_date(batch_date)}" / _JSON


def invalidate_batch(batch_date: str) -> None:
    """Forget an earlier run's reconciliation of the batch before a new run writes anything.

    A run that then fails half-way leaves no reconciliation at all (the ingestion expectations
    fail closed on that) instead of the earlier one standing as if it described this run.
    """
    day = parse_batch_date(batch_date)
    reconciliation_json(batch_date).unlink(missing_ok=True)
    if not layout().warehouse_db.exists():
        return
    con = connect()
    try:
        con.execute(_TABLE)
        con.execute("delete from governance.reconciliation where batch_date = ?", [day])
    finally:
        con.close()


def record_batch(batch_date: str, results: list[dict], refused: list[dict] | None = None) -> dict:
    """Write the batch's reconciliation (warehouse + JSON), replacing earlier runs of it.

    ``refused``: files that were not ingested at all ({source, file, reason}); with the contract
    sources that delivered no file they make the batch incomplete (``summary["complete"]``).
    """
    day = parse_batch_date(batch_date)
    refused = sorted(refused or [], key=lambda r: (r.get("file") or "", r["reason"]))
    results = sorted(results, key=lambda r: r["file"])
    now = dt.datetime.now(dt.UTC)
    con = connect()
    try:
        con.execute(_TABLE)
        con.execute("begin transaction")
        con.execute("delete from governance.reconciliation where batch_date = ?", [day])
        for r in results:
            con.execute(
                "insert into governance.reconciliation values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    day,
                    r["source"],
                    r["file"],
                    r["format"],
                    r["encoding"],
                    r["encoding_decision"],
                    r["rows_counted"],
                    r["rows_loaded"],
                    r["rows_quarantined"],
                    difference(r),
                    json.dumps(r["quarantine_by_kind"]),
                    json.dumps(r["unknown_columns"], ensure_ascii=False),
                    r["raw_path"],
                    r["quarantine_path"],
                    r["elapsed_s"],
                    now,
                ],
            )
        con.execute(_REFUSALS)
        con.execute("delete from governance.ingest_refusals where batch_date = ?", [day])
        for r in refused:
            con.execute(
                "insert into governance.ingest_refusals values (?, ?, ?, ?, ?)",
                [day, r.get("source"), r.get("file"), r["reason"], now],
            )
        con.execute("commit")
    finally:
        con.close()
    present = {r["source"] for r in results} | {r["source"] for r in refused if r.get("source")}
    failures = [r for r in results if difference(r) != 0]
    summary = {
        "batch_date": batch_date,
        "files": len(results),
        "rows_counted": sum(r["rows_counted"] for r in results),
        "rows_loaded": sum(r["rows_loaded"] for r in results),
        "rows_quarantined": sum(r["rows_quarantined"] for r in results),
        "unknown_columns": {
            r["source"]: r["unknown_columns"] for r in results if r["unknown_columns"]
        },
        "missing_sources": sorted(set(landing_contract().sources) - present),
        "refused": refused,
    }
    summary["complete"] = not (summary["missing_sources"] or refused or failures)
    report = reconciliation_json(batch_date)
    folder = ensure_private_dir(report.parent)
    tmp = folder / f".{_JSON}.tmp"
    tmp.write_text(
        json.dumps({"summary": summary, "files": results}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    os.chmod(tmp, PRIVATE_FILE_MODE)
    tmp.replace(report)
    if failures:
        raise ReconciliationError(failures)
    return summary
