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

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from classification.policy import NONE, load_policy
from crmguard.batch_date import batch_date_arg
from crmguard.progress import Progress
from crmguard.stage_contracts import (
    PERSONAL_CLASSES,
    ProtectionClass,
    ProtectiveForm,
    write_protection_manifest,
)
from spark_jobs.protect import io, transforms
from spark_jobs.protect.free_text import scrub_free_text
from spark_jobs.protect.settings import protection_settings

log = logging.getLogger("crmguard.protect")


def scrub_entities(policy) -> list[str]:
    """Entities replaced in free text: everything the policy does not let pass in clear."""
    return sorted(
        name
        for name in policy.entities
        if policy.protection_of(name) in PERSONAL_CLASSES
        and not policy.entity(name).scrub_free_text
    )


def run(
    batch_date: str,
    policy_profile: str = "seed",
    spark: SparkSession | None = None,
    vault_cipher: str | None = None,
    sources: list[str] | None = None,
) -> dict:
    """Protect every raw table of ``batch_date`` (or only ``sources``); returns the run
    summary. ``vault_cipher`` overrides config/protection.yaml's ``vault.cipher``
    (aes-256-gcm | sm4-gcm)."""
    from spark_jobs.session import build_session

    started = time.perf_counter()
    policy = load_policy(policy_profile)
    settings = protection_settings()
    catalog = io.read_catalog()
    spark = spark or build_session("crmguard-protect")
    keys = io.key_pads(spark).cache()
    key_version = int(keys.first()["_key_version"])
    entities = scrub_entities(policy)
    cipher = vault_cipher or settings.vault.cipher
    summary: dict = {
        "batch_date": batch_date,
        "policy_profile": policy.profile,
        "policy_version": policy.policy_version,
        "tables": [],
        "rows_in": 0,
        "rows_protected": 0,
        "dropped_columns": [],
        "vault_entries": 0,
        "vault_cipher": cipher,
        "stage_s": {"zones": 0.0, "salts": 0.0, "vault": 0.0},
        "table_s": {},
    }
    meta = {
        "policy_profile": policy.profile,
        "policy_version": policy.policy_version,
        "policy_sha256": policy.sha256,
    }
    available = io.raw_sources(batch_date)
    unknown = sorted(set(sources or []) - set(available))
    if unknown:
        raise io.ProtectInputError(f"no raw partition of {batch_date} for: {', '.join(unknown)}")
    chosen = [s for s in available if sources is None or s in sources]
    # row counts from the Parquet footers: no Spark job, and the progress line's total
    raw_rows = {s: io.parquet_rows(io.layout().raw_partition(s, batch_date)) for s in chosen}
    progress = Progress("protect", sum(raw_rows.values()), len(chosen))
    for source in chosen:
        table_started = time.perf_counter()
        raw = io.read_raw(spark, source, batch_date)
        plan = transforms.plan_table(raw.columns, catalog["tables"].get(source, {}), policy)
        # free text is scrubbed once, by the restricted write (protected is selected from the
        # written restricted partition); the vault and the row count read the raw partition
        scrubbed = (
            scrub_free_text(raw, plan.free_text, entities, settings.free_text)
            if plan.free_text
            else raw
        )
        meta_table = {**meta, "key_version": key_version}
        _write_outputs(
            spark, raw, scrubbed, keys, plan, source, batch_date, meta_table, summary, cipher
        )
        if plan.vault_columns and not plan.customer_column:
            log.warning(
                "%s: vaulted columns %s have no customer key; clear values discarded",
                source,
                sorted(plan.vault_columns),
            )
        rows = io.parquet_rows(io.layout().protected_partition(source, batch_date))
        summary["tables"].append(source)
        summary["rows_in"] += raw_rows[source]
        summary["rows_protected"] += rows
        summary["dropped_columns"] += [f"{source}.{c}" for c in plan.dropped]
        seconds = time.perf_counter() - table_started
        summary["table_s"][source] = round(seconds, 2)
        progress.item_done(source, raw_rows[source], seconds)
    summary["quarantined_keys"] = _write_quarantined_keys(spark, catalog, batch_date, meta)
    keys.unpersist()
    summary["elapsed_s"] = round(time.perf_counter() - started, 2)
    if summary["dropped_columns"]:
        log.warning(
            "fail closed: columns left out of protected/restricted: %s",
            ", ".join(summary["dropped_columns"]),
        )
    log.info("protect %s: %s", batch_date, summary)
    return summary


QUARANTINED_KEYS = "quarantined_keys"


