"""Write typed records and quarantined rows as Parquet partitions, atomically, with DuckDB."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa

from crmguard.config import SourceContract
from crmguard.ingest.formats import IngestFormats
from crmguard.paths import PRIVATE_FILE_MODE, ensure_private_dir

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("raw_text", pa.string()),
        ("reason", pa.string()),
        ("kind", pa.string()),
        ("record_key", pa.string()),
        ("batch_date", pa.date32()),
        # the delivered bytes of the lines that did not decode, base64 (else NULL)
        ("raw_bytes_b64", pa.string()),
    ]
)


def raw_schema(
    contract: SourceContract, unknown_columns: list[str], formats: IngestFormats
) -> pa.Schema:
    """Contract columns typed, unknown columns as text, then the lineage columns."""
    by_type = {
        "identifier": pa.string(),
        "enum": pa.string(),
        "text": pa.string(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "decimal": pa.decimal128(formats.decimal_precision, formats.decimal_scale),
        "integer": pa.int64(),
        "boolean": pa.bool_(),
    }
    fields = [(name, by_type[col.type]) for name, col in contract.columns.items()]
    fields += [(name, pa.string()) for name in unknown_columns]
    fields += [("_source_file", pa.string()), ("_source_line", pa.int64())]
    fields += [("_batch_date", pa.date32())]
    return pa.schema(fields)


def write_partition(table: pa.Table, target: Path) -> Path:
    """Replace ``target`` with one Parquet file holding ``table``.

    Written into a sibling temporary folder, then swapped in by rename, so a reader never sees a
    half-written partition and a re-run replaces the batch instead of adding to it.
    """
    parent = ensure_private_dir(target.parent)
    tag = uuid.uuid4().hex[:8]
    staging = ensure_private_dir(parent / f".{target.name}.tmp-{tag}")
    try:
        con = duckdb.connect()
        try:
            con.register("partition_rows", table)
            con.execute(
                f"copy partition_rows to '{staging / 'part-0.parquet'}' "
                "(format parquet, compression zstd)"
            )
        finally:
            con.close()
        retired = parent / f".{target.name}.old-{tag}"
        if target.exists():
            target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ensure_private_dir(target)


def stage_partition(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> tuple[Path, int]:
    """COPY ``query`` into a staging folder beside ``target`` (Parquet, zstd), streamed by
    DuckDB within its memory limit; returns (staging folder, rows written). Nothing replaces
    ``target`` until :func:`place_partition`; :func:`discard_staging` drops it instead."""
    parent = ensure_private_dir(target.parent)
    staging = ensure_private_dir(parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        part = staging / "part-0.parquet"
        (rows,) = con.execute(
            f"copy ({query}) to '{str(part).replace(chr(39), chr(39) * 2)}' "
            "(format parquet, compression zstd)"
        ).fetchone()
        os.chmod(part, PRIVATE_FILE_MODE)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, int(rows)


def discard_staging(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def place_partition(staging: Path, target: Path) -> Path:
    """Swap a staged partition in for ``target`` by rename (a re-run replaces the batch)."""
    try:
        retired = target.parent / f".{target.name}.old-{staging.name.rsplit('-', 1)[-1]}"
        if target.exists():
            target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ensure_private_dir(target)
