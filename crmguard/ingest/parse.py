"""Split decoded landing text into records: DuckDB's strict CSV reader, JSONL line by line.

Every field is read as text; nothing is normalised here, because NFKC would turn a Chinese
comma or full-width quote inside a field into a delimiter or a quote before parsing.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from crmguard.ingest.formats import CsvDialect


@dataclass(frozen=True)
class RecordSpan:
    """Where one CSV record sits in the decoded text (1-based physical lines, inclusive)."""

    start_line: int
    end_line: int


@dataclass(frozen=True)
class CsvReject:
    """A record DuckDB's strict reader refused."""

    byte_position: int  # start of the record in the file DuckDB read
    error_type: str
    message: str


def _reader(text: str, dialect: CsvDialect) -> csv._reader:
    # newline="\n": only LF ends a physical line, as DuckDB is told (new_line='\n')
    return csv.reader(
        io.StringIO(text, newline="\n"),
        delimiter=dialect.delimiter,
        quotechar=dialect.quote,
        doublequote=dialect.escape == dialect.quote,
        escapechar=None if dialect.escape == dialect.quote else dialect.escape,
    )


def count_csv_records(text: str, dialect: CsvDialect) -> int:
    """Data records (header and blank lines excluded), counted by Python's csv module.

    This is the reconciliation's independent count: Python's csv state machine tracks quotes
    itself and shares no code with DuckDB's reader, so a record DuckDB drops or splits without
    saying so shows up as a difference instead of vanishing from both sides.
    """
    return max(sum(1 for row in _reader(text, dialect) if row) - 1, 0)


def csv_layout(text: str, dialect: CsvDialect) -> tuple[list[str], list[RecordSpan]]:
    """Header fields and the physical line span of each data record (for lineage)."""
    reader = _reader(text, dialect)
    header: list[str] | None = None
    spans: list[RecordSpan] = []
    before = 0
    for row in reader:
        start, before = before + 1, reader.line_num
        if not row:
            continue
        if header is None:
            header = row
            continue
        spans.append(RecordSpan(start, reader.line_num))
    return header or [], spans


def read_csv_duckdb(
    path: Path, n_columns: int, dialect: CsvDialect
) -> tuple[list[tuple[str | None, ...]], list[CsvReject]]:
    """Parse with DuckDB ``read_csv`` in strict mode, all columns text, rejects captured."""
    suffix = uuid.uuid4().hex[:8]
    columns = {f"c{i}": "VARCHAR" for i in range(n_columns)}
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"""
            select * from read_csv(
                ?, header = true, auto_detect = false, columns = ?,
                delim = ?, quote = ?, escape = ?, new_line = '\\n',
                strict_mode = true, null_padding = false,
                store_rejects = true,
                rejects_table = 'rejects_{suffix}', rejects_scan = 'scan_{suffix}'
            )
            """,
            [str(path), columns, dialect.delimiter, dialect.quote, dialect.escape],
        ).fetchall()
        rejects = [
            CsvReject(int(pos), str(kind), str(msg))
            for pos, kind, msg in con.execute(
                f"select line_byte_position, error_type, error_message from rejects_{suffix} "
                "order by line_byte_position"
            ).fetchall()
        ]
    finally:
        con.close()
    return rows, rejects


def record_for_byte(data: bytes, starts: list[int], position: int) -> int | None:
    """Index of the record starting at ``position`` (blank lines DuckDB counts skipped)."""
    while position < len(data) and data[position : position + 1] == b"\n":
        position += 1
    i = bisect.bisect_right(starts, position) - 1
    return i if i >= 0 else None


def line_start_bytes(data: bytes) -> list[int]:
    """Byte offset at which each physical line (1-based index - 1) starts."""
    starts = [0]
    pos = data.find(b"\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return starts


def count_jsonl_records(data: bytes) -> int:
    """Non-blank lines of the delivered bytes: independent of the JSON parse that loads them."""
    return sum(1 for line in data.split(b"\n") if line.strip(b" \t\r"))


@dataclass(frozen=True)
class JsonLine:
    line: int
    text: str
    value: dict[str, object] | None
    error: str | None


def parse_jsonl(text: str) -> list[JsonLine]:
    """One entry per non-blank line: the parsed object, or why it is not one."""
    out: list[JsonLine] = []
    for n, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip(" \t\r"):
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.append(JsonLine(n, raw, None, f"malformed JSON: {exc.msg} at column {exc.colno}"))
            continue
        if not isinstance(value, dict):
            out.append(
                JsonLine(n, raw, None, f"JSON line is a {type(value).__name__}, not an object")
            )
            continue
        out.append(JsonLine(n, raw, value, None))
    return out
