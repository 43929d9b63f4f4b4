"""Batch dates, landing discovery, the staging area and the batch lock (unit tier)."""

from __future__ import annotations

import argparse
import codecs
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from crmguard.batch_date import BatchDateError, batch_date_arg, parse_batch_date
from crmguard.ingest import LandingFileError, ingest_file
from crmguard.ingest.batch_lock import batch_lock
from crmguard.ingest.landing import scan_batch, sniff_binary
from crmguard.ingest.load import staging_area, sweep_orphans, write_partition
from crmguard.paths import layout
from crmguard.pipeline import DataError, resolve_batch

BATCH = "2026-11-20"


@pytest.mark.parametrize("good", ["2026-11-20", "2024-02-29", "0001-01-01"])
def test_canonical_dates_accepted(good: str) -> None:
    assert parse_batch_date(good).isoformat() == good


@pytest.mark.parametrize(
    "bad",
    ["20261120", "2026-W47-5", "2026-325", "yesterday", "2026-13-01", "2025-02-29", "../../etc",
     "/etc", "2026-11-20 ", "2026-11-20T00:00", "２０２６-１１-２０", "", None, "x" * 500],
)  # fmt: skip
def test_other_dates_refused_in_one_short_line(bad: object) -> None:
    with pytest.raises(BatchDateError) as err:
        parse_batch_date(bad)
    message = str(err.value)
    assert "\n" not in message and len(message) < 120 and "batch date" in message
    with pytest.raises(argparse.ArgumentTypeError):
        batch_date_arg(bad)  # type: ignore[arg-type]


def test_dag_and_ingest_file_use_the_same_parser(crmguard_home: Path) -> None:
    (crmguard_home / "landing" / "20261120").mkdir(parents=True)
    with pytest.raises(DataError, match="not YYYY-MM-DD"):
        resolve_batch({"landing": str(crmguard_home / "landing"), "batch_date": "20261120"}, None)
    with pytest.raises(BatchDateError):
        ingest_file(str(crmguard_home / "landing"), "20261120", "customers.csv")
    assert not (crmguard_home / "lake").exists()


def _day(home: Path) -> Path:
    day = home / "landing" / BATCH
    day.mkdir(parents=True, exist_ok=True)
    return day


def test_sniffing_text_and_binary() -> None:
    text = "customer_id,name\nC1,张三\n"
    assert sniff_binary(text.encode("utf-8")) is None
    assert sniff_binary(text.encode("gb18030")) is None
    assert sniff_binary(codecs.BOM_UTF8 + text.encode()) is None
    few_nuls = ("C1,a\n" * 2000 + "C2,\x00\n").encode()  # a record-level problem, not a file one
    assert sniff_binary(few_nuls) is None
    assert "UTF-16" in (sniff_binary(text.encode("utf-16")) or "")
    assert "ZIP" in (sniff_binary(b"PK\x03\x04rest") or "")
    assert "binary content" in (sniff_binary(random.Random(3).randbytes(4096)) or "")
    assert "binary content" in (sniff_binary(text.encode("utf-16-le")) or "")


def test_links_fifos_and_escaping_folders(crmguard_home: Path, tmp_path: Path) -> None:
    day = _day(crmguard_home)
    (day / "orders.csv").write_text("order_id\nO1\n")
    (day / "consents.csv").symlink_to(day / "orders.csv")  # inside the root: fine
    (day / "reviews.jsonl").symlink_to(tmp_path / "nowhere")  # dangling
    os.mkfifo(day / "contracts.csv")  # would block a reader forever
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("x\n")
    (day / "notes.txt").symlink_to(outside)  # not a source, still a link leaving the root
    (day / "extract.zip").write_bytes(b"PK\x03\x04")  # not a source and not read: skipped
    (day / "latest.zip").symlink_to(day / "extract.zip")
    scan = scan_batch(str(crmguard_home / "landing"), BATCH)
    assert scan.skipped == ["extract.zip", "latest.zip"]
    assert [f.file for f in scan.files] == ["consents.csv", "orders.csv"]
    reasons = {r.file: r.reason for r in scan.refused}
    assert reasons["reviews.jsonl"] == "broken or looping symbolic link"
    assert reasons["contracts.csv"] == "not a regular file"
    assert reasons["notes.txt"].startswith("symbolic link resolving outside the landing root")
    assert "customers" in scan.missing and not scan.complete

    escaped = crmguard_home / "landing" / "2026-11-21"
    escaped.symlink_to(tmp_path)
    with pytest.raises(LandingFileError, match="link leaving the landing root"):
        scan_batch(str(crmguard_home / "landing"), "2026-11-21")


