"""Entry point of the protect job: ``run()`` for Python callers, ``main()`` for spark-submit.

Reads each raw partition of the batch, the catalog and the policy; writes ``lake/protected``,
``lake/restricted`` and ``lake/vault``. Key material is read here, in the driver, from the key
file and reaches executors only as the one-row pads frame (see ``io.key_pads``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file by spark-submit: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from classification.policy import load_policy
from spark_jobs.protect import io, transforms
from spark_jobs.protect.free_text import scrub_free_text
from spark_jobs.protect.settings import protection_settings

log = logging.getLogger("crmguard.protect")


def scrub_entities(policy) -> list[str]:
    """Entities replaced in free text: everything the policy does not let pass in clear."""
    return sorted(
        name
        for name in policy.entities
        if policy.protection_of(name) in ("vault_token_mask", "restricted_generalise")
        and not policy.entity(name).scrub_free_text
    )


def run(batch_date: str, policy_profile: str = "seed", spark: SparkSession | None = None) -> dict:
    """Protect every raw table of ``batch_date``; returns the run summary."""
    from spark_jobs.session import build_session

    started = time.perf_counter()
    policy = load_policy(policy_profile)
    settings = protection_settings()
    catalog = io.read_catalog()
    spark = spark or build_session("crmguard-protect")
    keys = io.key_pads(spark).cache()
    key_version = int(keys.first()["_key_version"])
    entities = scrub_entities(policy)
    summary: dict = {
        "batch_date": batch_date,
        "policy_profile": policy.profile,
        "policy_version": policy.policy_version,
        "tables": [],
        "rows_in": 0,
        "rows_protected": 0,
        "dropped_columns": [],
        "vault_entries": 0,
        "stage_s": {"zones": 0.0, "salts": 0.0, "vault": 0.0},
    }
    meta = {
        "policy_profile": policy.profile,
        "policy_version": policy.policy_version,
        "policy_sha256": policy.sha256,
    }
    for source in io.raw_sources(batch_date):
        raw = io.read_raw(spark, source, batch_date)
        plan = transforms.plan_table(raw.columns, catalog["tables"].get(source, {}), policy)
        if plan.free_text:
            # scrub once, before the projections, and reuse it for both zones
            raw = scrub_free_text(raw, plan.free_text, entities, settings.free_text).persist(
                StorageLevel.DISK_ONLY
            )
        # every output computed once, kept on disk (not heap) in the owner-only spark.local.dir
        wide = transforms.protect_wide(raw, keys, plan).persist(StorageLevel.DISK_ONLY)
        meta_table = {**meta, "key_version": key_version}
        stage = time.perf_counter()
        for zone in ("protected", "restricted"):
            io.write_zone(
                wide.select(*plan.names(zone)), zone, source, batch_date, plan, meta_table
            )
        if plan.vault_columns and plan.customer_column:
            token = transforms.token_column_name(plan.customer_column)
            links = (
                wide.where(F.col(token).isNotNull())
                .select(
                    F.col(transforms.VAULT_SALT_ID).alias("salt_id"),
                    F.col(token).alias("customer_token"),
                    F.col(transforms.KEY_VERSION).alias("key_version"),
                )
                .distinct()
            )
            summary["stage_s"]["zones"] += time.perf_counter() - stage
            stage = time.perf_counter()
            salts = io.ensure_salts(spark, links)
            summary["stage_s"]["salts"] += time.perf_counter() - stage
            stage = time.perf_counter()
            vault = transforms.vault_from_wide(wide, salts, keys, plan)
            target = io.write_zone(vault, "vault", source, batch_date, None, meta_table)
            summary["vault_entries"] += spark.read.parquet(str(target)).count()
            summary["stage_s"]["vault"] += time.perf_counter() - stage
        elif plan.vault_columns:
            log.warning(
                "%s: vaulted columns %s have no customer key; clear values discarded",
                source,
                sorted(plan.vault_columns),
            )
        rows = spark.read.parquet(str(io.layout().protected_partition(source, batch_date))).count()
        summary["tables"].append(source)
        summary["rows_in"] += raw.count()
        summary["rows_protected"] += rows
        summary["dropped_columns"] += [f"{source}.{c}" for c in plan.dropped]
        wide.unpersist()
        raw.unpersist()
    keys.unpersist()
    summary["elapsed_s"] = round(time.perf_counter() - started, 2)
    if summary["dropped_columns"]:
        log.warning(
            "fail closed: columns left out of protected/restricted: %s",
            ", ".join(summary["dropped_columns"]),
        )
    log.info("protect %s: %s", batch_date, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CRM Guard protect job (spark-submit entry)")
    parser.add_argument("--batch-date", required=True)
    parser.add_argument("--policy", default="seed")
    parser.add_argument("--master", default=None, help="e.g. local[2] or spark://127.0.0.1:7077")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from spark_jobs.session import build_session

    spark = build_session("crmguard-protect", master=args.master)
    try:
        summary = run(args.batch_date, args.policy, spark)
    finally:
        spark.stop()
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
