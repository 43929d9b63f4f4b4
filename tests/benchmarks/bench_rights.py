"""Benchmark: one customer's erasure, access package and a retention purge on a large lake.

Run: ``python tests/benchmarks/bench_rights.py [--customers N] [--messages M]``. A synthetic
batch is written with DuckDB (customers in raw, restricted, protected and the vault; marketing
messages in raw, restricted and protected; a salt store with one salt per customer), then per
request: the access package of one customer, that customer's erasure (partition rewrites,
crypto-shred, the scan of every cell of every layer, the signed certificate), and the retention
purge (dry run, then applied). Each is per-request work over the whole lake: DuckDB set
operations, never a loop over rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BATCH = "2026-11-20"


def _lake(home: Path, customers: int, messages: int) -> None:
    from crmguard import key_store
    from crmguard.paths import layout

    lay = layout()
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    subject = "C0000001"
    token = key_store.token_for(subject, "CUSTOMER_ID")
    # tokens of everyone else: hex of the right shape (no key needed to look realistic)
    cust = f"""
        select 'C' || lpad(cast(i as varchar), 7, '0') as customer_id,
            case when i = 1 then '{token}' else sha256('c' || i) end as customer_token,
            '1101011990' || lpad(cast(i % 100000000 as varchar), 8, '0') as id_number,
            '138' || lpad(cast(i as varchar), 8, '0') as mobile,
            'user' || i || '@example.cn' as email,
            'customers.csv' as _source_file, i + 1 as _source_line,
            date '{BATCH}' as _batch_date
        from range(1, {customers} + 1) t(i)
    """
    msgs = f"""
        select 'M' || i as message_id,
            'C' || lpad(cast(1 + i % {customers} as varchar), 7, '0') as customer_id,
            case when i % {customers} = 0 then '{token}' else sha256('c' || (1 + i % {customers}))
                end as customer_token,
            'sms' as channel, '会员日优惠' as content,
            timestamptz '2019-01-01 00:00:00+00' + to_days(cast(i % 2800 as integer)) as sent_at,
            'marketing_messages.csv' as _source_file, i + 1 as _source_line,
            date '{BATCH}' as _batch_date
        from range(0, {messages}) t(i)
    """
    for zone, source, sql, drop in (
        ("raw", "customers", cust, ["customer_token"]),
        ("restricted", "customers", cust, ["customer_id", "id_number", "mobile"]),
        ("protected", "customers", cust, ["customer_id", "id_number", "mobile", "email",
                                          "_source_file", "_source_line"]),
        ("raw", "marketing_messages", msgs, ["customer_token"]),
        ("restricted", "marketing_messages", msgs, ["customer_id"]),
        ("protected", "marketing_messages", msgs, ["customer_id", "_source_file",
                                                   "_source_line"]),
    ):  # fmt: skip
        folder = getattr(lay, f"{zone}_partition")(source, BATCH)
        folder.mkdir(parents=True)
        exclude = f" exclude ({', '.join(drop)})" if drop else ""
        con.execute(
            f"copy (select *{exclude} from ({sql})) to '{folder}/part-0.parquet' "
            "(format parquet, compression zstd)"
        )
    # vault and salts: the subject's row really encrypted, the others random bytes
    store = key_store.salt_store()
    store.mkdir(parents=True)
    salt = os.urandom(16)
    con.execute(
        f"""copy (select case when i = 1 then '{key_store.salt_id_for(subject)}'
                else sha256('s' || i) end as salt_id,
            case when i = 1 then '{token}' else sha256('c' || i) end as customer_token,
            1::integer as key_version,
            case when i = 1 then unhex('{salt.hex()}') else unhex(md5('x' || i)) end as salt
        from range(1, {customers} + 1) t(i)) to '{store}/part-0.parquet' (format parquet)"""
    )
    nonce = os.urandom(12)
    plaintext = json.dumps({"id_number": "110101199000000001", "mobile": "13800000001"})
    sealed = nonce + AESGCM(key_store.vault_data_key(salt, 1)).encrypt(
        nonce, plaintext.encode(), None
    )
    vault = lay.vault / "customers" / f"batch_date={BATCH}"
    vault.mkdir(parents=True)
    con.execute(
        f"""copy (select case when i = 1 then '{token}' else sha256('c' || i) end
                as customer_token, 'customers' as source, 1::integer as key_version,
            'aes-256-gcm' as cipher, ['id_number', 'mobile'] as columns,
            case when i = 1 then unhex('{sealed.hex()}') else unhex(sha256('v' || i)) end
                as ciphertext
        from range(1, {customers} + 1) t(i)) to '{vault}/part-0.parquet' (format parquet)"""
    )
    con.close()


def run(customers: int, messages: int) -> dict:
    from crmguard import key_store
    from crmguard.rights import dsr, fulfil, retention

    with tempfile.TemporaryDirectory(prefix="crmguard-bench-rights-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["CRMGUARD_HOME"] = str(home)
        os.environ.pop(key_store.KEY_FILE_ENV, None)
        key_store.ensure_dev_keyring()
        started = time.monotonic()
        _lake(home, customers, messages)
        timings = {"build lake": time.monotonic() - started}
        received = dt.datetime(2026, 11, 19, 2, tzinfo=dt.UTC)
        access = dsr.intake_cli("C0000001", "access", "bench", received)
        delete = dsr.intake_cli("C0000001", "delete", "bench", received)
        for rid in (access, delete):
            dsr.transition(rid, "verified", "bench")
        for label, rid in (("access package", access), ("erasure + scan + certificate", delete)):
            started = time.monotonic()
            done = fulfil.execute(rid, "bench", as_of=dt.date(2026, 11, 21))
            timings[label] = time.monotonic() - started
            assert done["status"] == "completed", done
        for label, apply in (("retention dry run", False), ("retention purge", True)):
            started = time.monotonic()
            report = retention.purge(dt.date(2026, 11, 21), apply=apply)
            timings[label] = time.monotonic() - started
        purged = report["sources"]["marketing_messages"]["purged"]
        size = sum(p.stat().st_size for p in (home / "lake").rglob("*.parquet"))
    return {
        "customers": customers,
        "messages": messages,
        "purged_messages": purged,
        "lake_bytes": size,
        "timings": timings,
        "peak_rss": psutil.Process().memory_info().rss,
    }


def markdown(result: dict) -> str:
    rows = "".join(f"| {k} | {v:.1f} s |\n" for k, v in result["timings"].items())
    return (
        f"Synthetic batch: {result['customers']:,} customers (raw, restricted, protected, vault, "
        f"salts) and {result['messages']:,} marketing messages (raw, restricted, protected); "
        f"lake {result['lake_bytes'] / 2**20:,.0f} MiB after the purge. One customer's requests "
        "and one purge, in one process (DuckDB, 2 cores shared).\n\n"
        f"| step | wall time |\n|---|---|\n{rows}\n"
        f"Messages past their 5-year maximum purged: {result['purged_messages']:,}. "
        f"Process RSS at the end: {result['peak_rss'] / 2**20:,.0f} MiB."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    args = parser.parse_args()
    from crmguard.benchmarks import write_section

    result = run(args.customers, args.messages)
    text = markdown(result)
    print(text)
    write_section("rights", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
