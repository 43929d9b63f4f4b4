"""The one map of where CRM Guard keeps things on disk (../shared/spec/layout.md).

Every module asks this map for a path; none builds one from string literals. ``CRMGUARD_HOME``
moves the whole data root (landing, lake, warehouse, reports, local state); the repository's
code and versioned config stay where they are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# owner-only folders and files: raw, quarantine, restricted and vault data, keys, warehouse files
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# what others may read (layout.md): protected lake, catalog, marts.duckdb, reports
SHARED_DIR_MODE = 0o755
SHARED_FILE_MODE = 0o644
# warehouse/ and lake/: others may pass through to the one file or folder they may read
# (marts.duckdb, lake/protected, lake/catalog) but not list the folder
TRAVERSE_DIR_MODE = 0o711


def _home() -> Path:
    env = os.environ.get("CRMGUARD_HOME")
    return Path(env).expanduser().resolve() if env else REPO_ROOT


@dataclass(frozen=True)
class Layout:
    """Resolved paths under one data root."""

    home: Path

    # -- inputs --------------------------------------------------------------------------------
    @property
    def landing(self) -> Path:
        return self.home / "landing"

    def landing_batch(self, batch_date: str, landing_root: Path | None = None) -> Path:
        return (landing_root or self.landing) / batch_date

    # -- lake ------------------------------------------------------------------------------------
    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def raw(self) -> Path:
        return self.lake / "raw"

    def raw_partition(self, source: str, batch_date: str) -> Path:
        return self.raw / source / f"batch_date={batch_date}"

    @property
    def quarantine(self) -> Path:
        return self.lake / "quarantine"

    def quarantine_partition(self, source: str, batch_date: str) -> Path:
        return self.quarantine / source / f"batch_date={batch_date}"

    @property
    def restricted(self) -> Path:
        return self.lake / "restricted"

    def restricted_partition(self, source: str, batch_date: str) -> Path:
        return self.restricted / source / f"batch_date={batch_date}"

    @property
    def protected(self) -> Path:
        return self.lake / "protected"

    def protected_partition(self, source: str, batch_date: str) -> Path:
        return self.protected / source / f"batch_date={batch_date}"

    @property
    def vault(self) -> Path:
        return self.lake / "vault"

    @property
    def catalog_dir(self) -> Path:
        return self.lake / "catalog"

    @property
    def catalog(self) -> Path:
        return self.catalog_dir / "catalog.json"

    @property
    def staging(self) -> Path:
        """Half-written partitions and engine scratch, outside every zone's glob; renamed into
        place when complete, swept when a killed run left them behind."""
        return self.lake / ".staging"

    @property
    def ingest_reports(self) -> Path:
        """Per-batch ingestion results (reconciliation, decode decisions), JSON, engineers only."""
        return self.lake / "ingest"

    @property
    def rights(self) -> Path:
        """Data-subject rights and unmasking state: requests, approvals, access packages
        (clear values: engineers only, 0700)."""
        return self.lake / "rights"

    @property
    def access_log(self) -> Path:
        """The append-only, hash-chained access log (JSON lines, 0600)."""
        return self.lake / "audit" / "access_log.jsonl"

    @property
    def certificates(self) -> Path:
        """Signed deletion and retention-purge certificates (tokens only: auditors read them)."""
        return self.reports / "certificates"

    # -- warehouse -------------------------------------------------------------------------------
    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse_db(self) -> Path:
        """Engineers only: governance schema and dbt's build before publishing."""
        return self.warehouse / "crm.duckdb"

    @property
    def restricted_db(self) -> Path:
        return self.warehouse / "restricted.duckdb"

    @property
    def marts_db(self) -> Path:
        return self.warehouse / "marts.duckdb"

    # -- outputs for auditors --------------------------------------------------------------------
    @property
    def reports(self) -> Path:
        return self.home / "reports"

    # -- local state (git-ignored) ---------------------------------------------------------------
    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow_home"

    @property
    def secrets(self) -> Path:
        return self.home / ".secrets"

    @property
    def spark_local(self) -> Path:
        """Spark/dbt-spark scratch: metastore_db, spark-warehouse, event logs."""
        return self.home / ".spark"

    # -- versioned code and config (never moved by CRMGUARD_HOME) --------------------------------
    @property
    def config(self) -> Path:
        return REPO_ROOT / "config"

    @property
    def dags(self) -> Path:
        return REPO_ROOT / "dags"

    @property
    def dbt_project(self) -> Path:
        return REPO_ROOT / "dbt_project"


def layout() -> Layout:
    """The layout for the current environment (reads ``CRMGUARD_HOME`` each call)."""
    return Layout(home=_home())


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def ensure_dir(path: Path, mode: int) -> Path:
    """Create ``path`` (and parents) and set its mode (parents keep theirs)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path


def owner_only_umask() -> None:
    """Files the engines create on their own (DuckDB's WAL and spill files next to crm.duckdb,
    Spark's part files, dbt's logs) get no group/other bits: the pipeline runs with umask 077
    and what others may read is opened up explicitly (:func:`share_tree`). Inherited by the
    child processes (Airflow, dbt, spark-submit)."""
    current = os.umask(0o077)
    os.umask(current | 0o077)


def share_tree(path: Path) -> Path:
    """Make ``path`` and everything under it readable by others (dirs 0755, files 0644)."""
    if path.is_file():
        os.chmod(path, SHARED_FILE_MODE)
        return path
    os.chmod(path, SHARED_DIR_MODE)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), SHARED_DIR_MODE)
        for name in files:
            os.chmod(os.path.join(root, name), SHARED_FILE_MODE)
    return path
