"""crm_governance: one batch of CRM exports from landing to published marts (wiring only).

resolve → discover → ingest (mapped) → reconcile → classify → protect (Spark) → dbt (cosmos:
staging, marts, rule models, tests) → validate (GX) → publish (write-audit-publish) → report
(the auditor's HTML report from the governance history).

Logic lives in importable packages (crmguard.ingest, classification, spark_jobs); this file only
wires tasks. Nothing heavy is imported or computed at parse time.
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Param, dag, task

from crmguard.dbt_airflow import dbt_task_group

DUCKDB_WRITER_POOL = "duckdb_writer"  # one slot: DuckDB files take one writer at a time
BATCH_DATE = "{{ ti.xcom_pull(task_ids='resolve_batch')['batch_date'] }}"

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
        "policy": Param("seed", enum=["seed", "jrt0171"], description="Classification profile"),
    },
    render_template_as_native_obj=True,  # the Spark submit spec arrives as dict/list via XCom
    doc_md=__doc__,
)
def crm_governance():
    @task
    def resolve_batch(params: dict | None = None, ds: str | None = None) -> dict:
        from crmguard.pipeline import resolve_batch as resolve

        return resolve(params or {}, ds)

    @task(pool=DUCKDB_WRITER_POOL)  # forgets the batch's earlier reconciliation first
    def discover(batch: dict) -> list[str]:
        from crmguard.ingest import discover_batch
        from crmguard.ingest.reconcile import invalidate_batch

        invalidate_batch(batch["batch_date"])
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
        from crmguard.ingest.landing import scan_batch
        from crmguard.pipeline import DataError, fail_on_data_error
        from crmguard.rights.correction import apply_corrections

        with fail_on_data_error():
            scan = scan_batch(batch["landing"], batch["batch_date"])
            refused = [r.as_dict() for r in scan.refused]
            summary = record_batch(batch["batch_date"], list(results), refused)
            if not summary["complete"]:  # recorded first, then fail closed
                raise DataError("; ".join(scan.problems()) or "batch incomplete")
        # data-subject corrections win over the delivered value until the source has it
        apply_corrections(batch["batch_date"])
        return summary

    @task(pool=DUCKDB_WRITER_POOL)
    def classify(batch: dict, ingested: dict) -> dict:
        from classification.catalog import classify_batch

        return classify_batch(batch["batch_date"], batch["policy"])

    @task
    def protect_spec(batch: dict, catalog: dict) -> dict:
        from spark_jobs.protect.submit import submit_spec

        spec = submit_spec(batch["batch_date"], batch["policy"])
        # driver_memory is not a templated operator field: pass it as conf (read by spark-submit)
        spec["conf"]["spark.driver.memory"] = spec.pop("driver_memory")
        return spec

    spec = "{{ ti.xcom_pull(task_ids='protect_spec') }}"
    protect = SparkSubmitOperator(
        task_id="protect",
        conn_id="spark_default",  # local[*] by default; point it at a cluster to scale out
        application=spec.replace("}}", "['application'] }}"),
        application_args=spec.replace("}}", "['application_args'] }}"),
        conf=spec.replace("}}", "['conf'] }}"),
        env_vars=spec.replace("}}", "['env_vars'] }}"),
        name="crmguard-protect",
    )

    @task(pool=DUCKDB_WRITER_POOL)
    def dbt_prepare(batch: dict) -> list[str]:
        from crmguard.classification_drift import record_drift
        from crmguard.dbt_meta import prepare_build
        from crmguard.rights.fulfil import suppress_batch

        suppress_batch(batch["batch_date"])  # erased customers the source delivered again
        written = prepare_build(batch["batch_date"])
        record_drift(batch["batch_date"])  # after protect: the batch's forms are known
        return [str(p) for p in written]

    marts = dbt_task_group("dbt", BATCH_DATE, DUCKDB_WRITER_POOL)

    @task(pool=DUCKDB_WRITER_POOL)
    def validate(batch: dict, run_id: str | None = None) -> dict:
        from expectations.validate import validate_build

        return validate_build(batch["batch_date"], run_id)

    @task(pool=DUCKDB_WRITER_POOL)
    def publish(batch: dict, validation: dict, run_id: str | None = None) -> dict:
        from crmguard.publish import publish as write_audit_publish

        # raises PublishBlocked naming each failed blocking expectation: the run fails and the
        # published marts stay untouched; findings in the customers' data never block
        return write_audit_publish(batch["batch_date"], run_id, validation)

    @task(pool=DUCKDB_WRITER_POOL)  # reads the governance history in crm.duckdb
    def report(batch: dict, published: dict, run_id: str | None = None) -> str:
        from crmguard.report.build import build_report

        return str(build_report(batch["batch_date"], run_id))

    batch = resolve_batch()
    files = discover(batch)
    results = ingest.partial(batch=batch).expand(file=files)
    ingested = reconcile(batch, results)
    catalog = classify(batch, ingested)
    protect_spec(batch, catalog) >> protect >> dbt_prepare(batch) >> marts
    validation = validate(batch)
    marts >> validation
    report(batch, publish(batch, validation))


crm_governance()
