"""DAG integrity: crm_governance imports cleanly, has the expected graph, retries and pools."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAGS = Path(__file__).parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

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
    }
    assert expected <= edges
    assert dag.params["batch_date"] is None and "landing" in dag.params


def test_retries_and_writer_pool(dagbag):
    dag = dagbag.dags["crm_governance"]
    for t in dag.tasks:
        assert t.retries >= 1, f"{t.task_id} has no retries"
    assert dag.get_task("reconcile").pool == "duckdb_writer"
    assert dag.get_task("ingest").pool != "duckdb_writer"  # mapped tasks write Parquet only


def test_no_work_at_parse_time():
    """Top-level imports of DAG files are only Airflow and the standard library."""
    allowed = {"__future__", "datetime", "airflow.sdk"}
    for path in DAGS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                assert node.module in allowed, f"{path.name} imports {node.module} at top level"
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
                assert names <= allowed, f"{path.name} imports {names} at top level"
