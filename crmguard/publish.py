"""Write-audit-publish: only a validated build reaches the files analysts and restricted roles
read.

dbt writes the build into warehouse/crm.duckdb (engineers only); validation audits it; then
``publish`` copies schema ``marts`` into a new file swapped atomically onto warehouse/marts.duckdb
(analysts open it read-only) and ``restricted_marts`` onto warehouse/restricted.duckdb (0600).
A failed blocking expectation raises :class:`PublishBlocked` and leaves both files untouched.
Every attempt, published or not, is a governance.publish_log row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path

from crmguard import governance_log
from crmguard.batch_date import batch_date_arg
from crmguard.config import config_path, file_sha256
from crmguard.paths import (
    PRIVATE_FILE_MODE,
    REPO_ROOT,
    TRAVERSE_DIR_MODE,
    ensure_dir,
    layout,
)
from crmguard.stage_contracts import read_catalog
from crmguard.warehouse import connect, sql_string

# analysts open the published marts read-only; nothing in it is above their clearance
ANALYST_FILE_MODE = 0o644


class PublishBlocked(RuntimeError):
    """A blocking expectation failed: nothing was published."""

    def __init__(self, batch_date: str, failed: list[dict]) -> None:
        self.failed = failed
        super().__init__(
            f"publishing batch {batch_date} blocked by {len(failed)} failed expectation(s): "
            + "; ".join(
                f"{f['suite']} / {f['expectation']}: {f.get('unexpected_count')} unexpected"
                for f in failed
            )
        )


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit() -> str | None:
    """The code's commit (None outside a git checkout or without git)."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _policy_sha256(catalog: Path) -> str | None:
    """The classification profile the catalog was made with (its file's hash, else recorded)."""
    if not catalog.is_file():
        return None
    doc = read_catalog(catalog)
    name = f"policies/{doc.profile}.yaml"
    return file_sha256(name) if config_path(name).is_file() else doc.policy_sha256


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_schema(build: Path, schema: str, target: Path, mode: int) -> list[str]:
    """Copy every relation of ``schema`` into a new file next to ``target``; swap it in.

    The copy runs on a connection to the build itself (the warehouse's own connect), with the
    new file attached: under `airflow dags test` every task shares one process, and DuckDB
    refuses a second handle on a file with another configuration (e.g. read-only).
    """
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    con = connect(build)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables"
                " where table_catalog = current_database() and table_schema = ? order by 1",
                [schema],
            ).fetchall()
        ]
        con.execute(f"attach {sql_string(tmp)} as published")
        try:
            for table in tables:
                # views of the build become tables: a published file stands alone; tables go
                # to the file's default schema (opened as marts.duckdb: `marts.<table>` works)
                con.execute(
                    f'create table published.main."{table}" as select * from {schema}."{table}"'
                )
            con.execute("checkpoint published")
        finally:
            con.execute("detach published")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.chmod(tmp, mode)
    _fsync(tmp)
    os.replace(tmp, target)
    _fsync(target.parent)
    return tables


def _log(
    batch_date: str,
    run_id: str,
    validation: dict,
    published: bool,
    failed: list[dict],
) -> None:
    lay = layout()
    con = connect()
    try:
        governance_log.ensure_tables(con)
        con.execute(
            "insert into governance.publish_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                dt.date.fromisoformat(batch_date),
                published,
                dt.datetime.now(dt.UTC),
                _sha256(lay.catalog),
                _policy_sha256(lay.catalog),
                file_sha256("rules.yaml"),
                json.dumps(validation.get("gx_result_ids", [])),
                git_commit(),
                json.dumps(failed, ensure_ascii=False),
                str(lay.marts_db) if published else None,
                str(lay.restricted_db) if published else None,
            ],
        )
    finally:
        con.close()


def publish(batch_date: str, run_id: str, validation: dict) -> dict:
    """Publish the validated build of ``batch_date``, or raise PublishBlocked (files untouched)."""
    lay = layout()
    if validation.get("batch_date") != batch_date:
        raise ValueError(
            f"validation is for batch {validation.get('batch_date')}, not {batch_date}"
        )
    failed = list(validation.get("blocking_failed", []))
    fingerprint = validation.get("build_fingerprint")
    if not failed and fingerprint is not None:
        from expectations.validate import build_fingerprint

        con = connect(lay.warehouse_db)  # same configuration as the DAG's other handles
        try:
            now = build_fingerprint(con)
        finally:
            con.close()
        if now != fingerprint:
            failed = [
                {
                    "suite": "publish",
                    "expectation": "build_unchanged_since_validation",
                    "unexpected_count": len(set(now.items()) ^ set(fingerprint.items())),
                }
            ]
    if failed:
        _log(batch_date, run_id, validation, False, failed)
        raise PublishBlocked(batch_date, failed)
    ensure_dir(lay.warehouse, TRAVERSE_DIR_MODE)
    marts = _copy_schema(lay.warehouse_db, "marts", lay.marts_db, ANALYST_FILE_MODE)
    restricted = _copy_schema(
        lay.warehouse_db, "restricted_marts", lay.restricted_db, PRIVATE_FILE_MODE
    )
    _log(batch_date, run_id, validation, True, [])
    return {
        "run_id": run_id,
        "batch_date": batch_date,
        "published": True,
        "marts_path": str(lay.marts_db),
        "marts": marts,
        "restricted_path": str(lay.restricted_db),
        "restricted_marts": restricted,
    }


def _run(args: argparse.Namespace) -> int:
    from expectations.validate import validate_build

    run_id = args.run_id or f"cli-{uuid.uuid4()}"
    validation = validate_build(args.batch_date, run_id)
    try:
        outcome = publish(args.batch_date, run_id, validation)
    except PublishBlocked as exc:
        print(exc)
        return 1
    print(json.dumps(outcome, indent=2, ensure_ascii=False))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="validate the batch's dbt build, then publish marts.duckdb / restricted.duckdb",
    )
    parser.add_argument("--batch-date", type=batch_date_arg, required=True, help="YYYY-MM-DD")
    parser.add_argument("--run-id", default=None, help="governance run id (default cli-<uuid>)")
    parser.set_defaults(func=_run)
