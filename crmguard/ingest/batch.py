"""Ingest one landing batch file by file: decode, scan, parse, cast, deduplicate, write, reconcile.

These are the functions the Airflow DAG maps over (one task per file); each returns a
JSON-serialisable dict and writes only Parquet, so mapped tasks never contend for DuckDB files.
The records themselves are handled as set operations (crmguard.ingest.engine): the file is
streamed once to decide its encoding, once through the scan that writes the prepared copy, and
DuckDB does the rest within its memory limit.
"""

from __future__ import annotations

import logging
import time

import duckdb

from crmguard.batch_date import parse_batch_date
from crmguard.config import ingestion_policy, landing_contract
from crmguard.ingest import engine
from crmguard.ingest.batch_lock import batch_lock
from crmguard.ingest.decode import (
    EncodingDecision,
    NotStrict,
    assumed_strict,
    decide_encoding,
    open_path,
    transcode,
)
from crmguard.ingest.formats import ingest_formats
from crmguard.ingest.landing import LandingFileError, accepted_file, scan_batch
from crmguard.ingest.load import (
    discard_staging,
    place_partition,
    stage_partition,
    staging_area,
    sweep_orphans,
)
from crmguard.ingest.reconcile import ReconciliationError, check_file
from crmguard.ingest.scan import PreparedFile, prepare
from crmguard.paths import ensure_private_dir, layout, owner_only_umask

log = logging.getLogger(__name__)

__all__ = ["LandingFileError", "discover_batch", "ingest_file", "skipped_files"]


def discover_batch(landing_root: str, batch_date: str) -> list[dict]:
    """Source files of one batch, one dict each; refused files and missing sources logged."""
    scan = scan_batch(landing_root, batch_date)
    for name in scan.skipped:
        log.info("skipped %s: not a source file of the landing contract", name)
    for line in scan.problems():
        log.error("batch %s: %s", batch_date, line)
    return [f.as_dict() for f in scan.files]


def skipped_files(landing_root: str, batch_date: str) -> list[str]:
    """Files in the batch folder that are not sources (e.g. expected.json)."""
    return scan_batch(landing_root, batch_date).skipped


def ingest_file(landing_root: str, batch_date: str, file: str) -> dict:
    """Ingest one landing file into raw and quarantine Parquet; returns its reconciliation.

    Holds the batch lock shared (the DAG's per-file tasks run side by side, never beside a CLI
    ingest of the batch) and first sweeps what a killed run left in the staging area.
    """
    owner_only_umask()  # before any write, the lock file included
    parse_batch_date(batch_date)
    with batch_lock(batch_date, exclusive=False):
        for leftover in sweep_orphans():
            log.warning("removed %s, left by a killed ingest", leftover)
        return _ingest_accepted_file(landing_root, batch_date, file)


