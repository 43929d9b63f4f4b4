"""One ingest of a batch at a time: an ``flock`` on ``lake/ingest/locks/<batch_date>.lock``.

``crmguard ingest`` holds the lock exclusively for the whole batch (discover, files, reconcile);
the DAG's per-file tasks hold it shared, so they run side by side but never beside a CLI ingest
of the same batch. The kernel releases an ``flock`` when its process dies, however it dies, so a
killed ingest never leaves the batch locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from crmguard.batch_date import canonical_batch_date
from crmguard.paths import PRIVATE_FILE_MODE, ensure_private_dir, layout

log = logging.getLogger(__name__)

DEFAULT_WAIT_S = 600.0
_POLL_S = 0.1
# batches this process already holds: ingest_file called by the CLI must not wait on itself
_HELD: dict[str, int] = {}


class BatchLocked(RuntimeError):
    """Another process is ingesting the batch and did not finish within the wait."""


def lock_path(batch_date: str) -> Path:
    """The lock file of a batch (or of ``"warehouse"``, the ingest's writes to crm.duckdb)."""
    ensure_private_dir(layout().ingest_reports)  # whoever takes the lock first, umask or not
    folder = ensure_private_dir(layout().ingest_reports / "locks")
    name = batch_date if batch_date == "warehouse" else canonical_batch_date(batch_date)
    return folder / f"{name}.lock"


@contextlib.contextmanager
def batch_lock(
    batch_date: str, *, exclusive: bool = True, wait_s: float = DEFAULT_WAIT_S
) -> Iterator[None]:
    """Hold the batch's lock; wait up to ``wait_s`` seconds for it, then refuse (BatchLocked)."""
    day = canonical_batch_date(batch_date)
    if day in _HELD:
        yield
        return
    path = lock_path(day)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE)
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    deadline = time.monotonic() + wait_s
    announced = False
    try:
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise BatchLocked(
                        f"batch {day} is being ingested by another process{holder} "
                        f"(lock {path}); waited {wait_s:g} s, not ingested: run again when it "
                        "has finished"
                    ) from None
                if not announced:
                    log.warning("batch %s: waiting for the ingest%s holding %s", day, holder, path)
                    announced = True
                time.sleep(_POLL_S)
        if exclusive:  # name the holder for whoever waits next
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD[day] = fd
        try:
            yield
        finally:
            del _HELD[day]
            if exclusive:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


@contextlib.contextmanager
def warehouse_writer(wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Serialise the ingest's short writes to ``crm.duckdb`` across batches (DuckDB refuses a
    second writer at once instead of waiting). Inside Airflow the one-slot pool does this."""
    path = lock_path("warehouse")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BatchLocked(
                        f"another ingest is writing {layout().warehouse_db} (lock {path}); "
                        f"waited {wait_s:g} s"
                    ) from None
                time.sleep(_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
