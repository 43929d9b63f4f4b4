"""Ingest one landing batch file by file: decode, scan, parse, cast, deduplicate, write, reconcile.

These are the functions the Airflow DAG maps over (one task per file); each returns a
JSON-serialisable dict and writes only Parquet, so mapped tasks never contend for DuckDB files.
The records themselves are handled as set operations (crmguard.ingest.engine): the file is
streamed once to decide its encoding, once through the scan that writes the prepared copy, and
DuckDB does the rest within its memory limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from pathlib import Path

import duckdb

from crmguard.config import ingestion_policy, landing_contract
from crmguard.ingest import engine
from crmguard.ingest.decode import (
    EncodingDecision,
    NotStrict,
    assumed_strict,
    decide_encoding,
    open_path,
    transcode,
)
from crmguard.ingest.formats import ingest_formats
from crmguard.ingest.load import discard_staging, place_partition, stage_partition
from crmguard.ingest.reconcile import ReconciliationError, check_file
from crmguard.ingest.scan import PreparedFile, prepare
from crmguard.paths import ensure_private_dir, layout

log = logging.getLogger(__name__)

FORMATS = {".csv": "csv", ".jsonl": "jsonl"}


class LandingFileError(ValueError):
    """A landing file cannot be ingested at all (no header, unknown source, key column missing)."""


def _sort_batch_folder(landing_root: str, batch_date: str) -> tuple[list[dict], list[str]]:
    """(source files of the batch, other files in its folder)."""
    folder = layout().landing_batch(batch_date, Path(landing_root))
    if not folder.is_dir():
        raise LandingFileError(f"{folder}: no landing folder for batch {batch_date}")
    sources = landing_contract().sources
    found: list[dict] = []
    skipped: list[str] = []
    for path in sorted(folder.iterdir()):
        fmt = FORMATS.get(path.suffix.lower())
        if path.is_file() and fmt and path.stem in sources:
            found.append({"source": path.stem, "file": path.name, "format": fmt})
        else:
            skipped.append(path.name)
    return found, skipped


def discover_batch(landing_root: str, batch_date: str) -> list[dict]:
    """Source files of one batch, one dict each; other files and missing sources are logged."""
    found, skipped = _sort_batch_folder(landing_root, batch_date)
    for name in skipped:
        log.info("skipped %s: not a source file of the landing contract", name)
    missing = sorted(set(landing_contract().sources) - {f["source"] for f in found})
    if missing:
        log.warning("batch %s: sources missing from landing: %s", batch_date, ", ".join(missing))
    return found


def skipped_files(landing_root: str, batch_date: str) -> list[str]:
    """Files in the batch folder that are not sources (e.g. expected.json)."""
    return _sort_batch_folder(landing_root, batch_date)[1]


def ingest_file(landing_root: str, batch_date: str, file: str) -> dict:
    """Ingest one landing file into raw and quarantine Parquet; returns its reconciliation."""
    started = time.monotonic()
    day = _date(batch_date)
    path = Path(file)
    if not path.is_absolute():
        path = layout().landing_batch(batch_date, Path(landing_root)) / file
    fmt = FORMATS.get(path.suffix.lower())
    contract_all = landing_contract()
    source = path.stem
    if fmt is None or source not in contract_all.sources:
        raise LandingFileError(f"{path}: not a source file of the landing contract")
    contract = contract_all.sources[source]
    policy, formats = ingestion_policy(), ingest_formats()
    chunk_bytes = formats.engine.chunk_bytes
    opener = open_path(path)
    lay = layout()
    raw_target = lay.raw_partition(source, batch_date)
    quarantine_target = lay.quarantine_partition(source, batch_date)
    # the prepared copy holds delivered data in clear: a private folder, removed on every exit
    with tempfile.TemporaryDirectory(
        prefix=".ingest-work-", dir=ensure_private_dir(lay.ingest_reports)
    ) as tmp:
        work = Path(tmp)

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
                formats.mostly_utf8_min_share,
                chunk_bytes,
                formats.mixed_utf8_min_share,
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
            raw_stage, raw_rows = stage_partition(con, outcome.loaded_sql, raw_target)
            try:
                q_stage, q_rows = stage_partition(con, outcome.quarantine_sql, quarantine_target)
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


def _date(batch_date: str) -> dt.date:
    try:
        return dt.date.fromisoformat(batch_date)
    except ValueError as exc:
        raise LandingFileError(f"batch_date {batch_date!r} is not YYYY-MM-DD") from exc
