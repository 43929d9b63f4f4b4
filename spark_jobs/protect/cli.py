"""``crmguard protect``: run the protect job for one batch (local Spark, or spark-submit)."""

from __future__ import annotations

import argparse
import json
import subprocess

from crmguard.batch_date import batch_date_arg


def _protect(args: argparse.Namespace) -> int:
    if args.master and args.master.startswith("spark://"):
        from spark_jobs.protect.submit import spark_submit_command

        argv, env = spark_submit_command(args.batch_date, args.master, args.policy, args.sources)
        return subprocess.run(argv, env=env, check=False).returncode
    from spark_jobs.protect.main import run
    from spark_jobs.session import build_session

    spark = build_session("crmguard-protect", master=args.master)
    try:
        summary = run(args.batch_date, args.policy, spark, sources=args.sources)
    finally:
        spark.stop()
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "protect", help="tokenise, mask, generalise and vault one batch (Spark)"
    )
    parser.add_argument("--batch-date", type=batch_date_arg, required=True, help="YYYY-MM-DD")
    parser.add_argument("--policy", default="seed", help="policy profile (config/policies/)")
    parser.add_argument("--master", default=None, help="local[*] (default) or spark://host:port")
    parser.add_argument(
        "--source", action="append", dest="sources", help="only this source (repeatable)"
    )
    parser.set_defaults(func=_protect)
