"""End to end: `crmguard generate`, then `crmguard run` (the real DAG via `airflow dags test`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from crmguard.demo import batches_to_run

BATCH = "2026-11-20"
CRMGUARD = [sys.executable, "-m", "crmguard.cli"]


def _run_demo_batch(home: Path, violations: str) -> subprocess.CompletedProcess:
    """Generate a 200-customer batch (and its earlier extract, if planted) and run the DAG on
    each batch in order, as `make demo` does; returns the last run."""
    env = {**os.environ, "CRMGUARD_HOME": str(home)}
    env.pop("AIRFLOW_HOME", None)  # crmguard run uses its own project-local AIRFLOW_HOME
    env.pop("AIRFLOW__CORE__DAGS_FOLDER", None)
    landing = home / "landing"
    gen = [*CRMGUARD, "generate", "--out", str(landing), "--customers", "200", "--seed", "7",
           "--batch-date", BATCH, "--violations", violations]  # fmt: skip
    subprocess.run(gen, env=env, check=True, capture_output=True, text=True)
    # a development keyring, as `make demo` makes (production keys come from CRMGUARD_KEY_FILE)
    subprocess.run([*CRMGUARD, "keys", "init"], env=env, check=True, capture_output=True)
    for day in batches_to_run(landing, BATCH):
        run = subprocess.run(
            [*CRMGUARD, "run", "--landing", str(landing), "--batch-date", day],
            env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if run.returncode != 0:
            break
    return run


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The demo's batch: every rule's violations and near-misses planted."""
    home = tmp_path_factory.mktemp("e2e-home")
    return home, _run_demo_batch(home, "all")


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


@pytest.mark.slow
def test_run_builds_marts_without_clear_c1(demo_run):
    """The dbt task group ran: marts exist, and no raw mobile/resident ID/card reached them."""
    home, run = demo_run
    assert run.returncode == 0
    raw = home / "lake" / "raw" / "customers" / f"batch_date={BATCH}" / "*.parquet"
    with duckdb.connect(str(home / "warehouse" / "crm.duckdb"), read_only=True) as con:
        customers = con.execute(f"select count(*) from read_parquet('{raw}')").fetchone()[0]
        assert con.execute("select count(*) from marts.customer_360").fetchone()[0] == customers
        clear = {
            v
            for (row,) in con.execute(
                f"select [mobile, id_number, bank_card_no] from read_parquet('{raw}')"
            ).fetchall()
            for v in row
            if v
        }
        for table in ("customer_360", "marketing_audience", "marketing_message_log"):
            rows = con.execute(f"select * from marts.{table}").fetchall()
            cells = {str(c) for r in rows for c in r if c is not None}
            assert not (cells & clear), f"clear C1 value in marts.{table}"


@pytest.mark.slow
def test_no_key_material_in_airflow_logs(demo_run):
    home, run = demo_run
    keyring = json.loads((home / ".secrets" / "keyring.json").read_text())
    secrets = [v["master"] for v in keyring["keys"].values()] + [keyring["salt_index"]]
    logs = [p for p in (home / "airflow_home" / "logs").rglob("*") if p.is_file()]
    assert logs, "the DAG run left no logs to check"
    for path in logs:
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text and secret.upper() not in text, f"key material in {path}"
    assert all(secret not in run.stdout + run.stderr for secret in secrets)


@pytest.mark.slow
@pytest.mark.spark
def test_dbt_spark_target_on_the_demo_batch(demo_run, tmp_path: Path):
    """`dbt build --target spark` passes on the demo batch and links the same consents."""
    home, run = demo_run
    assert run.returncode == 0
    project = Path(__file__).parents[1] / "dbt_project"
    env = {**os.environ, "CRMGUARD_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    dbt = Path(sys.executable).with_name("dbt")
    build = subprocess.run(
        [str(dbt), "build", "--target", "spark", "--project-dir", str(project),
         "--profiles-dir", str(project), "--vars", f"{{batch_date: '{BATCH}'}}",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-4000:]
    spark_tables = home / ".spark" / "spark-warehouse" / "marts.db" / "marketing_message_log"
    query = "select message_id, consent_id from read_parquet(?) order by message_id"
    spark_rows = duckdb.connect().execute(query, [f"{spark_tables}/*.parquet"]).fetchall()
    with duckdb.connect(str(home / "warehouse" / "crm.duckdb"), read_only=True) as con:
        duck_rows = con.execute(
            "select message_id, consent_id from marts.marketing_message_log order by message_id"
        ).fetchall()
    assert spark_rows == duck_rows and len(duck_rows) > 0


@pytest.mark.slow
def test_findings_equal_planted_for_every_evaluated_rule(demo_run):
    """Per rule the models evaluate, the findings are exactly what the generator planted (keys
    included) and no near-miss is a finding. Rules without a model yet are `not_evaluated`."""
    home, run = demo_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    planted = json.loads((home / "landing" / BATCH / "expected.json").read_text())["violations"]
    with duckdb.connect(str(home / "warehouse" / "crm.duckdb"), read_only=True) as con:
        summary = dict(
            con.execute("select rule_id, status from marts.compliance_rule_summary").fetchall()
        )
        rows = con.execute("select rule_id, subject from marts.compliance_findings").fetchall()
    found: dict[str, set[str]] = {}
    for rule_id, subject in rows:
        found.setdefault(rule_id, set()).add(subject)
    evaluated = {r for r, status in summary.items() if status != "not_evaluated"}
    assert {"CONS-01", "MKT-01", "MKT-02"} <= evaluated
    assert summary["FIN-01"] == "not_evaluated"
    for rule_id in sorted(evaluated):
        expected = planted["rules"][rule_id]
        assert expected["count"] >= 1, f"{rule_id}: nothing planted at 200 customers"
        want, got = set(expected["subjects"]), found.get(rule_id, set())
        missing, unexpected = sorted(want - got), sorted(got - want)
        assert got == want, f"{rule_id}: missing {missing}, unexpected {unexpected}"
        near = set(expected["near_misses"]["subjects"])
        assert not (near & got), f"{rule_id}: near-misses reported {sorted(near & got)}"


@pytest.mark.slow
def test_batch_with_findings_is_validated_and_published(demo_run):
    """Findings in the customers' data never block: the planted batch publishes, and the
    analyst file holds the marts and the findings."""
    home, run = demo_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    warehouse = home / "warehouse"
    with duckdb.connect(str(warehouse / "crm.duckdb"), read_only=True) as con:
        log = con.execute(
            "select published, git_commit is not null, catalog_sha256 is not null"
            " from governance.publish_log where batch_date = ?",
            [BATCH],
        ).fetchall()
        blocking_failed = con.execute(
            "select count(*) from governance.validation_results"
            " where batch_date = ? and severity = 'blocking' and not success",
            [BATCH],
        ).fetchone()[0]
    assert log and log[-1][0] and log[-1][2], log
    assert blocking_failed == 0
    with duckdb.connect(str(warehouse / "marts.duckdb"), read_only=True) as con:
        findings = con.execute("select count(*) from marts.compliance_findings").fetchone()[0]
        assert con.execute("select count(*) from marts.customer_360").fetchone()[0] > 0
    assert findings > 0
    assert (warehouse / "marts.duckdb").stat().st_mode & 0o777 == 0o644
    assert (warehouse / "restricted.duckdb").stat().st_mode & 0o777 == 0o600
