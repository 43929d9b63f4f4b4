"""Ingestion of CSV landing files: encodings, parsing, normalisation, quarantine, lineage."""

from __future__ import annotations

import datetime as dt
import os
import stat
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from crmguard.ingest import discover_batch, ingest_file
from crmguard.paths import layout

BATCH = "2026-11-27"
CUSTOMER_HEADER = (
    "customer_id,name,id_type,mobile,birth_date,credit_score,annual_income,status,updated_at"
)


def land(home: Path, name: str, data: bytes) -> Path:
    folder = home / "landing" / BATCH
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def ingest(home: Path, name: str) -> dict:
    return ingest_file(str(home / "landing"), BATCH, name)


def raw_rows(source: str, columns: str = "*") -> list[dict]:
    part = layout().raw_partition(source, BATCH)
    con = duckdb.connect()
    cur = con.execute(
        f"select {columns} from read_parquet('{part}/*.parquet') order by _source_line"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def quarantine_rows(source: str) -> list[dict]:
    part = layout().quarantine_partition(source, BATCH)
    con = duckdb.connect()
    cur = con.execute(f"select * from read_parquet('{part}/*.parquet') order by line")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def customers_csv(*rows: str, header: str = CUSTOMER_HEADER, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


def test_gb18030_file_is_detected_and_decoded(crmguard_home: Path) -> None:
    text = customers_csv("C1,王小明,RESIDENT_ID,13800000000,1990-01-02,700,1000.50,active,")
    land(crmguard_home, "customers.csv", text.encode("gb18030"))
    result = ingest(crmguard_home, "customers.csv")
    assert result["encoding"] == "gb18030"
    assert result["encoding_decision"] == "strict-gb18030"
    assert [r["name"] for r in raw_rows("customers")] == ["王小明"]


def test_bom_is_stripped_so_first_header_is_recognised(crmguard_home: Path) -> None:
    text = customers_csv("C1,李四,PASSPORT,,,,,active,")
    land(crmguard_home, "customers.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = ingest(crmguard_home, "customers.csv")
    assert "BOM" in result["encoding_decision"]
    assert result["unknown_columns"] == []
    assert [r["customer_id"] for r in raw_rows("customers")] == ["C1"]


def test_mostly_utf8_file_quarantines_only_records_with_bad_bytes(crmguard_home: Path) -> None:
    good = [f"C{i},客户{i}号,PASSPORT,,,,,active," for i in range(1, 6)]
    prefix = (CUSTOMER_HEADER + "\n" + "\n".join(good[:2]) + "\n").encode("utf-8")
    bad = b"C9,\xff\xfe bad,PASSPORT,,,,,active,\n"
    suffix = ("\n".join(good[2:]) + "\n").encode("utf-8")
    land(crmguard_home, "customers.csv", prefix + bad + suffix)
    result = ingest(crmguard_home, "customers.csv")
    assert result["encoding"] == "utf-8"
    assert result["encoding_decision"].startswith("mostly-utf-8")
    assert result["rows_loaded"] == 5
    assert result["quarantine_by_kind"] == {"undecodable_bytes": 1}
    (q,) = quarantine_rows("customers")
    assert q["line"] == 4
    assert q["reason"] == f"undecodable bytes (utf-8) at byte offset {len(prefix) + 3}"
    assert [r["name"] for r in raw_rows("customers")] == [f"客户{i}号" for i in range(1, 6)]


def test_every_csv_bad_row_kind_is_quarantined_with_reason(crmguard_home: Path) -> None:
    rows = [
        "C1,ok,PASSPORT,,1990-01-02,700,12.50,active,2026-01-01 08:00:00",
        "C2,ragged,PASSPORT,,,",  # ragged_row
        "C3,d,PASSPORT,,1990-13-40,,,active,",  # invalid_date
        "C4,t,PASSPORT,,,,,active,yesterday",  # invalid_timestamp
        "C5,e,ALIEN,,,,,active,",  # invalid_enum
        "C6,c,PASSPORT,,,7x,,active,",  # cast_error (integer)
        "C7,m,PASSPORT,,,,1.234,active,",  # cast_error (decimal scale)
        ",r,PASSPORT,,,,,active,",  # missing_required
        "C1,dup,PASSPORT,,,,,active,2025-01-01 08:00:00",  # duplicate_key (older)
    ]
    land(crmguard_home, "customers.csv", customers_csv(*rows).encode())
    result = ingest(crmguard_home, "customers.csv")
    assert result["rows_counted"] == 9
    assert result["rows_loaded"] == 1
    assert result["rows_quarantined"] == 8
    assert result["quarantine_by_kind"] == {
        "cast_error": 2,
        "duplicate_key": 1,
        "invalid_date": 1,
        "invalid_enum": 1,
        "invalid_timestamp": 1,
        "missing_required": 1,
        "ragged_row": 1,
    }
    by_line = {q["line"]: q for q in quarantine_rows("customers")}
    assert by_line[3]["kind"] == "ragged_row" and "Found: 6" in by_line[3]["reason"]
    assert (
        by_line[4]["reason"]
        == "column birth_date: value '1990-13-40' is not a date (expected YYYY-MM-DD)"
    )
    assert "column updated_at: value 'yesterday'" in by_line[5]["reason"]
    assert "column id_type: value 'ALIEN' is not one of" in by_line[6]["reason"]
    assert by_line[7]["reason"] == "column credit_score: value '7x' is not an integer"
    assert "more than 2 decimal places" in by_line[8]["reason"]
    assert by_line[9]["reason"] == "column customer_id: required, empty"
    assert by_line[10]["kind"] == "duplicate_key"
    assert by_line[10]["raw_text"] == rows[-1]
    assert all(q["file"] == "customers.csv" for q in by_line.values())
    assert all(q["batch_date"] == dt.date(2026, 11, 27) for q in by_line.values())
    # the key as delivered, where the parser read it (retention rules must not call it deleted)
    assert {line: q["record_key"] for line, q in by_line.items()} == {
        3: None, 4: "C3", 5: "C4", 6: "C5", 7: "C6", 8: "C7", 9: None, 10: "C1",
    }  # fmt: skip


def test_integer_range_from_contract(crmguard_home: Path) -> None:
    header = "review_id,customer_id,rating"
    land(crmguard_home, "reviews.csv", f"{header}\nR1,C1,5\nR2,C1,6\nR3,C1,０\n".encode())
    result = ingest(crmguard_home, "reviews.csv")
    assert result["rows_loaded"] == 1
    reasons = [q["reason"] for q in quarantine_rows("reviews")]
    assert reasons == [
        "column rating: value '6' is above the maximum 5",
        "column rating: value '０' is below the minimum 1",
    ]


def test_chinese_comma_and_fullwidth_quote_do_not_split_fields(crmguard_home: Path) -> None:
    rows = ['C1,"张三，先生",PASSPORT,,,,,active,', "C2,王＂五＂，经理,PASSPORT,,,,,active,"]
    land(crmguard_home, "customers.csv", customers_csv(*rows).encode())
    result = ingest(crmguard_home, "customers.csv")
    assert result["rows_quarantined"] == 0
    assert [r["name"] for r in raw_rows("customers")] == ["张三，先生", "王＂五＂，经理"]


def test_fullwidth_digits_normalised_in_identifiers_but_text_kept(crmguard_home: Path) -> None:
    rows = ["Ｃ１２,ＡＢＣ　１２３,passport,１３８００００００００,,７００,１２.５,ACTIVE,"]
    land(crmguard_home, "customers.csv", customers_csv(*rows).encode())
    ingest(crmguard_home, "customers.csv")
    (row,) = raw_rows("customers")
    assert row["customer_id"] == "C12"
    assert row["mobile"] == "13800000000"
    assert row["credit_score"] == 700
    assert row["annual_income"] == Decimal("12.50")
    assert row["id_type"] == "PASSPORT"
    assert row["status"] == "active"
    assert row["name"] == "ＡＢＣ　１２３"


def test_embedded_newline_and_stray_cr_line_ends(crmguard_home: Path) -> None:
    rows = ['C1,"第一行\n第二行",PASSPORT,,,,,active,', "C2,二,PASSPORT,,,,,active,"]
    data = (CUSTOMER_HEADER + "\r\r\n" + rows[0] + "\r\r\n" + rows[1] + "\r\r\n").encode()
    land(crmguard_home, "customers.csv", data)
    result = ingest(crmguard_home, "customers.csv")
    assert (result["rows_counted"], result["rows_loaded"], result["rows_quarantined"]) == (2, 2, 0)
    got = raw_rows("customers", "customer_id, name, status, _source_file, _source_line")
    assert [(r["customer_id"], r["name"], r["status"], r["_source_line"]) for r in got] == [
        ("C1", "第一行\n第二行", "active", 2),
        ("C2", "二", "active", 4),
    ]
    assert got[0]["_source_file"] == "customers.csv"


def test_timestamps_naive_are_shanghai_and_offsets_honoured(crmguard_home: Path) -> None:
    rows = [
        "C1,a,PASSPORT,,,,,active,2026-01-01 08:00:00",
        "C2,b,PASSPORT,,,,,active,2026-01-01T08:00:00+00:00",
    ]
    land(crmguard_home, "customers.csv", customers_csv(*rows).encode())
    ingest(crmguard_home, "customers.csv")
    part = layout().raw_partition("customers", BATCH)
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    types = dict(
        con.execute(
            f"select column_name, column_type from (describe '{part}/part-0.parquet')"
        ).fetchall()
    )
    assert types["updated_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["annual_income"] == "DECIMAL(18,2)"
    assert types["_batch_date"] == "DATE"
    got = con.execute(
        f"select strftime(updated_at, '%Y-%m-%d %H:%M') from '{part}/part-0.parquet' "
        "order by customer_id"
    ).fetchall()
    assert got == [("2026-01-01 00:00",), ("2026-01-01 08:00",)]


def test_duplicate_key_latest_updated_at_wins(crmguard_home: Path) -> None:
    rows = [
        "C1,newest,PASSPORT,,,,,active,2026-03-01 00:00:00",
        "C1,oldest,PASSPORT,,,,,active,2026-01-01 00:00:00",
        "C1,middle,PASSPORT,,,,,active,2026-02-01 00:00:00",
    ]
    land(crmguard_home, "customers.csv", customers_csv(*rows).encode())
    result = ingest(crmguard_home, "customers.csv")
    assert [r["name"] for r in raw_rows("customers")] == ["newest"]
    assert result["quarantine_by_kind"] == {"duplicate_key": 2}
    reasons = {q["line"]: q["reason"] for q in quarantine_rows("customers")}
    assert reasons[3] == "duplicate customer_id 'C1': superseded by line 2 (latest updated_at)"


def test_duplicate_key_without_order_by_last_in_file_wins(crmguard_home: Path) -> None:
    data = "consent_id,customer_id,channel\nK1,C1,first\nK1,C1,second\nK2,C2,x\n"
    land(crmguard_home, "consents.csv", data.encode())
    ingest(crmguard_home, "consents.csv")
    assert [r["channel"] for r in raw_rows("consents")] == ["second", "x"]
    (q,) = quarantine_rows("consents")
    assert (q["line"], q["kind"]) == (2, "duplicate_key")
    assert "superseded by line 3 (last in file)" in q["reason"]


def test_unknown_columns_kept_as_text_and_listed(crmguard_home: Path) -> None:
    data = "客户编号,姓名,wechat_id,Risk Note\nC1,张三,wx_123,高\n"
    land(crmguard_home, "customers.csv", data.encode())
    result = ingest(crmguard_home, "customers.csv")
    assert result["unknown_columns"] == ["wechat_id", "Risk Note"]
    (row,) = raw_rows("customers")
    assert (row["customer_id"], row["name"], row["wechat_id"], row["Risk Note"]) == (
        "C1",
        "张三",
        "wx_123",
        "高",
    )


def test_rerun_replaces_the_batch(crmguard_home: Path) -> None:
    rows = ["C1,a,PASSPORT,,,,,active,", "C2,b,PASSPORT,,,,,active,", "C2,c,PASSPORT,,,,,active,"]
    land(crmguard_home, "customers.csv", customers_csv(*rows).encode())
    first = ingest(crmguard_home, "customers.csv")
    raw_first, q_first = raw_rows("customers"), quarantine_rows("customers")
    second = ingest(crmguard_home, "customers.csv")
    assert raw_rows("customers") == raw_first
    assert quarantine_rows("customers") == q_first
    assert len(raw_first) == 2 and len(q_first) == 1
    part = layout().raw_partition("customers", BATCH)
    assert sorted(os.listdir(part)) == ["part-0.parquet"]
    assert sorted(os.listdir(part.parent)) == [part.name]  # no leftover temporary folders
    drop = {"elapsed_s"}
    assert {k: v for k, v in first.items() if k not in drop} == {
        k: v for k, v in second.items() if k not in drop
    }


def test_raw_and_quarantine_are_owner_only(crmguard_home: Path) -> None:
    land(crmguard_home, "customers.csv", customers_csv("C1,a,PASSPORT,,,,,active,").encode())
    ingest(crmguard_home, "customers.csv")
    lay = layout()
    for folder in (
        lay.raw,
        lay.quarantine,
        lay.raw_partition("customers", BATCH),
        lay.quarantine_partition("customers", BATCH),
    ):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_discover_lists_sources_and_ignores_other_files(crmguard_home: Path) -> None:
    land(crmguard_home, "customers.csv", b"customer_id\nC1\n")
    land(crmguard_home, "complaints.jsonl", b"{}\n")
    land(crmguard_home, "expected.json", b"{}")
    land(crmguard_home, "notes.csv", b"a\n1\n")
    found = discover_batch(str(crmguard_home / "landing"), BATCH)
    assert found == [
        {"source": "complaints", "file": "complaints.jsonl", "format": "jsonl"},
        {"source": "customers", "file": "customers.csv", "format": "csv"},
    ]


def test_missing_key_column_is_a_clear_error(crmguard_home: Path) -> None:
    land(crmguard_home, "customers.csv", b"name\nx\n")
    with pytest.raises(ValueError, match=r"customers\.csv: line 1: key column 'customer_id'"):
        ingest(crmguard_home, "customers.csv")


def test_header_only_file_loads_nothing_and_reconciles(crmguard_home: Path) -> None:
    land(crmguard_home, "customers.csv", (CUSTOMER_HEADER + ",\n").encode())
    result = ingest(crmguard_home, "customers.csv")
    assert (result["rows_counted"], result["rows_loaded"], result["rows_quarantined"]) == (0, 0, 0)
    assert result["unknown_columns"] == ["unnamed_10"]
    assert raw_rows("customers") == []


def test_unterminated_quote_is_quarantined_not_split(crmguard_home: Path) -> None:
    data = 'consent_id,customer_id,channel\nK1,C1,ok\nK2,C2,"open\nK3,C3,y\n'
    land(crmguard_home, "consents.csv", data.encode())
    result = ingest(crmguard_home, "consents.csv")
    assert (result["rows_counted"], result["rows_loaded"], result["rows_quarantined"]) == (2, 1, 1)
    (q,) = quarantine_rows("consents")
    assert (q["line"], q["kind"]) == (3, "malformed_csv")
    assert q["reason"].startswith("unquoted value: ")


def test_booleans_in_chinese_and_english(crmguard_home: Path) -> None:
    data = (
        "message_id,customer_id,channel,has_unsubscribe_link\n"
        "M1,C1,SMS,是\nM2,C1,email,否\nM3,C1,app_push,Yes\nM4,C1,call,0\nM5,C1,sms,maybe\n"
    )
    land(crmguard_home, "marketing_messages.csv", data.encode())
    result = ingest(crmguard_home, "marketing_messages.csv")
    got = raw_rows("marketing_messages", "message_id, channel, has_unsubscribe_link")
    assert [(r["message_id"], r["channel"], r["has_unsubscribe_link"]) for r in got] == [
        ("M1", "sms", True),
        ("M2", "email", False),
        ("M3", "app_push", True),
        ("M4", "call", False),
    ]
    assert result["quarantine_by_kind"] == {"cast_error": 1}
    (q,) = quarantine_rows("marketing_messages")
    assert q["reason"].startswith("column has_unsubscribe_link: value 'maybe' is not a boolean")
