"""JSONL ingestion, the independent count and the batch reconciliation record."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from crmguard.ingest import ReconciliationError, ingest_file, parse, record_batch
from crmguard.ingest.cli import register
from crmguard.paths import layout

BATCH = "2026-11-27"


def land(home: Path, name: str, data: bytes) -> None:
    folder = home / "landing" / BATCH
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def test_jsonl_malformed_lines_quarantined(crmguard_home: Path) -> None:
    lines = [
        '{"complaint_id": "K1", "customer_id": "C1", "severity": "HIGH", '
        '"customer_confirmed": true}',
        '{"complaint_id": "K2", "customer_id": ',  # truncated
        "",
        "[1, 2]",  # not an object
        '{"complaint_id": "K3", "customer_id": "C3", "category": "weather"}',  # invalid_enum
        '{"complaint_id": "K4", "customer_id": "C4", "wechat": "wx"}',
    ]
    land(crmguard_home, "complaints.jsonl", ("\n".join(lines) + "\n").encode())
    result = ingest_file(str(crmguard_home / "landing"), BATCH, "complaints.jsonl")
    assert result["format"] == "jsonl"
    assert (result["rows_counted"], result["rows_loaded"], result["rows_quarantined"]) == (5, 2, 3)
    assert result["quarantine_by_kind"] == {"invalid_enum": 1, "malformed_json": 2}
    assert result["unknown_columns"] == ["wechat"]
    con = duckdb.connect()
    q = con.execute(
        f"select line, kind, raw_text from "
        f"'{layout().quarantine_partition('complaints', BATCH)}/*.parquet' order by line"
    ).fetchall()
    assert q == [
        (2, "malformed_json", lines[1]),
        (4, "malformed_json", lines[3]),
        (5, "invalid_enum", lines[4]),
    ]
    raw = con.execute(
        f"select complaint_id, severity, customer_confirmed, wechat, _source_line from "
        f"'{layout().raw_partition('complaints', BATCH)}/*.parquet' order by _source_line"
    ).fetchall()
    assert raw == [("K1", "high", True, None, 1), ("K4", None, None, "wx", 6)]


def test_independent_count_is_quote_aware() -> None:
    from crmguard.ingest.formats import ingest_formats

    text = 'a,b\n1,"x\ny"\n\n2,"say ""hi"",\n and go"\n3,z\n'
    assert parse.count_csv_records(text, ingest_formats().csv) == 3


def test_reconciliation_catches_a_row_the_loader_drops(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    land(crmguard_home, "consents.csv", b"consent_id,customer_id\nK1,C1\nK2,C2\nK3,C3\n")
    real = parse.read_csv_duckdb

    def drops_one_row(*args, **kwargs):  # the parser loses the last record without a word
        return f"(select * from {real(*args, **kwargs)} where _line <> '4')"

    monkeypatch.setattr(parse, "read_csv_duckdb", drops_one_row)
    with pytest.raises(ReconciliationError) as err:
        ingest_file(str(crmguard_home / "landing"), BATCH, "consents.csv")
    message = str(err.value)
    assert "consents.csv" in message
    assert "counted 3, loaded 2, quarantined 0, difference 1" in message
    assert not layout().raw_partition("consents", BATCH).exists()  # nothing half-true written


def test_record_batch_is_idempotent_and_writes_json(crmguard_home: Path) -> None:
    land(crmguard_home, "consents.csv", b"consent_id,customer_id\nK1,C1\nK1,C1\n")
    land(crmguard_home, "customers.csv", "customer_id,微信\nC1,wx\n".encode())
    landing = str(crmguard_home / "landing")
    results = [ingest_file(landing, BATCH, f) for f in ("consents.csv", "customers.csv")]
    record_batch(BATCH, results)
    summary = record_batch(BATCH, results)
    assert summary["files"] == 2
    assert (summary["rows_counted"], summary["rows_loaded"], summary["rows_quarantined"]) == (
        3,
        2,
        1,
    )
    assert summary["unknown_columns"] == {"customers": ["微信"]}
    assert "orders" in summary["missing_sources"]
    con = duckdb.connect(str(layout().warehouse_db), read_only=True)
    rows = con.execute(
        "select file, rows_counted, rows_loaded, rows_quarantined, difference "
        "from governance.reconciliation order by file"
    ).fetchall()
    assert rows == [("consents.csv", 2, 1, 1, 0), ("customers.csv", 1, 1, 0, 0)]
    report = layout().ingest_reports / f"batch_date={BATCH}" / "reconciliation.json"
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["summary"] == summary
    assert [f["file"] for f in saved["files"]] == ["consents.csv", "customers.csv"]


def test_record_batch_fails_listing_every_failing_file(crmguard_home: Path) -> None:
    land(crmguard_home, "consents.csv", b"consent_id,customer_id\nK1,C1\n")
    ok = ingest_file(str(crmguard_home / "landing"), BATCH, "consents.csv")
    bad_a = {**ok, "file": "a.csv", "source": "a", "rows_counted": 5}
    bad_b = {**ok, "file": "b.csv", "source": "b", "rows_loaded": 3}
    with pytest.raises(ReconciliationError) as err:
        record_batch(BATCH, [ok, bad_a, bad_b])
    assert [f["file"] for f in err.value.failures] == ["a.csv", "b.csv"]
    assert "a.csv: counted 5" in str(err.value) and "difference -2" in str(err.value)
    # the failing reconciliation is still recorded, so the run log shows what broke
    con = duckdb.connect(str(layout().warehouse_db), read_only=True)
    assert con.execute("select count(*) from governance.reconciliation").fetchone() == (3,)


def test_cli_ingests_a_batch(crmguard_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    land(crmguard_home, "consents.csv", b"consent_id,customer_id\nK1,C1\n")
    land(crmguard_home, "expected.json", b"{}")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        ["ingest", "--landing", str(crmguard_home / "landing"), "--batch-date", BATCH]
    )
    # the other twelve contract sources delivered nothing: loaded what came, then exit 1
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "consents.csv" in out and "skipped (not sources): expected.json" in out
    assert "FAILED: missing sources: campaigns, complaints," in out
    assert "total: 1 files, counted 1, loaded 1, quarantined 0; batch INCOMPLETE" in out


def test_jsonl_line_with_undecodable_bytes_quarantined(crmguard_home: Path) -> None:
    first = '{"consent_id": "K1", "customer_id": "C1", "channel": "短信"}\n'.encode()
    bad = b'{"consent_id": "K2", "customer_id": "C2", "channel": "\xff"}\n'
    last = '{"consent_id": "K3", "customer_id": "C3", "channel": "邮件"}\n'.encode()
    land(crmguard_home, "consents.jsonl", first + bad + last)
    result = ingest_file(str(crmguard_home / "landing"), BATCH, "consents.jsonl")
    assert result["encoding"] == "utf-8"
    assert (result["rows_counted"], result["rows_loaded"]) == (3, 2)
    assert result["quarantine_by_kind"] == {"undecodable_bytes": 1}
    con = duckdb.connect()
    (row,) = con.execute(
        f"select line, reason from '{layout().quarantine_partition('consents', BATCH)}/*.parquet'"
    ).fetchall()
    offset = len(first) + bad.index(b"\xff")
    assert row == (2, f"undecodable bytes (utf-8) at byte offset {offset}")
