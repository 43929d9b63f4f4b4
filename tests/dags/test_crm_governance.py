"""DAG integrity: crm_governance imports cleanly, has the expected graph, retries and pools."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAGS = Path(__file__).parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory):
    """The project's DAGs, parsed as Airflow does, after the dbt manifest cosmos reads is built."""
    import os

    from airflow.dag_processing.dagbag import DagBag

    from crmguard.pipeline import build_dbt_manifest

    home = tmp_path_factory.mktemp("dag-home")
    old = os.environ.get("CRMGUARD_HOME")
    os.environ["CRMGUARD_HOME"] = str(home)
    try:
        build_dbt_manifest({**os.environ})
    finally:
        if old is None:
            os.environ.pop("CRMGUARD_HOME")
        else:
            os.environ["CRMGUARD_HOME"] = old

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "crm_governance" in dagbag.dag_ids


def test_task_graph(dagbag):
    dag = dagbag.dags["crm_governance"]
    edges = {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}
    expected = {
        ("resolve_batch", "discover"),
        ("resolve_batch", "ingest"),
        ("discover", "ingest"),
        ("resolve_batch", "reconcile"),
        ("ingest", "reconcile"),
        ("reconcile", "classify"),
        ("classify", "protect_spec"),
        ("protect_spec", "protect"),
        ("protect", "dbt_prepare"),
        ("resolve_batch", "validate"),
        ("validate", "publish"),
        ("publish", "report"),
    }
    assert expected <= edges
    # validation waits for every dbt task (models, rule models and their tests)
    dbt_tasks = {t.task_id for t in dag.tasks if t.task_id.startswith("dbt.")}
    leaves = {t for t in dbt_tasks if not (dag.get_task(t).downstream_task_ids & dbt_tasks)}
    assert leaves and all("validate" in dag.get_task(t).downstream_task_ids for t in leaves)
    assert dag.params["batch_date"] is None and "landing" in dag.params


def test_retries_and_writer_pool(dagbag):
    dag = dagbag.dags["crm_governance"]
    for t in dag.tasks:
        assert t.retries >= 1, f"{t.task_id} has no retries"
    assert dag.get_task("reconcile").pool == "duckdb_writer"
    assert dag.get_task("classify").pool == "duckdb_writer"  # writes governance.catalog_history
    assert dag.get_task("validate").pool == "duckdb_writer"  # writes governance results
    assert dag.get_task("publish").pool == "duckdb_writer"  # swaps the published files
    assert dag.get_task("report").pool == "duckdb_writer"  # reads the governance history
    protect = dag.get_task("protect")
    assert protect.task_type == "SparkSubmitOperator"
    assert protect._conn_id == "spark_default"


def test_dbt_runs_as_one_build_with_a_task_per_model(dagbag):
    """Cosmos' watcher mode: one `dbt build` (the producer) and a sensor task per model and per
    model's tests, every one of them after the build (`dags test` runs tasks in no fixed
    order: a sensor started before the build would wait for ever)."""
    dag = dagbag.dags["crm_governance"]
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt.")]
    producer = dag.get_task("dbt.dbt_producer_watcher")
    assert producer.task_type == "DbtProducerWatcherOperator"
    assert producer.upstream_task_ids == {"dbt_prepare"}
    assert producer.pool == "duckdb_writer"  # the build writes warehouse/crm.duckdb
    assert [t.task_id for t in dbt_tasks if t.task_type == "DbtProducerWatcherOperator"] == [
        producer.task_id
    ]
    for model in ("customer_360", "marketing_audience", "marketing_message_log", "field_inventory"):
        assert dag.get_task(f"dbt.{model}.run").task_type == "DbtRunWatcherOperator"
        assert dag.get_task(f"dbt.{model}.test").task_type == "DbtTestWatcherOperator"

    def ancestors(task) -> set[str]:
        found, todo = set(), list(task.upstream_list)
        while todo:
            up = todo.pop()
            if up.task_id not in found:
                found.add(up.task_id)
                todo += up.upstream_list
        return found

    assert [
        t.task_id for t in dbt_tasks if t is not producer and producer.task_id not in ancestors(t)
    ] == []
    roots = [t for t in dbt_tasks if producer.task_id in t.upstream_task_ids]
    sensors = [t for t in roots if t.task_type.endswith("WatcherOperator")]
    assert sensors and {str(t.trigger_rule) for t in sensors} == {"all_done"}
    assert dag.get_task("ingest").pool != "duckdb_writer"  # mapped tasks write Parquet only


def test_no_work_at_parse_time():
    """Top-level imports of DAG files are only Airflow, the standard library and the light
    wiring module of the dbt task group (which imports cosmos when the group is built)."""
    allowed = {
        "__future__",
        "datetime",
        "sys",
        "pathlib",
        "airflow.sdk",
        "airflow.providers.apache.spark.operators.spark_submit",
        "crmguard.dbt_airflow",
    }
    for path in DAGS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                assert node.module in allowed, f"{path.name} imports {node.module} at top level"
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
                assert names <= allowed, f"{path.name} imports {names} at top level"
