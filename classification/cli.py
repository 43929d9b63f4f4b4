"""``crmguard classify PATH... [--policy seed|jrt0171] --out catalog.json`` (or ``--batch-date
D``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crmguard.batch_date import batch_date_arg


def _run(args: argparse.Namespace) -> int:
    from classification.catalog import classify_batch, classify_paths, write_catalog

    if args.batch_date:
        summary = classify_batch(args.batch_date, args.policy)
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    if not args.paths:
        print("crmguard classify: give PATH... or --batch-date", file=sys.stderr)
        return 2
    try:
        doc = classify_paths(args.paths, args.policy)
    except (FileNotFoundError, ValueError) as exc:
        print(f"crmguard classify: {exc}", file=sys.stderr)
        return 2
    if args.out:
        write_catalog(doc, Path(args.out))
        cols = sum(len(c) for c in doc["tables"].values())
        print(f"wrote {args.out}: {len(doc['tables'])} tables, {cols} columns ({doc['profile']})")
    else:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "classify", help="classify columns of Parquet/CSV tables into PII entities and tiers"
    )
    p.add_argument("paths", nargs="*", help="Parquet or CSV files, or folders of Parquet parts")
    p.add_argument("--policy", default="seed", help="policy profile (config/policies/<name>.yaml)")
    p.add_argument("--out", help="catalog JSON to write (default: print)")
    p.add_argument(
        "--batch-date",
        type=batch_date_arg,
        help="classify the raw lake partitions of this batch instead",
    )
    p.set_defaults(func=_run)
