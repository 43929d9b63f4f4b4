"""End to end: `crmguard generate`, then `crmguard run` (the real DAG via `airflow dags test`)."""

from __future__ import annotations

import json
import os
import re
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


# what others may read (layout.md): everything else the pipeline writes is owner-only
SHARED_PREFIXES = ("lake/protected/", "lake/catalog/", "reports/")
SHARED_FILES = {"warehouse/marts.duckdb"}


@pytest.mark.slow
def test_only_the_shared_files_are_readable_by_others(demo_run):
    """layout.md's "who may read": the pipeline runs with umask 077 and opens up exactly the
    protected lake, the catalog, marts.duckdb and reports/ — which others can also reach (the
    folders above them are traversable). DuckDB's WAL, Spark's part files, logs: owner-only."""
    home, run = demo_run
    assert run.returncode == 0
    readable, checked = [], 0
    for top in ("lake", "warehouse", "reports", "airflow_home", ".secrets"):
        for path in (home / top).rglob("*"):
            checked += 1
            rel = path.relative_to(home).as_posix()
            if path.is_file() and path.stat().st_mode & 0o004:
                readable.append(rel)
    assert checked > 100
    leaked = [r for r in readable if not (r.startswith(SHARED_PREFIXES) or r in SHARED_FILES)]
    assert leaked == [], leaked[:20]
    for shared in ("warehouse/marts.duckdb", "reports/compliance_report.html",
                   "lake/catalog/catalog.json"):  # fmt: skip
        assert shared in readable, f"{shared} is not readable by others"
        folder = (home / shared).parent
        while folder != home:
            assert folder.stat().st_mode & 0o001, f"{folder} cannot be traversed by others"
            folder = folder.parent
    assert any(r.startswith("lake/protected/") and r.endswith(".parquet") for r in readable)
    assert (home / "warehouse").stat().st_mode & 0o777 == 0o711  # reach by name, no listing


@pytest.mark.slow
def test_report_task_writes_the_auditors_report_and_evidence_verifies(demo_run, tmp_path):
    """The DAG's last task wrote the bilingual report with every rule of the pack; the evidence
    pack built from the same run verifies, and a tampered copy does not."""
    import zipfile

    from crmguard.config import compliance_rules

    home, run = demo_run
    assert run.returncode == 0
    html = (home / "reports" / "compliance_report.html").read_text(encoding="utf-8")
    for rule_id in compliance_rules().rules:
        assert rule_id in html, f"{rule_id} missing from the report"
    assert "合规" in html and "not evaluated" in html.lower()
    env = {**os.environ, "CRMGUARD_HOME": str(home)}
    pack = tmp_path / "evidence.zip"
    built = subprocess.run([*CRMGUARD, "evidence", "--batch-date", BATCH, "--out", str(pack)],
                           env=env, capture_output=True, text=True)  # fmt: skip
    assert built.returncode == 0, built.stderr
    ok = subprocess.run([*CRMGUARD, "evidence", "--verify", str(pack)], env=env,
                        capture_output=True, text=True)  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".html"):
                data = data.replace(b"</body>", b"<!-- edited --></body>")
            dst.writestr(item, data)
    bad = subprocess.run([*CRMGUARD, "evidence", "--verify", str(tampered)], env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode != 0


@pytest.mark.slow
def test_nothing_phones_home(demo_run):
    """No usage metrics or telemetry leave the machine during a run (cosmos, Airflow, dbt)."""
    home, run = demo_run
    assert run.returncode == 0
    text = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (home / "airflow_home" / "logs").rglob("*")
        if p.is_file()
    )
    for marker in ("scarf.sh", "Unable to emit usage metrics", "fishtownanalytics"):
        assert marker not in text, marker


