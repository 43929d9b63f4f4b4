"""Batch-level corpus: `crmguard ingest` as a process on a generated 300-customer batch, corrupted.

Each test lands the whole batch (so a clean run exits 0), breaks it the way a hostile or careless
export would, runs the real command with the usual umask 022, and checks: the exit code, a clear
message naming the file, no traceback, delivered = loaded + quarantined key by key for every file
that was accepted, no duplicates across a glob of raw, no temp files, 0600/0700 everywhere.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from crmguard.cli import main
from crmguard.ingest.batch_lock import batch_lock
from tests.crmguard.ingest_corpus.corpus import (
    BATCH,
    KEY_SHAPES,
    account,
    delivered_keys,
    leftovers,
    mode_problems,
    stored_keys,
)

pytestmark = pytest.mark.timeout(180)
# several ingest processes raced or killed on purpose: tens of seconds, so out of the unit tier
RACE = pytest.mark.slow


@pytest.fixture(scope="session")
def generated_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`crmguard generate --customers 300 --seed 1` once; tests copy it."""
    out = tmp_path_factory.mktemp("generated")
    args = ["generate", "--out", str(out), "--customers", "300", "--seed", "1"]
    assert main([*args, "--batch-date", BATCH]) == 0
    return out / BATCH


@pytest.fixture
def batch(generated_batch: Path, crmguard_home: Path) -> Path:
    day = crmguard_home / "landing" / BATCH
    shutil.copytree(generated_batch, day)
    return day