def test_ingest_file_refuses_what_discovery_refuses(crmguard_home: Path) -> None:
    day = _day(crmguard_home)
    (day / "orders.csv").write_text("order_id\nO1\n")
    (day / "orders.CSV").write_text("order_id\nO2\n")
    with pytest.raises(LandingFileError, match="2 files deliver source orders"):
        ingest_file(str(crmguard_home / "landing"), BATCH, "orders.csv")
    assert not layout().raw_partition("orders", BATCH).exists()


def test_sweep_spares_live_staging_and_removes_a_killed_owners(crmguard_home: Path) -> None:
    code = (
        "import time; from crmguard.ingest.load import staging_area\n"
        "with staging_area() as f:\n"
        "    (f / 'decoded.csv').write_text('C1,张三')\n    print(f, flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    dead = Path(child.stdout.readline().strip())
    with staging_area() as live:
        assert sweep_orphans() == []  # the child is alive: its folder stays
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert sweep_orphans() == [str(dead)]
        assert live.is_dir() and not dead.exists()
    assert list(layout().staging.iterdir()) == []


def test_batch_lock_shared_holders_exclude_an_exclusive_one(crmguard_home: Path) -> None:
    code = (
        "import sys; from crmguard.ingest.batch_lock import batch_lock, BatchLocked\n"
        f"try:\n    with batch_lock('{BATCH}', wait_s=0): pass\n"
        "except BatchLocked as e:\n    print(e); sys.exit(3)\n"
    )
    with batch_lock(BATCH, exclusive=False):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 3 and "is being ingested by another process" in done.stdout
        with batch_lock(BATCH, exclusive=False):  # re-entrant in one process
            pass
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    with pytest.raises(BatchDateError), batch_lock("../x"):
        pass  # a lock file is never named from an unchecked date


def test_ingest_file_waits_for_a_cli_ingest_of_the_batch(crmguard_home: Path) -> None:
    (_day(crmguard_home) / "consents.csv").write_text("consent_id,customer_id\nK1,C1\n")
    code = (
        "import time; from crmguard.ingest.batch_lock import batch_lock\n"
        f"with batch_lock('{BATCH}'):\n    print('held', flush=True); time.sleep(2)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    result = ingest_file(str(crmguard_home / "landing"), BATCH, "consents.csv")
    waited = time.monotonic() - started
    assert holder.wait() == 0
    assert waited >= 1.0 and result["rows_loaded"] == 1  # ran after the holder, not beside it


def test_partition_swap_never_shows_two_copies_or_none(crmguard_home: Path) -> None:
    target = layout().raw_partition("consents", BATCH)
    small, large = pa.table({"k": list(range(10))}), pa.table({"k": list(range(1000))})
    write_partition(small, target)
    glob = str(target.parent / "*" / "*.parquet")
    seen: set[int] = set()
    stop = threading.Event()

    errors: list[str] = []

    def read() -> None:
        con = duckdb.connect()
        while not stop.is_set():
            try:
                seen.add(con.execute("select count(*) from read_parquet(?)", [glob]).fetchone()[0])
            except duckdb.Error as exc:  # e.g. "no files found" between two renames
                errors.append(str(exc).splitlines()[0])
        con.close()

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(30):
        write_partition(large if i % 2 == 0 else small, target)
    stop.set()
    reader.join()
    assert errors == [] and seen <= {10, 1000} and seen
    assert sorted(p.name for p in target.iterdir()) == ["part-0.parquet"]
    assert list(layout().staging.iterdir()) == []


def test_replacing_a_partition_never_moves_it_away(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old partition is exchanged with the new one in one step: there is no moment at which
    the target is renamed away and a reader finds no partition (or a retry writes a second)."""
    from crmguard.ingest import load

    target = layout().raw_partition("consents", BATCH)
    write_partition(pa.table({"k": [1]}), target)
    renamed_from: list[str] = []
    real = os.rename

    def spy(src, dst, *a, **kw):
        renamed_from.append(str(src))
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(load.os, "rename", spy)
    write_partition(pa.table({"k": [2, 3]}), target)
    assert str(target) not in renamed_from
    con = duckdb.connect()
    rows = con.execute("select k from read_parquet(?)", [str(target / "*.parquet")]).fetchall()
    assert rows == [(2,), (3,)]


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "--landing", "x"],
        ["run"],
        ["demo"],
        ["classify"],
        ["protect"],
        ["keys", "rotate"],
        ["validate"],
        ["publish"],
        ["report"],
        ["evidence"],
        ["dbt-meta"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_every_batch_date_option_uses_the_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from crmguard.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--batch-date", "../../etc"])
    assert exit_.value.code == 2
    errors = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert len(errors) == 1 and "batch date '../../etc' is not YYYY-MM-DD" in errors[0], errors


def test_generate_refuses_a_non_canonical_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crmguard.cli import main

    assert main(["generate", "--out", str(tmp_path), "--batch-date", "20261120"]) == 2
    assert "batch date '20261120' is not YYYY-MM-DD" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
