"""End to end: `crmguard generate`, then `crmguard run` (the real DAG via `airflow dags test`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

BATCH = "2026-11-20"
CRMGUARD = [sys.executable, "-m", "crmguard.cli"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    home = tmp_path_factory.mktemp("e2e-home")
    env = {**os.environ, "CRMGUARD_HOME": str(home)}
    env.pop("AIRFLOW_HOME", None)  # crmguard run uses its own project-local AIRFLOW_HOME
    env.pop("AIRFLOW__CORE__DAGS_FOLDER", None)
    landing = home / "landing"
    gen = [*CRMGUARD, "generate", "--out", str(landing), "--customers", "200", "--seed", "7",
           "--batch-date", BATCH]  # fmt: skip
    subprocess.run(gen, env=env, check=True, capture_output=True, text=True)
    # a development keyring, as `make demo` makes (production keys come from CRMGUARD_KEY_FILE)
    subprocess.run([*CRMGUARD, "keys", "init"], env=env, check=True, capture_output=True)
    run = subprocess.run(
        [*CRMGUARD, "run", "--landing", str(landing), "--batch-date", BATCH],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return home, run


@pytest.mark.slow
def test_run_succeeds_and_reconciles(demo_run):
    home, run = demo_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "state=success" in run.stdout

    manifest = json.loads((home / "landing" / BATCH / "expected.json").read_text())
    recon = json.loads(
        (home / "lake" / "ingest" / f"batch_date={BATCH}" / "reconciliation.json").read_text()
    )
    files = {f["file"]: f for f in recon["files"]}
    assert set(files) == set(manifest["files"])
    for name, expected in manifest["files"].items():
        got = files[name]
        assert got["rows_counted"] == got["rows_loaded"] + got["rows_quarantined"], name
        assert got["rows_loaded"] == expected["expected_loaded"], name
        assert got["rows_quarantined"] == expected["expected_quarantined"], name


@pytest.mark.slow
def test_run_writes_governance_tables_owner_only(demo_run):
    home, run = demo_run
    assert run.returncode == 0
    db = home / "warehouse" / "crm.duckdb"
    assert db.stat().st_mode & 0o077 == 0, "crm.duckdb must be 0600"
    assert (home / "lake" / "raw").stat().st_mode & 0o077 == 0, "raw must be 0700"
    with duckdb.connect(str(db), read_only=True) as con:
        n_files = con.execute(
            "select count(*) from governance.reconciliation where batch_date = ?", [BATCH]
        ).fetchone()[0]
    assert n_files == len(list((home / "landing" / BATCH).glob("*.*"))) - 1  # minus expected.json
