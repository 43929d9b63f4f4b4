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


def test_dbt_runs_in_cosmos_group_one_task_per_model(dagbag):
    dag = dagbag.dags["crm_governance"]
    # ephemeral models render as EmptyOperator: nothing runs, nothing writes
    dbt_tasks = [
        t for t in dag.tasks if t.task_id.startswith("dbt.") and t.task_type != "EmptyOperator"
    ]
    ids = {t.task_id for t in dbt_tasks}
    for model in ("customer_360", "marketing_audience", "marketing_message_log", "field_inventory"):
        assert any(i.startswith(f"dbt.{model}") for i in ids), ids
    assert {t.task_id: t.pool for t in dbt_tasks if t.pool != "duckdb_writer"} == {}
    builds = [t for t in dbt_tasks if t.task_type == "DbtBuildLocalOperator"]
    detached = [t for t in dbt_tasks if t.task_type == "DbtTestLocalOperator"]
    assert len(builds) + len(detached) == len(dbt_tasks)
    # tests spanning two models run as their own task once every parent is built
    assert detached and all(len(t.upstream_task_ids & ids) >= 2 for t in detached)
    first = [t for t in dbt_tasks if not (t.upstream_task_ids & ids)]
    assert all("dbt_prepare" in t.upstream_task_ids for t in first)
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
