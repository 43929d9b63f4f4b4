"""crm_governance: one batch of CRM exports from landing to the governed lake (wiring only).

Logic lives in importable packages (crmguard.ingest, classification, spark_jobs); this file only
wires tasks. Nothing heavy is imported or computed at parse time.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

DUCKDB_WRITER_POOL = "duckdb_writer"  # one slot: DuckDB files take one writer at a time

default_args = {
    "owner": "data-engineering",
    "retries": 1,
    "retry_delay": dt.timedelta(seconds=30),
}


@dag(
    dag_id="crm_governance",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["crmguard", "pipl"],
    params={
        "landing": Param(None, type=["null", "string"], description="Landing root folder"),
        "batch_date": Param(
            None, type=["null", "string"], description="Batch date YYYY-MM-DD (default: ds)"
        ),
    },
    doc_md=__doc__,
)
def crm_governance():
    @task
    def resolve_batch(params: dict | None = None, ds: str | None = None) -> dict:
        from crmguard.pipeline import resolve_batch as resolve

        return resolve(params or {}, ds)

    @task
    def discover(batch: dict) -> list[str]:
        from crmguard.ingest import discover_batch

        return [f["file"] for f in discover_batch(batch["landing"], batch["batch_date"])]

    @task(max_active_tis_per_dagrun=2)
    def ingest(file: str, batch: dict) -> dict:
        from crmguard.ingest import ingest_file

        from crmguard.pipeline import fail_on_data_error

        with fail_on_data_error():
            return ingest_file(batch["landing"], batch["batch_date"], file)

    @task(pool=DUCKDB_WRITER_POOL)
    def reconcile(batch: dict, results: list[dict]) -> dict:
        from crmguard.ingest import record_batch

        from crmguard.pipeline import fail_on_data_error

        with fail_on_data_error():
            return record_batch(batch["batch_date"], list(results))

    batch = resolve_batch()
    files = discover(batch)
    results = ingest.partial(batch=batch).expand(file=files)
    reconcile(batch, results)


crm_governance()
