"""The parsers of the prepared copy: DuckDB's strict CSV reader, and JSONL read as lines.

Every field is read as text; nothing is normalised here, because NFKC would turn a Chinese
comma or full-width quote inside a field into a delimiter or a quote before parsing. The copy
DuckDB reads carries the scan's ``line,span,`` prefix (crmguard.ingest.scan), so both readers
return ``_line`` (and ``_span``) beside the delivered fields.
"""

from __future__ import annotations

from pathlib import Path

from crmguard.ingest.decode import EncodingDecision, TranscodedChunk
from crmguard.ingest.formats import CsvDialect
from crmguard.ingest.scan import JSON_SEPARATOR, prepare


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_csv_duckdb(
    path: Path, n_columns: int, dialect: CsvDialect, max_line_bytes: int, rejects: str
) -> str:
    """A table expression: DuckDB ``read_csv`` in strict mode, all columns text, rejects kept
    in ``rejects`` (line_byte_position, error_type, error_message)."""
    columns = ", ".join(
        [
            f"'{c}': 'VARCHAR'"
            for c in ("_line", "_span", *(f"c{i}" for i in range(1, n_columns + 1)))
        ]
    )
    return (
        f"read_csv({_lit(str(path))}, header = false, auto_detect = false, "
        f"columns = {{{columns}}}, delim = {_lit(dialect.delimiter)}, "
        f"quote = {_lit(dialect.quote)}, escape = {_lit(dialect.escape)}, new_line = '\\n', "
        "strict_mode = true, null_padding = false, store_rejects = true, "
        f"rejects_table = {_lit(rejects)}, rejects_scan = {_lit(rejects + '_scan')}, "
        f"max_line_size = {int(max_line_bytes)}, buffer_size = {int(max_line_bytes) * 2})"
    )


def read_jsonl_duckdb(path: Path, max_line_bytes: int, rejects: str) -> str:
    """A table expression: one row per JSONL record (``_line``, ``doc``), nothing unquoted."""
    return (
        f"read_csv({_lit(str(path))}, header = false, auto_detect = false, "
        "columns = {'_line': 'VARCHAR', 'doc': 'VARCHAR'}, "
        f"delim = chr({ord(JSON_SEPARATOR)}), quote = '', escape = '', new_line = '\\n', "
        "strict_mode = true, null_padding = false, store_rejects = true, "
        f"rejects_table = {_lit(rejects)}, rejects_scan = {_lit(rejects + '_scan')}, "
        f"max_line_size = {int(max_line_bytes)}, buffer_size = {int(max_line_bytes) * 2})"
    )


def count_csv_records(text: str, dialect: CsvDialect, max_record_lines: int = 1 << 30) -> int:
    """Data records of CSV text (header and blank lines excluded) by the scan's quote parity.

    This is the reconciliation's independent count: it shares no code with DuckDB's reader, so
    a record DuckDB drops or splits without saying so shows up as a difference.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        layout = prepare(
            [TranscodedChunk(text.encode("utf-8"), [])],
            Path(tmp) / "prepared.csv",
            "csv",
            dialect,
            max_record_lines,
            EncodingDecision("utf-8", "given", False),
        )
    return layout.counted
