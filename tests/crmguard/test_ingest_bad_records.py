"""Bad input at the record level: each case is loaded correctly or quarantined with file, physical
line and reason; delivered records are counted by the test itself and always equal loaded plus
quarantined (issue 19); never a traceback, never a silent loss."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import duckdb
import pytest

from crmguard.ingest import batch, ingest_file
from crmguard.ingest.formats import ingest_formats
from crmguard.paths import layout

BATCH = "2026-11-27"
CONSENTS = "consent_id,customer_id,channel"


def land(home: Path, name: str, data: bytes) -> None:
    folder = home / "landing" / BATCH
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def ingest(home: Path, name: str) -> dict:
    return ingest_file(str(home / "landing"), BATCH, name)


def rows(zone: Path, order: str) -> list[dict]:
    cur = duckdb.connect().execute(
        f"select * from read_parquet('{zone}/*.parquet') order by {order}"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def accounted(result: dict, source: str, delivered: int) -> tuple[list[dict], list[dict]]:
    """Raw and quarantine rows, after checking delivered = loaded + quarantined, in the
    result and in the Parquet actually written."""
    raw = rows(layout().raw_partition(source, BATCH), "_source_line")
    quarantine = rows(layout().quarantine_partition(source, BATCH), "line")
    assert result["rows_counted"] == delivered
    assert (result["rows_loaded"], result["rows_quarantined"]) == (len(raw), len(quarantine))
    assert len(raw) + len(quarantine) == delivered
    return raw, quarantine


def consent_lines(n: int) -> list[str]:
    return [f"K{i},C{i},sms" for i in range(1, n + 1)]


def test_unclosed_quote_quarantines_each_following_line_not_one_merged_record(
    crmguard_home: Path,
) -> None:
    lines = consent_lines(100)
    lines[8] = 'K9,C9,"never closed'  # physical line 10
    land(crmguard_home, "consents.csv", "\n".join([CONSENTS, *lines, ""]).encode())
    result = ingest(crmguard_home, "consents.csv")
    raw, quarantine = accounted(result, "consents", 100)
    assert [r["consent_id"] for r in raw] == [f"K{i}" for i in range(1, 9)]
    assert [q["line"] for q in quarantine] == list(range(10, 102))
    assert [q["raw_text"] for q in quarantine] == lines[8:]  # each line whole, as delivered
    assert {q["kind"] for q in quarantine} == {"malformed_csv"}
    assert quarantine[0]["reason"].startswith("quote opened on line 10 is not closed")


def test_quote_closed_sixty_lines_later_does_not_swallow_the_records_between(
    crmguard_home: Path,
) -> None:
    lines = consent_lines(100)
    lines[8] = 'K9,C9,"opens here'  # line 10
    lines[68] = 'K69,C69,closes here"'  # line 70
    land(crmguard_home, "consents.csv", "\n".join([CONSENTS, *lines, ""]).encode())
    result = ingest(crmguard_home, "consents.csv")
    raw, quarantine = accounted(result, "consents", 100)
    assert [q["line"] for q in quarantine] == list(range(10, 71))
    assert "spans 61 physical lines" in quarantine[0]["reason"]
    loaded = [r["consent_id"] for r in raw]
    assert loaded == [f"K{i}" for i in (*range(1, 9), *range(70, 101))]
    assert [r["_source_line"] for r in raw][-1] == 101


def test_a_few_lines_inside_quotes_are_one_record_with_right_line_numbers(
    crmguard_home: Path,
) -> None:
    data = f'{CONSENTS}\nK1,C1,"a\nb\nc"\nK2,C2,"x\n\ny"\nK3,C3,z\n'
    land(crmguard_home, "consents.csv", data.encode())
    result = ingest(crmguard_home, "consents.csv")
    raw, _ = accounted(result, "consents", 3)
    assert [(r["consent_id"], r["channel"], r["_source_line"]) for r in raw] == [
        ("K1", "a\nb\nc", 2),
        ("K2", "x\n\ny", 5),
        ("K3", "z", 8),
    ]


def test_parser_and_scan_disagreeing_on_a_boundary_is_quarantined_whole(
    crmguard_home: Path,
) -> None:
    # a quote inside an unquoted field: DuckDB takes it as a character, the quote-parity scan
    # as the start of a quoted run closed on the next line; neither reading is trusted
    data = f'{CONSENTS}\nK1,C1,ok\nK2,C2,ab"c\nK3,C3,x"y\nK4,C4,fine\n'
    land(crmguard_home, "consents.csv", data.encode())
    result = ingest(crmguard_home, "consents.csv")
    raw, quarantine = accounted(result, "consents", 3)
    assert [r["consent_id"] for r in raw] == ["K1", "K4"]
    (q,) = quarantine
    assert q["line"] == 3 and q["kind"] == "malformed_csv"
    assert q["raw_text"] == 'K2,C2,ab"c\nK3,C3,x"y'  # both delivered lines kept


def test_lone_cr_line_ends_are_line_ends(crmguard_home: Path) -> None:
    land(crmguard_home, "consents.csv", f"{CONSENTS}\rK1,C1,a\rK2,C2,b\r".encode())
    result = ingest(crmguard_home, "consents.csv")
    raw, _ = accounted(result, "consents", 2)
    assert [(r["consent_id"], r["channel"], r["_source_line"]) for r in raw] == [
        ("K1", "a", 2),
        ("K2", "b", 3),
    ]


def test_crlf_with_bom_loads_without_carriage_returns(crmguard_home: Path) -> None:
    data = b"\xef\xbb\xbf" + f'{CONSENTS}\r\nK1,C1,短信\r\nK2,C2,"多\r\n行"\r\n'.encode()
    land(crmguard_home, "consents.csv", data)
    result = ingest(crmguard_home, "consents.csv")
    raw, _ = accounted(result, "consents", 2)
    assert [(r["consent_id"], r["channel"], r["_source_line"]) for r in raw] == [
        ("K1", "短信", 2),
        ("K2", "多\n行", 3),
    ]


def test_field_longer_than_duckdb_default_line_size_is_loaded(crmguard_home: Path) -> None:
    content = "长" * 200_000  # beyond the 131,072-character field limit that crashed before
    data = f"message_id,customer_id,content\nM1,C1,{content}\nM2,C1,short\n"
    land(crmguard_home, "marketing_messages.csv", data.encode())
    result = ingest(crmguard_home, "marketing_messages.csv")
    raw, _ = accounted(result, "marketing_messages", 2)
    assert [len(r["content"]) for r in raw] == [200_000, 5]


def test_record_over_the_configured_line_size_is_quarantined_whole(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    formats = ingest_formats()
    small = formats.model_copy(
        update={"engine": formats.engine.model_copy(update={"max_line_bytes": 1 << 20})}
    )
    monkeypatch.setattr(batch, "ingest_formats", lambda: small)
    content = "x" * (3 << 20)
    data = f"message_id,customer_id,content\nM1,C1,a\nM2,C1,{content}\nM3,C1,b\n"
    land(crmguard_home, "marketing_messages.csv", data.encode())
    result = ingest(crmguard_home, "marketing_messages.csv")
    raw, quarantine = accounted(result, "marketing_messages", 3)
    assert [r["message_id"] for r in raw] == ["M1", "M3"]
    (q,) = quarantine
    assert q["line"] == 3 and q["kind"] == "malformed_csv"
    assert q["reason"].startswith("line size over maximum")
    assert q["raw_text"] == f"M2,C1,{content}"  # never clipped


def test_a_line_of_two_million_commas_is_quarantined_in_linear_time(crmguard_home: Path) -> None:
    data = f"{CONSENTS}\nK1,C1,a\nK2,C2{',' * 2_000_000}\nK3,C3,c\n"
    land(crmguard_home, "consents.csv", data.encode())
    started = time.monotonic()
    result = ingest(crmguard_home, "consents.csv")
    assert time.monotonic() - started < 60  # quadratic splitting took minutes
    raw, quarantine = accounted(result, "consents", 3)
    assert [r["consent_id"] for r in raw] == ["K1", "K3"]
    (q,) = quarantine
    assert (q["line"], q["kind"]) == (3, "ragged_row")
    assert "Expected Number of Columns: 3 Found: 2000002" in q["reason"]


def test_nul_byte_quarantines_its_record_and_keeps_the_delivered_bytes(
    crmguard_home: Path,
) -> None:
    bad_line = b"K2,C2,a\x00b"
    data = CONSENTS.encode() + b"\nK1,C1,a\n" + bad_line + b"\nK3,C3,c\n"
    land(crmguard_home, "consents.csv", data)
    result = ingest(crmguard_home, "consents.csv")
    raw, quarantine = accounted(result, "consents", 3)
    assert [r["consent_id"] for r in raw] == ["K1", "K3"]
    (q,) = quarantine
    assert (q["line"], q["kind"]) == (3, "nul_byte")
    assert q["reason"] == f"NUL byte at byte offset {data.index(bytes(1))}"
    assert base64.b64decode(q["raw_bytes_b64"]) == bad_line


def test_one_invalid_byte_in_a_gb18030_file_quarantines_only_its_line(
    crmguard_home: Path,
) -> None:
    names = [f"王{'小明晓红建国秀英'[i % 8]}{i}" for i in range(40)]
    lines = [f"K{i},C{i},{n}".encode("gb18030") for i, n in enumerate(names)]
    lines[17] = "K17,C17,李".encode("gb18030") + b"\xff" + "四".encode("gb18030")
    data = CONSENTS.encode() + b"\n" + b"\n".join(lines) + b"\n"
    land(crmguard_home, "consents.csv", data)
    result = ingest(crmguard_home, "consents.csv")
    assert result["encoding"] == "gb18030"
    assert result["encoding_decision"].startswith("mostly-gb18030")
    raw, quarantine = accounted(result, "consents", 40)
    assert [r["channel"] for r in raw] == [n for i, n in enumerate(names) if i != 17]
    (q,) = quarantine
    assert (q["line"], q["kind"]) == (19, "undecodable_bytes")
    offset = data.index(bytes([0xFF]))
    assert q["reason"] == f"undecodable bytes (gb18030) at byte offset {offset}"
    assert base64.b64decode(q["raw_bytes_b64"]) == lines[17]
    assert q["raw_text"] == "K17,C17,李\ufffd四"


def test_jsonl_line_with_a_control_separator_is_malformed_not_a_crash(
    crmguard_home: Path,
) -> None:
    lines = [
        '{"consent_id": "K1", "customer_id": "C1"}',
        '{"consent_id": "K2",\x01 "customer_id": "C2"}',
        '{"consent_id": "K3", "customer_id": "C3"}',
    ]
    land(crmguard_home, "consents.jsonl", ("\n".join(lines) + "\n").encode())
    result = ingest(crmguard_home, "consents.jsonl")
    raw, quarantine = accounted(result, "consents", 3)
    assert [r["_source_line"] for r in raw] == [1, 3]
    (q,) = quarantine
    assert (q["line"], q["kind"], q["raw_text"]) == (2, "malformed_json", lines[1])


def test_chunk_boundaries_do_not_move_records_or_lines(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is read in chunks far smaller than its records: the same layout results."""
    formats = ingest_formats()
    tiny = formats.model_copy(
        update={"engine": formats.engine.model_copy(update={"chunk_bytes": 7})}
    )
    monkeypatch.setattr(batch, "ingest_formats", lambda: tiny)
    body = [f'K{i},C{i},"line one\nline two {i}"' if i % 3 == 0 else f"K{i},C{i},x{i}"
            for i in range(1, 31)]  # fmt: skip
    land(crmguard_home, "consents.csv", "\r\n".join([CONSENTS, *body, ""]).encode())
    result = ingest(crmguard_home, "consents.csv")
    raw, _ = accounted(result, "consents", 30)
    line_of = {}
    physical = 2
    for i, text in enumerate(body, start=1):
        line_of[f"K{i}"] = physical
        physical += text.count("\n") + 1
    assert [(r["consent_id"], r["_source_line"]) for r in raw] == [
        (f"K{i}", line_of[f"K{i}"]) for i in range(1, 31)
    ]
    assert raw[2]["channel"] == "line one\nline two 3"


