"""Preflight of `crmguard run`: every problem found before any work, each with its fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from crmguard import key_store, preflight
from crmguard.paths import REPO_ROOT, Layout, layout
from crmguard.pipeline import run_dag
from crmguard.progress import Progress


@pytest.fixture
def batch(crmguard_home: Path) -> tuple[Path, str]:
    folder = crmguard_home / "landing" / "2026-11-20"
    folder.mkdir(parents=True)
    (folder / "customers.csv").write_text("customer_id\nC1\n", encoding="utf-8")
    return crmguard_home / "landing", "2026-11-20"


def test_missing_keyring_names_keys_init(batch):
    summary, problems = preflight.check_keyring()
    assert summary == "" and len(problems) == 1
    assert "crmguard keys init" in problems[0].fix
    assert str(key_store.key_file()) in problems[0].detail
    key_store.ensure_dev_keyring()
    summary, problems = preflight.check_keyring()
    assert problems == [] and "key version 1" in summary


def test_malformed_keyring_is_not_replaced(batch):
    key_store.ensure_dev_keyring()
    key_store.key_file().write_text("{not json", encoding="utf-8")
    _, problems = preflight.check_keyring()
    assert "malformed" in problems[0].detail and "restore" in problems[0].fix


def test_config_of_the_repository_is_valid():
    _, problems = preflight.check_config()
    assert problems == []
    on_disk = {p.name for p in (REPO_ROOT / "config").glob("*.yaml")}
    assert on_disk == set(preflight.CONFIG_LOADERS)  # every file has a loader that checks it


@pytest.fixture
def config_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", copy)
    monkeypatch.setattr(Layout, "config", property(lambda self: copy))
    return copy


def test_bad_config_named_with_file(config_copy: Path):
    org = config_copy / "organisation.yaml"
    org.write_text(org.read_text(encoding="utf-8") + "\nnot_a_setting: 1\n", encoding="utf-8")
    (config_copy / "stray.yaml").write_text("a: 1\n", encoding="utf-8")
    policy = config_copy / "policies" / "seed.yaml"
    policy.write_text("entities: [\n", encoding="utf-8")
    _, problems = preflight.check_config()
    text = "\n".join(str(p) for p in problems)
    assert "organisation.yaml" in text and "not_a_setting" in text
    assert "correct config/organisation.yaml" in text
    assert "stray.yaml: no loader validates this file" in text
    assert "correct config/policies/seed.yaml" in text


def test_landing_folder(batch, crmguard_home: Path):
    landing, day = batch
    summary, problems = preflight.check_landing(landing, day)
    assert problems == [] and "1 exports" in summary
    _, problems = preflight.check_landing(landing, "2026-11-21")
    assert "no landing folder for batch 2026-11-21" in problems[0].detail
    assert "2026-11-20" in problems[0].detail  # the batches that are there
    assert "--landing" in problems[0].fix
    (landing / "2026-11-22").mkdir()
    _, problems = preflight.check_landing(landing, "2026-11-22")
    assert "no .csv or .jsonl export" in problems[0].detail
    _, problems = preflight.check_landing(landing, "20261120")
    assert "YYYY-MM-DD" in problems[0].fix


def _fake_java(root: Path, version: str) -> Path:
    java = root / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2020-01-01' >&2\n")
    java.chmod(0o755)
    return root


def test_java_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path / "old", "11.0.2")))
    _, problems = preflight.check_java()
    assert "Java 11" in problems[0].detail and "17+" in problems[0].detail
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path / "eight", "1.8.0_292")))
    _, problems = preflight.check_java()
    assert "Java 8" in problems[0].detail
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path / "new", "21.0.1")))
    summary, problems = preflight.check_java()
    assert problems == [] and summary.startswith("java 21")
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    _, problems = preflight.check_java()
    assert "no java on PATH" in problems[0].detail and "openjdk-17" in problems[0].fix


def test_run_stops_before_any_work(batch, capsys):
    landing, _ = batch
    rc = run_dag(landing, "2026-11-21")  # no keyring, no such batch
    assert rc == 2
    err = capsys.readouterr().err
    assert "crmguard keys init" in err and "no landing folder for batch 2026-11-21" in err
    assert not layout().airflow_home.exists()  # Airflow was never touched
    assert not layout().lake.exists()


def test_progress_line_rows_rate_and_eta():
    now = [100.0]
    progress = Progress("protect", total_rows=1000, total_items=3, clock=lambda: now[0])
    now[0] = 102.0
    line = progress.item_done("customers", 400, 2.0)
    assert line == (
        "[progress] protect 1/3 customers: 400 rows in 2.0 s (200 rows/s); "
        "400 of 1,000 rows (40%) at 200 rows/s, ETA 3 s"
    )
    now[0] = 105.0
    line = progress.item_done("orders", 600, 3.0)
    assert line.endswith("1,000 of 1,000 rows (100%) at 200 rows/s, done")


def test_dbt_manifest_fingerprint_follows_project_inputs(tmp_path: Path):
    from crmguard.pipeline import dbt_project_fingerprint

    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "a.sql").write_text("select 1 as a\n", encoding="utf-8")
    env = {"CRMGUARD_HOME": "/data"}
    first = dbt_project_fingerprint(project, env)
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}", encoding="utf-8")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("x", encoding="utf-8")
    assert dbt_project_fingerprint(project, env) == first  # dbt's own outputs are not inputs
    (project / "models" / "a.sql").write_text("select 2 as a\n", encoding="utf-8")
    changed = dbt_project_fingerprint(project, env)
    assert changed != first
    (project / "models" / "b.sql").write_text("select 3 as b\n", encoding="utf-8")
    assert dbt_project_fingerprint(project, env) != changed
    assert dbt_project_fingerprint(project, {"CRMGUARD_HOME": "/other"}) != first


def test_run_echoes_task_outcomes_and_progress(tmp_path: Path, capsys):
    """`crmguard run` shows each finished task with its state and the progress lines of long
    stages while the DAG runs; the whole output goes to the log."""
    from crmguard.pipeline import _stream_airflow

    fake = tmp_path / "bin" / "airflow"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'noise line'\n"
        "echo '2026 [info] Task instance state updated [x] new_state=success rows_affected=1'\n"
        "echo '2026 [info] [DAG TEST] end task task_id=classify map_index=-1 [a.b] loc=dag.py:1'\n"
        "echo '2026 INFO [progress] protect 1/2 customers: 10 rows in 1.0 s "
        "[airflow.task.hooks.SparkSubmitHook] loc=spark_submit.py:965'\n"
        "echo '2026 [info] state updated new_state=failed'\n"
        "echo '2026 [info] [DAG TEST] end task task_id=validate map_index=-1'\n"
        "exit 3\n"
    )
    fake.chmod(0o755)
    log = tmp_path / "run.log"
    code, output = _stream_airflow(["dags", "test"], {"PATH": str(fake.parent)}, log)
    assert code == 3 and "noise line" in output and log.read_text() == output
    shown = capsys.readouterr().out.splitlines()
    assert [re.sub(r"^\[crmguard\]\s+(\d+s )?", "", line) for line in shown] == [
        "classify: success",
        "protect 1/2 customers: 10 rows in 1.0 s",
        "validate: failed",
    ]
