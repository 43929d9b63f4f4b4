"""crm_dsr: data-subject requests of one landed batch (wiring only).

intake (the batch's open ``dsr_requests`` → governance, deadline from the working-day
calendar) → suppress (erased customers delivered again are removed from the batch) → execute
(every identity-verified request: access package or erasure with its signed certificate).
Identity verification stays with a person (``crmguard dsr verify-identity``). Logic lives in
``crmguard.rights``; nothing heavy is imported at parse time.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

DUCKDB_WRITER_POOL = "duckdb_writer"  # crm.duckdb takes one writer at a time


@dag(
    dag_id="crm_dsr",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-protection", "retries": 1, "retry_delay": dt.timedelta(minutes=1)},
    tags=["crmguard", "pipl", "rights"],
    params={
        "batch_date": Param(
            None, type=["null", "string"], description="Batch date YYYY-MM-DD (default: ds)"
        ),
    },
    doc_md=__doc__,
)
def crm_dsr():
    @task
    def resolve_batch(params: dict | None = None, ds: str | None = None) -> str:
        return (params or {}).get("batch_date") or ds

    @task(pool=DUCKDB_WRITER_POOL)
    def intake(batch_date: str) -> int:
        from crmguard.rights.dsr import intake_landing

        return intake_landing(batch_date)

    @task(pool=DUCKDB_WRITER_POOL)
    def suppress(batch_date: str, received: int) -> int:
        from crmguard.rights.fulfil import suppress_batch

        return len(suppress_batch(batch_date))

    @task(pool=DUCKDB_WRITER_POOL)
    def execute(batch_date: str, suppressed: int) -> list[dict]:
        from crmguard.rights.dsr import pending
        from crmguard.rights.fulfil import execute as carry_out

        done = []
        for request_id in pending():
            result = carry_out(request_id, "crm_dsr", dt.date.fromisoformat(batch_date))
            done.append({"request_id": request_id, "status": result["status"]})
        return done

    batch_date = resolve_batch()
    execute(batch_date, suppress(batch_date, intake(batch_date)))


crm_dsr()
