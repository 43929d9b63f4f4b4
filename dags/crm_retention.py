"""crm_retention: the retention purge as of the run date (wiring only).

plan (dry run: what would go per source, what is held or inside its minimum) → purge (rows past
their maximum and not held leave raw, restricted, protected and quarantine; a signed
certificate in reports/certificates/). Policy: ``config/rights.yaml``; logic:
``crmguard.rights.retention``.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

DUCKDB_WRITER_POOL = "duckdb_writer"


@dag(
    dag_id="crm_retention",
    schedule="@weekly",
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-protection", "retries": 0},
    tags=["crmguard", "pipl", "retention"],
    params={
        "as_of": Param(None, type=["null", "string"], description="YYYY-MM-DD (default: ds)"),
        "apply": Param(True, type="boolean", description="false: report only (dry run)"),
    },
    doc_md=__doc__,
)
def crm_retention():
    @task
    def plan(params: dict | None = None, ds: str | None = None) -> dict:
        from crmguard.rights.retention import purge

        as_of = dt.date.fromisoformat((params or {}).get("as_of") or ds)
        return purge(as_of, apply=False)

    @task(pool=DUCKDB_WRITER_POOL)
    def apply_purge(report: dict, params: dict | None = None) -> dict:
        from crmguard.rights.retention import purge

        if not (params or {}).get("apply", True):
            return report
        return purge(dt.date.fromisoformat(report["as_of"]), apply=True)

    apply_purge(plan())


crm_retention()
