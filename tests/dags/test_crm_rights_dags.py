"""crm_dsr and crm_retention parse cleanly, wire their tasks in order, and crm_dsr runs with
`airflow dags test` on the hand-made lake (intake, then the verified request carried out)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow

DAGS = Path(__file__).parents[2] / "dags"


def _bag(name: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS / name))
    assert bag.import_errors == {}
    return bag


def test_dsr_dag_graph() -> None:
    dag = _bag("crm_dsr.py").dags["crm_dsr"]
    edges = {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}
    assert {("resolve_batch", "intake"), ("intake", "suppress"), ("suppress", "execute")} <= edges
    assert dag.get_task("execute").pool == "duckdb_writer"


def test_retention_dag_graph() -> None:
    dag = _bag("crm_retention.py").dags["crm_retention"]
    edges = {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}
    assert ("plan", "apply_purge") in edges


@pytest.mark.slow
def test_dsr_dag_runs_a_verified_request(crmguard_home: Path, monkeypatch) -> None:
    """`airflow dags test crm_dsr` on the hand-made lake: R2 (access, identity verified
    beforehand) is carried out by the DAG; R1 (received, not verified) waits."""
    import json

    from crmguard import key_store
    from crmguard.pipeline import _airflow, airflow_env, prepare_airflow
    from crmguard.rights import dsr
    from tests.rights.lake_fixture import BATCH, build_lake

    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    build_lake(crmguard_home)
    dsr.intake_landing(BATCH)
    dsr.transition("R2", "verified", "ops.li", "ID checked")
    env = airflow_env()
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS / "crm_dsr.py")  # only this DAG is parsed
    prepare_airflow(env)
    conf = json.dumps({"batch_date": BATCH})
    proc = _airflow(
        ["dags", "test", "crm_dsr", f"{BATCH}T00:00:00+00:00", "--conf", conf],
        env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert dsr.get("R2")["status"] == "completed"
    assert Path(dsr.get("R2")["package_path"]).is_file()
    assert dsr.get("R1")["status"] == "received"
