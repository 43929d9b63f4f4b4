"""Connections to the DuckDB warehouse files and the engineers-only ``governance`` schema.

DuckDB takes one writer per file: in Airflow every task that writes here runs in the one-slot
``duckdb_writer`` pool. Files are created owner-only (0600), as the layout requires.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from crmguard.paths import (
    PRIVATE_FILE_MODE,
    TRAVERSE_DIR_MODE,
    ensure_dir,
    ensure_private_dir,
    layout,
    owner_only_umask,
)

DUCKDB_WRITER_POOL = "duckdb_writer"


def connect(path: Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file (default ``warehouse/crm.duckdb``) with the governance schema."""
    db = path or layout().warehouse_db
    if read_only:
        return duckdb.connect(str(db), read_only=True)
    # DuckDB writes crm.duckdb.wal and spill files beside the database with the process umask
    owner_only_umask()
    if db.parent == layout().warehouse:
        ensure_dir(db.parent, TRAVERSE_DIR_MODE)  # analysts reach marts.duckdb by name only
    else:
        ensure_private_dir(db.parent)
    con = duckdb.connect(str(db))
    os.chmod(db, PRIVATE_FILE_MODE)
    con.execute("create schema if not exists governance")
    return con


def sql_string(value: object) -> str:
    """``value`` as a SQL string literal (quotes doubled), for the few statements DuckDB does not
    take bind parameters in (ATTACH, table functions inside a relation string). A data root
    such as ``/srv/o'brien`` must read as a path, never end the literal."""
    return "'" + str(value).replace("'", "''") + "'"