def _write_quarantined_keys(spark: SparkSession, catalog: dict, batch_date: str, meta: dict) -> int:
    """``restricted/quarantined_keys``: (source_name, record_key) of every row quarantined in this
    batch whose key the parser read, for sources whose key is a system id (protection ``pass``).

    Each batch is a full extract: a key missing from it was deleted at the source (MKT-04,
    CON-03), unless its row was delivered but quarantined. Keys of other classes (a customer id)
    are never written here. Written even when empty, so readers always find the partition."""
    from crmguard.config import landing_contract
    from crmguard.paths import layout

    schema = "source_name string, record_key string"
    frames = []
    for source, spec in sorted(landing_contract().sources.items()):
        path = layout().quarantine_partition(source, batch_date)
        column = catalog["tables"].get(source, {}).get(spec.key, {})
        if not path.is_dir() or column.get("protection") != ProtectionClass.PASS:
            continue
        rows = spark.read.parquet(str(path))
        if "record_key" not in rows.columns:  # written before quarantine kept keys
            continue
        frames.append(
            rows.where(F.col("record_key").isNotNull()).select(
                F.lit(source).alias("source_name"), F.col("record_key")
            )
        )
    keys = spark.createDataFrame([], schema)
    for frame in frames:
        keys = keys.unionByName(frame)
    keys = keys.distinct().coalesce(1)
    target = io.write_zone(keys, "restricted", QUARANTINED_KEYS, batch_date, None, meta)
    outcomes = {
        name: transforms.ColumnOutcome(
            [name], ProtectiveForm.CLEAR, NONE, "C3", ProtectionClass.PASS
        )
        for name in ("source_name", "record_key")
    }
    manifest = io.protection_manifest(outcomes, "restricted", QUARANTINED_KEYS, batch_date, meta)
    write_protection_manifest(manifest, target / io.PROTECTION_JSON)
    return io.parquet_rows(target)


def _write_outputs(
    spark: SparkSession,
    raw: DataFrame,
    scrubbed: DataFrame,
    keys: DataFrame,
    plan: transforms.TablePlan,
    source: str,
    batch_date: str,
    meta: dict,
    summary: dict,
    cipher: str = "aes-256-gcm",
) -> None:
    """Restricted, protected and (for tables with a customer key) salts and vault of one
    table; adds the stage timings to ``summary``. ``scrubbed`` is ``raw`` with its free-text
    columns scrubbed (the zones' input); the vault reads only C1 columns, from ``raw``.

    Every token and mask is computed once: restricted (a superset of protected's tokens and
    masks, plus the clear C2 values protected generalises) is written first and protected is
    selected from the written Parquet. The vault recomputes only the customer key's token and
    salt index from raw, which is cheaper than caching or writing a wide copy of every row, and
    joins the salt store once for both the store's append and the vault.
    """
    stage = time.perf_counter()
    wide = transforms.protect_wide(scrubbed, keys, plan)
    target = io.write_zone(
        wide.select(*plan.names("restricted")), "restricted", source, batch_date, plan, meta
    )
    restricted = spark.read.parquet(str(target))
    io.write_zone(
        restricted.select(*plan.from_restricted), "protected", source, batch_date, plan, meta
    )
    summary["stage_s"]["zones"] += time.perf_counter() - stage
    if not (plan.vault_columns and plan.customer_column):
        return
    token = transforms.token_column_name(plan.customer_column)
    stage = time.perf_counter()
    # one vault row per source row with a customer and at least one C1 value; no distinct (a
    # shuffle of every row): a customer on several rows of one table gets identical salt rows,
    # which every reader and shred_customer treat as one
    rows = transforms.vault_input(raw, keys, plan).where(F.col(token).isNotNull())
    # not cached: the append prunes the plaintext away, and a MEMORY_ONLY cache of this frame
    # measured no faster than computing it twice (recomputing gives the same salts: the store
    # snapshot and the run nonce are fixed)
    salted = io.attach_salts(spark, rows, token)
    io.append_salts(salted, token)  # first: a vault entry is only written with its salt
    summary["stage_s"]["salts"] += time.perf_counter() - stage
    stage = time.perf_counter()
    vault = transforms.vault_from_wide(salted, keys, plan, source, cipher)
    target = io.write_zone(vault, "vault", source, batch_date, None, meta)
    summary["vault_entries"] += io.parquet_rows(target)
    summary["stage_s"]["vault"] += time.perf_counter() - stage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CRM Guard protect job (spark-submit entry)")
    parser.add_argument("--batch-date", type=batch_date_arg, required=True)
    parser.add_argument("--policy", default="seed")
    parser.add_argument("--master", default=None, help="e.g. local[2] or spark://127.0.0.1:7077")
    parser.add_argument(
        "--source", action="append", dest="sources", help="only this source (repeatable)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from spark_jobs.session import build_session

    spark = build_session("crmguard-protect", master=args.master)
    try:
        summary = run(args.batch_date, args.policy, spark, sources=args.sources)
    finally:
        spark.stop()
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
