"""``crmguard generate``: write a seeded demo landing batch with an ``expected.json`` manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crmguard.batch_date import canonical_batch_date
from crmguard.demo_data.generator import DEFAULT_BATCH_DATE, generate
from crmguard.paths import layout


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write a demo CRM export batch (all landing-contract sources) with planted bad rows",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="landing root (default: the layout's landing/)"
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--batch-date",
        default=DEFAULT_BATCH_DATE,
        help="batch date YYYY-MM-DD (fixed default so the same arguments give the same bytes)",
    )
    parser.add_argument(
        "--violations",
        default="none",
        help=(
            "compliance-rule violations to plant, with near-misses: none (a clean batch), all, "
            "or rule ids (DATA-01,CUS-02,...); MKT-04/CON-03 also write the previous day's batch"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = args.out or layout().landing
    try:
        result = generate(
            out,
            customers=args.customers,
            seed=args.seed,
            batch_date=canonical_batch_date(args.batch_date),
            violations=args.violations,
            progress=lambda line: print(f"[generate] {line}", file=sys.stderr, flush=True),
        )
    except ValueError as exc:
        print(f"crmguard generate: {exc}", file=sys.stderr)
        return 2
    width = max(len(name) for name in result.records)
    for name, records in result.records.items():
        print(f"{name:<{width}}  {records:>12,} records")
    total = sum(result.records.values())
    print(
        f"{len(result.records)} files, {total:,} records in {result.folder} "
        f"({result.elapsed_seconds:.1f} s); manifest {result.manifest.name}"
    )
    if result.previous_folder is not None:
        print(f"previous day's extract (retention baseline) in {result.previous_folder}")
    return 0
