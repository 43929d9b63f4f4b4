"""Write typed records and quarantined rows as Parquet partitions, atomically, with DuckDB.

Also owns the staging area where partitions are built and the sweep of what killed runs left.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from crmguard.config import SourceContract
from crmguard.ingest.formats import IngestFormats
from crmguard.paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, ensure_private_dir, layout

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
    """Replace ``target`` with one Parquet file holding ``table``, atomically.

    The partition is written complete under ``lake/.staging/`` (outside every zone's glob, so a
    reader of ``raw/<source>/*/*.parquet`` never sees a half-written or second copy), then
    swapped in with one rename: a reader sees the old partition or the new one, never both and
    never a mix. A run killed at any point leaves only a staging folder, swept next time.
    """
    with staging_area() as scratch:
        built = ensure_private_dir(scratch / "partition")
        part = built / "part-0.parquet"
        con = duckdb.connect()
        try:
            con.register("partition_rows", table)
            con.execute("copy partition_rows to ? (format parquet, compression zstd)", [str(part)])
        finally:
            con.close()
        os.chmod(part, PRIVATE_FILE_MODE)
        ensure_private_dir(target.parent)
        if target.exists():
            _exchange(built, target)  # the old partition is now in scratch, removed with it
        else:
            os.rename(built, target)
    return ensure_private_dir(target)


def stage_partition(con: duckdb.DuckDBPyConnection, query: str, scratch: Path) -> tuple[Path, int]:
    """COPY ``query`` into a new partition folder inside ``scratch`` (a :func:`staging_area`
    folder: outside every zone's glob), Parquet zstd, streamed by DuckDB within its memory limit;
    returns (staged folder, rows written). Nothing replaces the zone's partition until
    :func:`place_partition`; :func:`discard_staging` drops it instead."""
    staged = ensure_private_dir(scratch / f"partition-{uuid.uuid4().hex[:8]}")
    try:
        part = staged / "part-0.parquet"
        (rows,) = con.execute(
            f"copy ({query}) to '{str(part).replace(chr(39), chr(39) * 2)}' "
            "(format parquet, compression zstd)"
        ).fetchone()
        os.chmod(part, PRIVATE_FILE_MODE)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged, int(rows)


def discard_staging(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def place_partition(staged: Path, target: Path) -> Path:
    """Swap a staged partition in for ``target`` with one atomic rename (exchange when the
    partition exists: the old one lands in the staging folder and goes with it)."""
    ensure_private_dir(target.parent)
    if target.exists():
        _exchange(staged, target)
    else:
        os.rename(staged, target)
    return ensure_private_dir(target)


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE), else in two renames."""
    renameat2 = getattr(_LIBC, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), str(b))
    # no atomic exchange on this filesystem: a reader may briefly find no partition, never two
    retired = a.with_name(a.name + ".retired")
    os.rename(b, retired)
    os.rename(a, b)


_LIBC = ctypes.CDLL(None, use_errno=True)
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_OWNER_LOCK = ".owner.lock"
# a staging folder still being set up (no lock yet) is left alone this long
_SETUP_GRACE_S = 600


@contextlib.contextmanager
def staging_area() -> Iterator[Path]:
    """A private scratch folder under ``lake/.staging/``, removed on exit.

    Its owner holds an ``flock`` on a file inside for as long as it lives; the kernel drops the
    lock when the process dies however it dies, so :func:`sweep_orphans` can tell a killed run's
    leftovers from a live run's work. Plaintext scratch (e.g. a UTF-8 copy of a GB18030 export)
    belongs here too, never next to the data.
    """
    root = ensure_private_dir(layout().staging)
    tag = uuid.uuid4().hex
    setup = root / f"setup-{tag}"
    setup.mkdir(mode=PRIVATE_DIR_MODE)
    fd = os.open(setup / _OWNER_LOCK, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        folder = root / tag
        os.rename(setup, folder)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(setup, ignore_errors=True)
        os.close(fd)


def sweep_orphans() -> list[str]:
    """Remove what killed runs left behind: unlocked staging folders, and the hidden
    ``.<partition>.tmp-*`` / ``.old-*`` siblings earlier versions wrote inside the zones."""
    lay = layout()
    removed: list[str] = []
    if lay.staging.is_dir():
        for folder in lay.staging.iterdir():
            if _orphaned(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(str(folder))
    for zone in (lay.raw, lay.quarantine):
        if not zone.is_dir():
            continue
        for source in zone.iterdir():
            if not source.is_dir():
                continue
            for leftover in [*source.glob(".*.tmp-*"), *source.glob(".*.old-*")]:
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(str(leftover))
    return removed


def _orphaned(folder: Path) -> bool:
    if not folder.is_dir() or folder.is_symlink():
        folder.unlink(missing_ok=True)
        return False
    if folder.name.startswith("setup-") and time.time() - folder.stat().st_mtime < _SETUP_GRACE_S:
        return False  # an owner between mkdir and taking its lock
    try:
        fd = os.open(folder / _OWNER_LOCK, os.O_RDWR)
    except FileNotFoundError:  # killed before its lock existed, or still being set up
        return time.time() - folder.stat().st_mtime > _SETUP_GRACE_S
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its owner is alive
    finally:
        os.close(fd)
    return True
