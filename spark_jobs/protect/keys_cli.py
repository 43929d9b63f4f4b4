"""``crmguard keys``: development keyring, rotation (re-tokenising batches) and crypto-shredding."""

from __future__ import annotations

import argparse

from crmguard import key_store
from crmguard.batch_date import batch_date_arg


def _init(args: argparse.Namespace) -> int:
    print(f"keyring: {key_store.ensure_dev_keyring()}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    version = key_store.rotate()
    print(f"active key version: {version}")
    if args.batch_date:
        # re-tokenise: protect the batches again under the new version (raw is kept)
        from spark_jobs.protect.main import run
        from spark_jobs.session import build_session

        spark = build_session("crmguard-rotate")
        try:
            for batch in args.batch_date:
                summary = run(batch, args.policy, spark)
                print(f"{batch}: {summary['rows_protected']} rows re-tokenised")
        finally:
            spark.stop()
    return 0


def _shred(args: argparse.Namespace) -> int:
    key_store.shred_customer(args.customer_token)
    print(f"shredded: vault entries of {args.customer_token[:12]}… can no longer be decrypted")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="key file, rotation, crypto-shredding")
    sub = parser.add_subparsers(dest="keys_command", required=True)
    init = sub.add_parser("init", help="create the development keyring if absent (0600)")
    init.set_defaults(func=_init)
    rotate = sub.add_parser("rotate", help="new key version; re-tokenise the given batches")
    rotate.add_argument(
        "--batch-date", type=batch_date_arg, action="append", default=[], help="repeatable"
    )
    rotate.add_argument("--policy", default="seed")
    rotate.set_defaults(func=_rotate)
    shred = sub.add_parser("shred", help="delete one customer's salt (deletion requests)")
    shred.add_argument("customer_token")
    shred.set_defaults(func=_shred)
