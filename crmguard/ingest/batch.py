"""Ingest one landing batch file by file: decode, parse, normalise, deduplicate, write, reconcile.

These are the functions the Airflow DAG maps over (one task per file); each returns a
JSON-serialisable dict and writes only Parquet, so mapped tasks never contend for DuckDB files.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from crmguard.batch_date import parse_batch_date
from crmguard.config import SourceContract, ingestion_policy, landing_contract
from crmguard.ingest import parse
from crmguard.ingest.batch_lock import batch_lock
from crmguard.ingest.decode import DecodedFile, decode_file
from crmguard.ingest.formats import IngestFormats, ingest_formats
from crmguard.ingest.landing import LandingFileError, accepted_file, scan_batch
from crmguard.ingest.load import (
    QUARANTINE_SCHEMA,
    raw_schema,
    staging_area,
    sweep_orphans,
    write_partition,
)
from crmguard.ingest.normalise import RecordCaster, Rejection, Typed
from crmguard.ingest.reconcile import check_file
from crmguard.paths import ensure_private_dir, layout, owner_only_umask

log = logging.getLogger(__name__)

# (physical line of record start, raw record text, delivered values by canonical column)
ParsedRecord = tuple[int, str, dict[str, str | None]]


@dataclass
class Quarantined:
    line: int
    raw_text: str
    kind: str
    reason: str
    # the record's key as delivered, when the parser got that far (retention rules must not
    # read a key whose row was quarantined as deleted at the source)
    record_key: str | None = None


@dataclass
class Loaded:
    line: int
    values: dict[str, Typed]


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


def _clip(text: str, formats: IngestFormats) -> str:
    return text[: formats.raw_text_max_chars]


def _csv_records(
    path: Path, decoded: DecodedFile, contract: SourceContract, formats: IngestFormats
) -> tuple[int, list[str], list[ParsedRecord], list[Quarantined]]:
    """(independent count, header, parsed records as (line, raw text, values), rejected rows)."""
    dialect = formats.csv
    counted = parse.count_csv_records(decoded.text, dialect)
    header, spans = parse.csv_layout(decoded.text, dialect)
    if not header:
        raise LandingFileError(f"{path}: line 1: no header row")
    lines = decoded.text.split("\n")

    def raw(i: int) -> str:
        span = spans[i]
        return "\n".join(lines[span.start_line - 1 : span.end_line])

    bad_lines = decoded.undecodable_lines()
    data = decoded.text.encode("utf-8")
    line_starts = parse.line_start_bytes(data)
    record_starts = [line_starts[s.start_line - 1] for s in spans]
    # DuckDB reads a UTF-8 copy of the decoded text (it has no GB18030 reader of its own)
    with staging_area() as tmp:  # plaintext scratch: swept if the run is killed
        utf8_copy = tmp / "decoded.csv"
        utf8_copy.write_bytes(data)
        rows, rejects = parse.read_csv_duckdb(utf8_copy, len(header), dialect)
    quarantined: list[Quarantined] = []
    rejected: set[int] = set()
    for reject in rejects:
        i = parse.record_for_byte(data, record_starts, reject.byte_position)
        if i is None or i in rejected:
            continue
        rejected.add(i)
        kind = "ragged_row" if "COLUMNS" in reject.error_type else "malformed_csv"
        quarantined.append(
            Quarantined(
                spans[i].start_line,
                _clip(raw(i), formats),
                kind,
                f"{reject.error_type.lower()}: {reject.message}",
            )
        )
    # a header cell left empty (e.g. a trailing comma) still names its column in raw
    names = [
        contract.canonical(h) if h.strip() else f"unnamed_{n}" for n, h in enumerate(header, 1)
    ]
    good = [i for i in range(len(spans)) if i not in rejected]
    records: list[ParsedRecord] = []
    # DuckDB keeps file order, so its rows line up with the records it did not reject
    for i, row in zip(good, rows, strict=False):
        span = spans[i]
        hit = next(
            (bad_lines[n] for n in range(span.start_line, span.end_line + 1) if n in bad_lines),
            None,
        )
        if hit is not None:
            quarantined.append(
                Quarantined(
                    span.start_line,
                    _clip(raw(i), formats),
                    "undecodable_bytes",
                    f"undecodable bytes ({decoded.encoding}) at byte offset {hit}",
                )
            )
            continue
        records.append((span.start_line, raw(i), dict(zip(names, row, strict=True))))
    if len(rows) > len(good):  # DuckDB produced rows the independent layout does not know
        for row in rows[len(good) :]:
            records.append((0, "", dict(zip(names, row, strict=True))))
    return counted, names, records, quarantined


def _jsonl_records(
    data: bytes, decoded: DecodedFile, contract: SourceContract, formats: IngestFormats
) -> tuple[int, list[str], list[ParsedRecord], list[Quarantined]]:
    counted = parse.count_jsonl_records(data)
    bad_lines = decoded.undecodable_lines()
    names: list[str] = []
    records: list[ParsedRecord] = []
    quarantined: list[Quarantined] = []
    for entry in parse.parse_jsonl(decoded.text):
        raw = _clip(entry.text, formats)
        if entry.line in bad_lines:
            reason = (
                f"undecodable bytes ({decoded.encoding}) at byte offset {bad_lines[entry.line]}"
            )
            quarantined.append(Quarantined(entry.line, raw, "undecodable_bytes", reason))
            continue
        if entry.value is None:
            quarantined.append(Quarantined(entry.line, raw, "malformed_json", entry.error or ""))
            continue
        values: dict[str, str | None] = {}
        for key, value in entry.value.items():
            name = contract.canonical(key)
            if name not in names:
                names.append(name)
            values[name] = _json_text(value)
        records.append((entry.line, entry.text, values))
    return counted, names, records, quarantined


def _json_text(value: object) -> str | None:
    """JSON scalars as the text a CSV export would carry; nested values as compact JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _resolve_duplicates(
    loaded: list[Loaded], contract: SourceContract
) -> tuple[list[Loaded], list[tuple[Loaded, str]]]:
    """Latest ``order_by`` wins per key, else the last in file; the others with their reason."""
    by_key: dict[object, list[int]] = {}
    for i, row in enumerate(loaded):
        by_key.setdefault(row.values[contract.key], []).append(i)
    losers: dict[int, str] = {}
    order_by = contract.order_by
    for key, positions in by_key.items():
        if len(positions) == 1:
            continue

        def rank(i: int) -> tuple[bool, object, int]:
            value = loaded[i].values.get(order_by) if order_by else None
            return (value is not None, value if value is not None else 0, i)

        winner = max(positions, key=rank)
        basis = f"latest {order_by}" if order_by else "last in file"
        for i in positions:
            if i != winner:
                losers[i] = (
                    f"duplicate {contract.key} {key!r}: superseded by line "
                    f"{loaded[winner].line} ({basis})"
                )
    kept = [row for i, row in enumerate(loaded) if i not in losers]
    return kept, [(loaded[i], reason) for i, reason in sorted(losers.items())]


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
    data = path.read_bytes()
    decoded = decode_file(data, policy.strict_encodings, formats.mostly_utf8_min_share)
    log.info(
        "%s: %d bytes, encoding %s (%s)", path.name, len(data), decoded.encoding, decoded.decision
    )

    if fmt == "csv":
        counted, names, records, quarantined = _csv_records(path, decoded, contract, formats)
    else:
        counted, names, records, quarantined = _jsonl_records(data, decoded, contract, formats)
    if fmt == "csv" and contract.key not in names:
        raise LandingFileError(f"{path}: line 1: key column {contract.key!r} missing from header")
    absent = [n for n, c in contract.columns.items() if c.required and n not in names]
    if fmt == "csv" and absent:  # every row would be quarantined for it: refuse the file
        raise LandingFileError(f"{path}: line 1: required columns missing from header: {absent}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LandingFileError(f"{path}: line 1: columns given twice (after aliases): {duplicated}")
    unknown = [n for n in names if n not in contract.columns]
    log.info(
        "%s: %d records parsed, %d rejected by the parser",
        path.name,
        len(records),
        len(quarantined),
    )

    caster = RecordCaster(contract, contract_all.timezone, formats)
    loaded: list[Loaded] = []
    last_log = time.monotonic()
    for n, (line, raw, values) in enumerate(records, start=1):
        typed = caster.cast_record(values)
        if isinstance(typed, Rejection):
            quarantined.append(
                Quarantined(
                    line,
                    _clip(raw, formats),
                    typed.kind,
                    typed.reason,
                    _key_text(values.get(contract.key)),
                )
            )
        else:
            loaded.append(Loaded(line, typed))
        if time.monotonic() - last_log >= policy.progress_every_seconds:
            last_log = time.monotonic()
            log.info(
                "%s: cast %d/%d records (%.1fs)", path.name, n, len(records), last_log - started
            )
    kept, superseded = _resolve_duplicates(loaded, contract)
    raw_by_line = {line: raw for line, raw, _ in records}
    for row, reason in superseded:
        quarantined.append(
            Quarantined(
                row.line,
                _clip(raw_by_line.get(row.line, ""), formats),
                "duplicate_key",
                reason,
                _key_text(row.values.get(contract.key)),
            )
        )
    quarantined.sort(key=lambda q: q.line)

    lay = layout()
    raw_target = lay.raw_partition(source, batch_date)
    quarantine_target = lay.quarantine_partition(source, batch_date)
    by_kind: dict[str, int] = {}
    for q in quarantined:
        by_kind[q.kind] = by_kind.get(q.kind, 0) + 1
    result = {
        "source": source,
        "file": path.name,
        "format": fmt,
        "encoding": decoded.encoding,
        "encoding_decision": decoded.decision,
        "rows_counted": counted,
        "rows_loaded": len(kept),
        "rows_quarantined": len(quarantined),
        "quarantine_by_kind": dict(sorted(by_kind.items())),
        "unknown_columns": unknown,
        "raw_path": str(raw_target),
        "quarantine_path": str(quarantine_target),
        "elapsed_s": 0.0,
    }
    # fail before writing: an unreconciled file never replaces the batch already in raw
    check_file(result)
    for zone in (lay.raw, lay.quarantine):  # engineers only, from the zone root down
        ensure_private_dir(zone)
    write_partition(_raw_table(contract, unknown, formats, kept, path.name, day), raw_target)
    write_partition(_quarantine_table(source, path.name, day, quarantined), quarantine_target)
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    if counted and len(quarantined) / counted > policy.quarantine_rate_warning:
        log.warning("%s: %d of %d records quarantined", path.name, len(quarantined), counted)
    log.info(
        "%s: counted %d, loaded %d, quarantined %d in %.2fs",
        path.name,
        counted,
        len(kept),
        len(quarantined),
        result["elapsed_s"],
    )
    return result


def _raw_table(
    contract: SourceContract,
    unknown: list[str],
    formats: IngestFormats,
    kept: list[Loaded],
    file_name: str,
    day: dt.date,
) -> pa.Table:
    schema = raw_schema(contract, unknown, formats)
    columns: dict[str, list] = {f.name: [] for f in schema}
    for row in kept:
        for name in (*contract.columns, *unknown):
            columns[name].append(row.values.get(name))
        columns["_source_file"].append(file_name)
        columns["_source_line"].append(row.line)
        columns["_batch_date"].append(day)
    return pa.table(columns, schema=schema)


def _quarantine_table(
    source: str, file_name: str, day: dt.date, quarantined: list[Quarantined]
) -> pa.Table:
    n = len(quarantined)
    columns = {
        "source": [source] * n,
        "file": [file_name] * n,
        "line": [q.line for q in quarantined],
        "raw_text": [q.raw_text for q in quarantined],
        "reason": [q.reason for q in quarantined],
        "kind": [q.kind for q in quarantined],
        "record_key": [q.record_key for q in quarantined],
        "batch_date": [day] * n,
    }
    return pa.table(columns, schema=QUARANTINE_SCHEMA)


def _key_text(value: object) -> str | None:
    """A delivered key as text (None when absent or blank)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