def test_no_plaintext_work_copy_outlives_an_ingest(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prepared copy (delivered data in clear) and DuckDB's spill live in a private work
    folder that is gone after a good ingest and after a failed one."""
    from crmguard.ingest import ReconciliationError, parse

    land(crmguard_home, "consents.csv", f"{CONSENTS}\nK1,C1,a\nK2,C2,b\n".encode())
    ingest(crmguard_home, "consents.csv")
    assert list(layout().ingest_reports.glob(".ingest-work-*")) == []
    real = parse.read_csv_duckdb
    monkeypatch.setattr(
        parse, "read_csv_duckdb", lambda *a, **k: f"(select * from {real(*a, **k)} limit 1)"
    )
    with pytest.raises(ReconciliationError):
        ingest(crmguard_home, "consents.csv")
    assert list(layout().ingest_reports.glob(".ingest-work-*")) == []
    # the earlier good batch is still the one in raw
    assert len(rows(layout().raw_partition("consents", BATCH), "_source_line")) == 2


def test_jsonl_undecodable_line_keeps_its_delivered_bytes(crmguard_home: Path) -> None:
    bad = b'{"consent_id": "K2", "customer_id": "C2", "channel": "\xff\xfe"}'
    good = "".join(
        f'{{"consent_id": "K{i}", "customer_id": "C1", "channel": "短信渠道，客户自助开通"}}\n'
        for i in (1, 3, 4)
    )
    data = good.encode() + bad + b"\n"
    land(crmguard_home, "consents.jsonl", data)
    result = ingest(crmguard_home, "consents.jsonl")
    assert result["encoding_decision"].startswith("mostly-utf-8")
    _, quarantine = accounted(result, "consents", 4)
    (q,) = quarantine
    assert (q["line"], q["kind"]) == (4, "undecodable_bytes")
    assert base64.b64decode(q["raw_bytes_b64"]) == bad


def test_half_gbk_half_utf8_file_is_decided_line_by_line(crmguard_home: Path) -> None:
    names = [f"{'张王李赵'[i % 4]}{'伟芳娜敏静'[i % 5]}{i}号客户" for i in range(40)]
    lines = [f"K{i},C{i},{n}".encode("gbk" if i < 20 else "utf-8") for i, n in enumerate(names)]
    data = CONSENTS.encode() + b"\n" + b"\n".join(lines) + b"\n"
    land(crmguard_home, "consents.csv", data)
    result = ingest(crmguard_home, "consents.csv")
    assert result["encoding_decision"] == "mixed: 20 lines utf-8, 20 lines gb18030"
    raw, quarantine = accounted(result, "consents", 40)
    # each line read in the encoding it decodes under: nothing lost, never GB18030 mojibake
    assert [r["channel"] for r in raw] == names
    assert quarantine == []


def test_a_line_of_neither_encoding_in_a_mixed_file_is_quarantined_alone(
    crmguard_home: Path,
) -> None:
    names = [f"{'张王李赵'[i % 4]}{'伟芳娜敏静'[i % 5]}{i}号客户" for i in range(20)]
    lines = [f"K{i},C{i},{n}".encode("gbk" if i < 10 else "utf-8") for i, n in enumerate(names)]
    lines[14] = b"K14,C14,\xff\xfe" + lines[14][8:]
    data = CONSENTS.encode() + b"\n" + b"\n".join(lines) + b"\n"
    land(crmguard_home, "consents.csv", data)
    result = ingest(crmguard_home, "consents.csv")
    assert result["encoding_decision"].startswith("mixed: 9 lines utf-8, 10 lines gb18030")
    raw, quarantine = accounted(result, "consents", 20)
    assert [r["channel"] for r in raw] == names[:14] + names[15:]
    (q,) = quarantine
    assert (q["line"], q["kind"]) == (16, "undecodable_bytes")
    assert "undecodable bytes (utf-8 or gb18030)" in q["reason"]
    assert base64.b64decode(q["raw_bytes_b64"]) == lines[14]


def test_an_engine_failure_is_a_clear_error_for_that_file(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmguard.ingest import LandingFileError, parse

    land(crmguard_home, "consents.csv", f"{CONSENTS}\nK1,C1,a\n".encode())
    monkeypatch.setattr(parse, "read_csv_duckdb", lambda *a, **k: "read_csv('/nonexistent.csv')")
    with pytest.raises(LandingFileError, match=r"consents\.csv: the parser failed"):
        ingest(crmguard_home, "consents.csv")