def ingest(home: Path, *extra: str, batch_date: str = BATCH, wait: bool = True):
    """`crmguard ingest` in its own process with umask 022 (it must set its own)."""
    cmd = [sys.executable, "-m", "crmguard.cli", "ingest", "--landing", str(home / "landing")]
    cmd += ["--batch-date", batch_date, *extra]
    env = {**os.environ, "CRMGUARD_HOME": str(home)}
    kw = dict(env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = subprocess.Popen(cmd, preexec_fn=lambda: os.umask(0o022), **kw)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def sound(home: Path, day: Path, run, refused: set[str] = frozenset()) -> None:
    """The checks every batch case shares."""
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    problems = []
    for path in sorted(day.iterdir()):
        source = path.name.partition(".")[0]
        if source not in KEY_SHAPES or source in refused or path.is_symlink():
            continue
        problems += account(home, source, delivered_keys(source, path.read_bytes()))
    assert problems == []
    for source in refused:  # a refused source loads nothing from this delivery
        assert stored_keys(home, source).raw_rows == []
    assert mode_problems(home) == []
    assert leftovers(home) == []


def reconciliation(home: Path) -> dict:
    path = home / "lake" / "ingest" / f"batch_date={BATCH}" / "reconciliation.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_ledger_agrees_with_the_generators_manifest(generated_batch: Path) -> None:
    manifest = json.loads((generated_batch / "expected.json").read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():
        keys = delivered_keys(entry["source"], (generated_batch / name).read_bytes())
        assert keys.total() == entry["records"], name


def test_clean_batch_then_rerun(crmguard_home: Path, batch: Path) -> None:
    for _ in range(2):  # the re-run replaces, never adds
        run = ingest(crmguard_home)
        assert run.returncode == 0, run.stdout + run.stderr
        sound(crmguard_home, batch, run)
    summary = reconciliation(crmguard_home)["summary"]
    assert summary["complete"] is True and summary["refused"] == []
    manifest = json.loads((batch / "expected.json").read_text(encoding="utf-8"))
    assert summary["rows_counted"] == sum(f["records"] for f in manifest["files"].values())


def test_two_files_for_one_source_refused(crmguard_home: Path, batch: Path) -> None:
    shutil.copy(batch / "customers.csv", batch / "customers.CSV")
    lines = (batch / "reviews.jsonl").read_bytes().splitlines(keepends=True)
    (batch / "reviews.JSONL").write_bytes(b"".join(lines[:10]))
    run = ingest(crmguard_home)
    assert run.returncode == 1
    for name in ("customers.csv", "customers.CSV", "reviews.jsonl", "reviews.JSONL"):
        assert f"REFUSED: {batch / name}: 2 files deliver source" in run.stdout, run.stdout
    sound(crmguard_home, batch, run, refused={"customers", "reviews"})
    summary = reconciliation(crmguard_home)["summary"]
    assert summary["complete"] is False
    assert sorted(r["file"] for r in summary["refused"]) == [
        "customers.CSV", "customers.csv", "reviews.JSONL", "reviews.jsonl"
    ]  # fmt: skip
    # the blocking ingestion expectations see the refused sources as unaccounted for
    from crmguard.warehouse import connect
    from expectations.frames import ingestion_frame

    con = connect()
    frame = ingestion_frame(con, BATCH).set_index("source")
    con.close()
    assert not frame.loc["customers", "has_reconciliation_row"]
    assert not frame.loc["reviews", "has_reconciliation_row"]
    assert frame.drop(index=["customers", "reviews"])["has_reconciliation_row"].all()


def test_binary_and_zip_refused_rest_goes_on(crmguard_home: Path, batch: Path) -> None:
    (batch / "orders.csv").write_bytes(random.Random(1).randbytes(200_000))
    original = (batch / "campaigns.csv").read_bytes()
    with zipfile.ZipFile(batch / "campaigns.csv", "w") as zf:
        zf.writestr("campaigns.csv", original)
    run = ingest(crmguard_home)
    assert run.returncode == 1
    assert f"REFUSED: {batch / 'campaigns.csv'}: a ZIP archive" in run.stdout
    assert f"REFUSED: {batch / 'orders.csv'}: binary content" in run.stdout
    sound(crmguard_home, batch, run, refused={"orders", "campaigns"})
    assert stored_keys(crmguard_home, "customers").raw.total() == 300  # the rest went on


def test_symlink_out_of_the_landing_root_not_followed(
    crmguard_home: Path, batch: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "private" / "id_ed25519"
    secret.parent.mkdir()
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\npassword=hunter2\n")
    (batch / "reviews.jsonl").unlink()
    (batch / "reviews.jsonl").symlink_to(secret)
    run = ingest(crmguard_home)
    assert run.returncode == 1
    assert f"{batch / 'reviews.jsonl'}: symbolic link resolving outside" in run.stdout
    sound(crmguard_home, batch, run, refused={"reviews"})
    con = duckdb.connect()
    q = crmguard_home / "lake" / "quarantine" / "*" / "*" / "*.parquet"
    texts = con.execute("select string_agg(raw_text, '') from read_parquet(?)", [str(q)])
    assert "hunter2" not in (texts.fetchone()[0] or "")


def test_missing_and_misnamed_sources_exit_1(crmguard_home: Path, batch: Path) -> None:
    (batch / "dsr_requests.csv").unlink()
    (batch / "security_incidents.csv").rename(batch / "Security_Incidents.csv")
    run = ingest(crmguard_home)
    assert run.returncode == 1
    assert "FAILED: missing sources: dsr_requests" in run.stdout
    assert (
        f"REFUSED: {batch / 'Security_Incidents.csv'}: mis-named source file: expected "
        "security_incidents.csv or security_incidents.jsonl"
    ) in run.stdout
    sound(crmguard_home, batch, run, refused={"security_incidents"})
    summary = reconciliation(crmguard_home)["summary"]
    assert summary["missing_sources"] == ["dsr_requests"] and not summary["complete"]


BAD_DATES = ["20261120", "2026-W47-5", "yesterday", "2026-13-01", "2026-02-30", "../../etc",
             "/etc", "２０２６-11-20", ""]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_DATES)
def test_bad_batch_date_one_line_no_listing(crmguard_home: Path, batch: Path, bad: str) -> None:
    run = ingest(crmguard_home, batch_date=bad)
    assert run.returncode == 2
    errors = [ln for ln in run.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1 and "batch date" in errors[0] and "Traceback" not in run.stderr
    assert "passwd" not in run.stdout + run.stderr  # no listing of /etc
    assert not (crmguard_home / "lake").exists()  # nothing written


def test_failed_rerun_replaces_the_earlier_reconciliation(crmguard_home: Path, batch: Path) -> None:
    assert ingest(crmguard_home).returncode == 0
    assert reconciliation(crmguard_home)["summary"]["complete"] is True
    (batch / "customers.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    run = ingest(crmguard_home)
    assert run.returncode == 1
    summary = reconciliation(crmguard_home)["summary"]
    assert summary["complete"] is False
    assert [r["file"] for r in summary["refused"]] == ["customers.csv"]
    con = duckdb.connect(str(crmguard_home / "warehouse" / "crm.duckdb"), read_only=True)
    files = con.execute("select file from governance.ingest_refusals").fetchall()
    assert files == [("customers.csv",)]


@RACE
def test_killed_ingest_then_rerun(crmguard_home: Path, batch: Path) -> None:
    # a legacy orphan of the old in-zone temp folders, with a plaintext decoded copy
    legacy = crmguard_home / "lake" / "raw" / "customers" / f".batch_date={BATCH}.tmp-dead"
    legacy.mkdir(parents=True)
    (legacy / "part-0.parquet").write_bytes(b"PAR1")
    (legacy / "decoded.csv").write_text("C00000001,name\n")
    rng = random.Random(19)
    for _ in range(4):
        proc = ingest(crmguard_home, wait=False)
        time.sleep(rng.uniform(0.6, 2.2))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    run = ingest(crmguard_home)
    assert run.returncode == 0, run.stdout + run.stderr
    sound(crmguard_home, batch, run)
    assert reconciliation(crmguard_home)["summary"]["complete"] is True


@RACE
def test_concurrent_ingests_serialised(crmguard_home: Path, batch: Path, tmp_path: Path) -> None:
    logs = [tmp_path / f"ingest-{i}.err" for i in range(2)]
    env = {**os.environ, "CRMGUARD_HOME": str(crmguard_home)}
    cmd = [sys.executable, "-m", "crmguard.cli", "ingest", "--landing"]
    cmd += [str(crmguard_home / "landing"), "--batch-date", BATCH]
    with batch_lock(BATCH):  # both start while the batch is taken, whatever the machine's load
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
            for log in logs
        ]
        deadline = time.monotonic() + 90
        while not all("waiting for the ingest" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text()[-500:] for log in logs]
            assert all(p.poll() is None for p in procs), "an ingest ran beside the lock holder"
            time.sleep(0.1)
    outs = [p.communicate(timeout=120)[0] for p in procs]
    errs = [log.read_text() for log in logs]
    assert [p.returncode for p in procs] == [0, 0], [e[-800:] for e in errs]
    for out, err in zip(outs, errs, strict=True):
        assert f"waiting for the ingest (pid {os.getpid()})" in err
        sound(crmguard_home, batch, subprocess.CompletedProcess(cmd, 0, out, err))


def test_second_ingest_refused_when_told_not_to_wait(crmguard_home: Path, batch: Path) -> None:
    with batch_lock(BATCH):
        run = ingest(crmguard_home, "--lock-wait", "0")
    assert run.returncode == 1
    assert f"batch {BATCH} is being ingested by another process (pid {os.getpid()}" in run.stderr
    assert "Traceback" not in run.stderr
    assert not list((crmguard_home / "lake").glob("raw/*"))


def test_home_with_a_quote(tmp_path: Path, generated_batch: Path, monkeypatch) -> None:
    home = tmp_path / "o'brien's home"
    day = home / "landing" / BATCH
    shutil.copytree(generated_batch, day)
    monkeypatch.setenv("CRMGUARD_HOME", str(home))
    run = ingest(home)
    assert run.returncode == 0, run.stdout + run.stderr
    sound(home, day, run)
    # the readers of raw that build SQL from paths (expectations, dbt's external locations)
    from crmguard.warehouse import connect
    from expectations.frames import ingestion_frame

    con = connect()
    frame = ingestion_frame(con, BATCH)
    con.close()
    assert frame["raw_rows_match"].all() and len(frame) == 13
    import jinja2

    from crmguard.dbt_meta import _external_location

    location = jinja2.Template(_external_location("raw")).render(env_var=os.environ.get)
    sql = f"select count(*) from {location.format(name='customers')}"
    assert duckdb.connect().execute(sql).fetchone() == (300,)


def test_a_file_the_parser_chokes_on_is_refused_alone(crmguard_home: Path, batch: Path) -> None:
    # lone CR line ends and a 200 kB field: whatever the record pipeline makes of them, the
    # batch goes on and says which file failed and why, in one line
    messages = batch / "marketing_messages.csv"
    messages.write_bytes(messages.read_bytes().replace(b"\n", b"\r"))
    orders = (batch / "orders.csv").read_bytes().split(b"\n")
    orders[5] = orders[5].replace(b",general,", b",general" + b"x" * 200_000 + b",", 1)
    (batch / "orders.csv").write_bytes(b"\n".join(orders))
    run = ingest(crmguard_home)
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    summary = reconciliation(crmguard_home)["summary"]
    failed = {r["source"] for r in summary["refused"]}
    loaded = {r["source"] for r in reconciliation(crmguard_home)["files"]}
    assert failed | loaded == set(KEY_SHAPES) and not failed & loaded
    assert run.returncode == (1 if failed else 0)
    for r in summary["refused"]:
        assert f"REFUSED: {batch / r['file']}" in run.stdout and "\n" not in r["reason"]
    sound(crmguard_home, batch, run, refused=failed)


@RACE
def test_concurrent_ingests_of_two_batches(crmguard_home: Path, batch: Path) -> None:
    # both write crm.duckdb (invalidate, then record); DuckDB refuses a second writer at once
    other = "2026-11-21"
    shutil.copytree(batch, batch.parent / other)
    for _ in range(2):
        procs = [
            ingest(crmguard_home, wait=False),
            ingest(crmguard_home, batch_date=other, wait=False),
        ]
        runs = [subprocess.CompletedProcess(p.args, 0, *p.communicate(timeout=120)) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [r.stderr[-800:] for r in runs]
    con = duckdb.connect(str(crmguard_home / "warehouse" / "crm.duckdb"), read_only=True)
    per_batch = con.execute(
        "select batch_date::varchar, count(*) from governance.reconciliation group by 1 order by 1"
    ).fetchall()
    assert per_batch == [(BATCH, 13), (other, 13)]
