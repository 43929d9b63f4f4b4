"""``crmguard ingest``: discover, ingest and reconcile one landing batch in-process.

Exit 0 only when every contract source delivered exactly one readable file and every file
reconciles; anything else is stated (file, line where known, reason) and exits 1. A bad file
never stops the other files of the batch, and never ends in a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from crmguard.batch_date import batch_date_arg
from crmguard.ingest.batch import ingest_file
from crmguard.ingest.batch_lock import DEFAULT_WAIT_S, BatchLocked, batch_lock, warehouse_writer
from crmguard.ingest.landing import LandingFileError, scan_batch
from crmguard.ingest.load import sweep_orphans
from crmguard.ingest.reconcile import ReconciliationError, invalidate_batch, record_batch
from crmguard.paths import owner_only_umask

log = logging.getLogger("crmguard.ingest")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ingest", help="ingest a landing batch into raw Parquet")
    parser.add_argument("--landing", required=True, help="landing root (holds <batch_date>/)")
    parser.add_argument("--batch-date", type=batch_date_arg, required=True, help="YYYY-MM-DD")
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help="wait this long for another ingest of the batch to finish (0: refuse at once)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    owner_only_umask()  # before any write: lock file, staging, raw, quarantine, reports
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        with batch_lock(args.batch_date, wait_s=args.lock_wait):
            return _ingest_batch(args.landing, args.batch_date)
    except (BatchLocked, LandingFileError) as exc:
        print(f"crmguard ingest: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # e.g. crm.duckdb held by another writer: say so, no traceback
        log.debug("ingest of batch %s failed", args.batch_date, exc_info=True)
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"crmguard ingest: batch {args.batch_date}: {type(exc).__name__}: {first}",
              file=sys.stderr)  # fmt: skip
        return 1


def _ingest_batch(landing: str, batch_date: str) -> int:
    with warehouse_writer():  # whatever happens next, the earlier record is not this run's
        invalidate_batch(batch_date)
    scan = scan_batch(landing, batch_date)  # a missing or escaping batch folder stops here
    for leftover in sweep_orphans():
        log.warning("removed %s, left by a killed ingest", leftover)
    results: list[dict] = []
    refused = [r.as_dict() for r in scan.refused]
    failed: list[str] = []
    for f in scan.files:
        try:
            results.append(ingest_file(landing, batch_date, f.file))
        except ReconciliationError as exc:
            results.extend(exc.failures)
            failed.append(str(exc))
        except LandingFileError as exc:  # the file cannot be read at all: say so, go on
            refused.append({**f.as_dict(), "reason": str(exc)})
        except Exception as exc:  # one bad file must not stop the batch, nor print a traceback
            log.debug("%s failed", f.file, exc_info=True)
            reason = f"{scan.folder / f.file}: ingest failed: {type(exc).__name__}: {exc}"
            refused.append({**f.as_dict(), "reason": reason.splitlines()[0]})
    print(f"{'file':<26}{'encoding':<10}{'counted':>9}{'loaded':>9}{'quarant.':>9}  by kind")
    for r in results:
        kinds = ", ".join(f"{k}={n}" for k, n in r["quarantine_by_kind"].items())
        print(
            f"{r['file']:<26}{r['encoding']:<10}{r['rows_counted']:>9}{r['rows_loaded']:>9}"
            f"{r['rows_quarantined']:>9}  {kinds}"
        )
    if scan.skipped:
        print("skipped (not sources): " + ", ".join(scan.skipped))
    try:
        with warehouse_writer():
            summary = record_batch(batch_date, results, refused)
    except ReconciliationError as exc:
        print(f"FAILED: {exc}")
        return 1
    for message in failed:
        print(f"FAILED: {message}")
    for r in summary["refused"]:
        reason = r["reason"]
        where = str(scan.folder / r["file"]) if r.get("file") else str(scan.folder)
        print(f"REFUSED: {reason if reason.startswith(where) else f'{where}: {reason}'}")
    if summary["missing_sources"]:
        print("FAILED: missing sources: " + ", ".join(summary["missing_sources"]))
    for source, cols in summary["unknown_columns"].items():
        print(f"unclassified columns in {source}: {', '.join(cols)}")
    print(
        f"total: {summary['files']} files, counted {summary['rows_counted']}, loaded "
        f"{summary['rows_loaded']}, quarantined {summary['rows_quarantined']}"
        + ("" if summary["complete"] else "; batch INCOMPLETE (see above)")
    )
    return 0 if summary["complete"] and not failed else 1