@pytest.mark.slow
@pytest.mark.spark
def test_dbt_spark_target_on_the_demo_batch(demo_run, tmp_path: Path):
    """`dbt build --target spark` passes on the demo batch: every model and every unit test runs
    on Spark (the data tests judge data, which the DuckDB build checks), the consent lineage and
    the findings equal DuckDB's."""
    home, run = demo_run
    assert run.returncode == 0
    project = Path(__file__).parents[1] / "dbt_project"
    env = {**os.environ, "CRMGUARD_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    dbt = Path(sys.executable).with_name("dbt")
    build = subprocess.run(
        [str(dbt), "build", "--target", "spark", "--exclude-resource-type", "test",
         "--project-dir", str(project),
         "--profiles-dir", str(project), "--vars", f"{{batch_date: '{BATCH}'}}",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-4000:]
    # the run passed (return code 0), so every unit test it started passed on Spark
    assert len(re.findall(r"START unit_test ", build.stdout)) >= 20, build.stdout[-4000:]
    spark_tables = home / ".spark" / "spark-warehouse" / "marts.db" / "marketing_message_log"
    query = "select message_id, consent_id from read_parquet(?) order by message_id"
    spark_rows = duckdb.connect().execute(query, [f"{spark_tables}/*.parquet"]).fetchall()
    with duckdb.connect(str(home / "warehouse" / "crm.duckdb"), read_only=True) as con:
        duck_rows = con.execute(
            "select message_id, consent_id from marts.marketing_message_log order by message_id"
        ).fetchall()
    assert spark_rows == duck_rows and len(duck_rows) > 0
    # every rule model gives the same findings on both engines
    spark_findings = home / ".spark" / "spark-warehouse" / "marts.db" / "compliance_findings"
    query = "select rule_id, subject from read_parquet(?) order by all"
    spark_found = duckdb.connect().execute(query, [f"{spark_findings}/*.parquet"]).fetchall()
    with duckdb.connect(str(home / "warehouse" / "crm.duckdb"), read_only=True) as con:
        duck_found = con.execute(
            "select rule_id, subject from marts.compliance_findings order by all"
        ).fetchall()
    assert spark_found == duck_found and len(duck_found) > 0


def _as_subjects(rule: dict, keys: list[str]) -> set[str]:
    """Manifest keys as finding subjects: the generator names customers by customer_id, the
    findings by their token (computed with the keyring of the CRMGUARD_HOME in force)."""
    from crmguard import key_store

    def token(customer_id: str) -> str:
        return key_store.token_for(customer_id, "CUSTOMER_ID")

    out = set()
    for key in keys:
        if rule["subject_type"] == "customer":
            key = token(key)
        elif key.startswith("customers:"):
            key = "customers:" + token(key.split(":", 1)[1])
        out.add(key)
    return out


@pytest.mark.slow
def test_findings_equal_planted_for_every_evaluated_rule(demo_run, monkeypatch):
    """Per rule the models evaluate, the findings are exactly what the generator planted (keys
    included) and no near-miss is a finding. Every rule of the pack but FIN-01 is evaluated."""
    home, run = demo_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    monkeypatch.setenv("CRMGUARD_HOME", str(home))
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
    assert evaluated == set(planted["rules"]), sorted(set(planted["rules"]) ^ evaluated)
    assert summary["FIN-01"] == "not_evaluated"
    for rule_id in sorted(evaluated):
        expected = planted["rules"][rule_id]
        assert expected["count"] >= 1, f"{rule_id}: nothing planted at 200 customers"
        want = _as_subjects(expected, expected["subjects"])
        got = found.get(rule_id, set())
        missing, unexpected = sorted(want - got), sorted(got - want)
        assert got == want, f"{rule_id}: missing {missing}, unexpected {unexpected}"
        near = _as_subjects(expected, expected["near_misses"]["subjects"])
        assert not (near & got), f"{rule_id}: near-misses reported {sorted(near & got)}"


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A clean batch (`--violations none`) through the same DAG. Runs after the demo's, never
    beside it: the generated staging YAML and seeds live in the one dbt project of the checkout
    (one pipeline per checkout at a time, as the DuckDB writer pool assumes)."""
    home = tmp_path_factory.mktemp("e2e-clean")
    return home, _run_demo_batch(home, "none")


@pytest.mark.slow
def test_clean_batch_has_zero_findings(clean_run):
    """On a batch generated clean, every rule with data passes and no finding is reported: a
    rule model that flags healthy rows fails here, one that flags nothing fails above."""
    home, run = clean_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with duckdb.connect(str(home / "warehouse" / "marts.duckdb"), read_only=True) as con:
        findings = con.execute(
            "select rule_id, subject, evidence from compliance_findings order by all"
        ).fetchall()
        rows = con.execute("select rule_id, status from compliance_rule_summary").fetchall()
    summary = dict(rows)
    assert findings == []
    assert summary.pop("FIN-01") == "not_evaluated"
    assert set(summary.values()) <= {"pass", "not_evaluated"}
    assert list(summary.values()).count("pass") >= 20, summary


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
