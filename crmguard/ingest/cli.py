"""``crmguard ingest``: discover, ingest and reconcile one landing batch in-process."""

from __future__ import annotations

import argparse
import logging

from crmguard.batch_date import batch_date_arg
from crmguard.ingest.batch import LandingFileError, discover_batch, ingest_file, skipped_files
from crmguard.ingest.reconcile import ReconciliationError, record_batch


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ingest", help="ingest a landing batch into raw Parquet")
    parser.add_argument("--landing", required=True, help="landing root (holds <batch_date>/)")
    parser.add_argument("--batch-date", type=batch_date_arg, required=True, help="YYYY-MM-DD")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    files = discover_batch(args.landing, args.batch_date)
    results: list[dict] = []
    failed: list[str] = []
    for f in files:
        try:
            results.append(ingest_file(args.landing, args.batch_date, f["file"]))
        except ReconciliationError as exc:
            results.extend(exc.failures)
            failed.append(str(exc))
        except LandingFileError as exc:  # the file cannot be read at all: say so, go on
            failed.append(str(exc))
    print(f"{'file':<26}{'encoding':<10}{'counted':>9}{'loaded':>9}{'quarant.':>9}  by kind")
    for r in results:
        kinds = ", ".join(f"{k}={n}" for k, n in r["quarantine_by_kind"].items())
        print(
            f"{r['file']:<26}{r['encoding']:<10}{r['rows_counted']:>9}{r['rows_loaded']:>9}"
            f"{r['rows_quarantined']:>9}  {kinds}"
        )
    skipped = skipped_files(args.landing, args.batch_date)
    if skipped:
        print("skipped (not sources): " + ", ".join(skipped))
    try:
        summary = record_batch(args.batch_date, results)
    except ReconciliationError as exc:
        print(f"FAILED: {exc}")
        return 1
    for message in failed:
        print(f"FAILED: {message}")
    if summary["missing_sources"]:
        print("missing sources: " + ", ".join(summary["missing_sources"]))
    for source, cols in summary["unknown_columns"].items():
        print(f"unclassified columns in {source}: {', '.join(cols)}")
    print(
        f"total: {summary['files']} files, counted {summary['rows_counted']}, loaded "
        f"{summary['rows_loaded']}, quarantined {summary['rows_quarantined']}"
    )
    return 1 if failed else 0