def _ingest_accepted_file(landing_root: str, batch_date: str, file: str) -> dict:
    started = time.monotonic()
    day = parse_batch_date(batch_date)
    accepted = accepted_file(landing_root, batch_date, file)
    path, fmt, source = accepted.path, accepted.format, accepted.source
    contract_all = landing_contract()
    contract = contract_all.sources[source]
    policy, formats = ingestion_policy(), ingest_formats()
    chunk_bytes = formats.engine.chunk_bytes
    opener = open_path(path)
    lay = layout()
    raw_target = lay.raw_partition(source, batch_date)
    quarantine_target = lay.quarantine_partition(source, batch_date)
    # the prepared copy holds delivered data in clear: a private staging folder outside every
    # zone, removed on every exit and swept at the next run if this one is killed
    with staging_area() as work:

        def scan(decision: EncodingDecision, require_strict: bool = False) -> PreparedFile:
            return prepare(
                transcode(opener, decision, chunk_bytes, require_strict),
                work / f"prepared.{fmt}",
                fmt,
                formats.csv,
                formats.engine.max_record_lines,
                decision,
                formats.engine.max_line_bytes,
            )

        # one pass for a clean file: assume strict UTF-8 and confirm it while scanning; any
        # other file is decided on its whole content first, then scanned
        decision = assumed_strict(opener, policy.strict_encodings)
        try:
            if decision is None:
                raise NotStrict
            prepared = scan(decision, require_strict=True)
        except NotStrict:
            decision = decide_encoding(
                opener,
                policy.strict_encodings,
                formats.mostly_min_share,
                chunk_bytes,
            )
            prepared = scan(decision)
        log.info(
            "%s: %d bytes, encoding %s (%s)",
            path.name,
            path.stat().st_size,
            decision.encoding,
            decision.decision,
        )
        scanned = time.monotonic()
        log.info(
            "%s: scanned %d physical lines, %d records (%.1fs)",
            path.name,
            prepared.physical_lines,
            prepared.counted,
            scanned - started,
        )
        if fmt == "csv":
            if not prepared.header:
                raise LandingFileError(f"{path}: line 1: no header row")
            names = engine.csv_names(prepared.header, contract)
            if contract.key not in names:
                raise LandingFileError(
                    f"{path}: line 1: key column {contract.key!r} missing from header"
                )
            duplicated = sorted({n for n in names if names.count(n) > 1})
            if duplicated:
                raise LandingFileError(
                    f"{path}: line 1: columns given twice (after aliases): {duplicated}"
                )
            absent = [n for n, c in contract.columns.items() if c.required and n not in names]
            if absent:  # every row would be quarantined for it: refuse the file
                raise LandingFileError(
                    f"{path}: line 1: required columns missing from header: {absent}"
                )
        con = engine.connect(work, formats.engine)
        try:
            try:
                outcome = engine.run(
                    con,
                    prepared,
                    contract,
                    contract_all.timezone,
                    formats,
                    path.name,
                    day,
                    source,
                )
            except duckdb.Error as exc:  # a file the engine cannot read: say so, batch goes on
                raise LandingFileError(
                    f"{path}: the parser failed ({type(exc).__name__}): {str(exc)[:2000]}"
                ) from exc
            log.info(
                "%s: parsed and cast, %d to load, %d to quarantine (%.1fs)",
                path.name,
                outcome.rows_loaded,
                outcome.rows_quarantined,
                time.monotonic() - scanned,
            )
            result = {
                "source": source,
                "file": path.name,
                "format": fmt,
                "encoding": decision.encoding,
                "encoding_decision": decision.decision,
                "rows_counted": prepared.counted,
                "rows_loaded": outcome.rows_loaded,
                "rows_quarantined": outcome.rows_quarantined,
                "quarantine_by_kind": outcome.by_kind,
                "unknown_columns": outcome.unknown,
                "physical_lines": prepared.physical_lines,
                "raw_path": str(raw_target),
                "quarantine_path": str(quarantine_target),
                "elapsed_s": 0.0,
            }
            # fail before writing: an unreconciled file never replaces the batch already in raw
            check_file(result)
            for zone in (lay.raw, lay.quarantine):  # engineers only, from the zone root down
                ensure_private_dir(zone)
            raw_stage, raw_rows = stage_partition(con, outcome.loaded_sql, work)
            try:
                q_stage, q_rows = stage_partition(con, outcome.quarantine_sql, work)
            except BaseException:
                discard_staging(raw_stage)
                raise
            if (raw_rows, q_rows) != (outcome.rows_loaded, outcome.rows_quarantined):
                discard_staging(raw_stage)
                discard_staging(q_stage)
                raise ReconciliationError(
                    [{**result, "rows_loaded": raw_rows, "rows_quarantined": q_rows}]
                )
            place_partition(raw_stage, raw_target)
            place_partition(q_stage, quarantine_target)
        finally:
            con.close()
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    counted, quarantined = result["rows_counted"], result["rows_quarantined"]
    if counted and quarantined / counted > policy.quarantine_rate_warning:
        log.warning("%s: %d of %d records quarantined", path.name, quarantined, counted)
    log.info(
        "%s: counted %d, loaded %d, quarantined %d in %.2fs",
        path.name,
        counted,
        result["rows_loaded"],
        quarantined,
        result["elapsed_s"],
    )
    return result
