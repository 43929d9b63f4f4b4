"""I/O of the protect job: raw partitions, the catalog, key pads, salts and the three outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from crmguard import keyring
from crmguard.paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, ensure_private_dir, layout
from spark_jobs.protect.transforms import TablePlan, hmac_sha256

PROTECTION_JSON = "_protection.json"
SALT_BYTES = keyring.SALT_BYTES


class ProtectInputError(ValueError):
    """A protect input (catalog, raw partition) is missing or malformed."""


def read_catalog(path: Path | None = None) -> dict:
    path = path or layout().catalog
    if not path.is_file():
        raise ProtectInputError(f"{path}: catalog not found (run `crmguard classify` first)")
    try:
        catalog = json.loads(path.read_text(encoding="utf-8"))
        tables = catalog["tables"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise ProtectInputError(f"{path}: malformed catalog ({exc})") from exc
    if not isinstance(tables, dict):
        raise ProtectInputError(f"{path}: `tables` must map table -> columns")
    return catalog


def raw_sources(batch_date: str) -> list[str]:
    """Sources that have a raw partition for the batch."""
    root = layout().raw
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / f"batch_date={batch_date}").is_dir())


def read_raw(spark: SparkSession, source: str, batch_date: str) -> DataFrame:
    path = layout().raw_partition(source, batch_date)
    if not path.is_dir():
        raise ProtectInputError(f"{path}: raw partition not found")
    return spark.read.parquet(str(path))


def key_pads(spark: SparkSession, version: int | None = None) -> DataFrame:
    """The one-row keys frame (HMAC pads + key version), built from an RDD.

    An RDD scan shows no values in plans, SQL text or event logs (a local relation would be
    printed and constant-folded into the plan); its bytes travel only inside task payloads.
    """
    keys = keyring.key_version(version)
    token = keyring.hmac_pads(keys.token_key)
    vault = keyring.hmac_pads(keys.vault_key)
    salt = keyring.hmac_pads(keys.salt_index_key)
    schema = T.StructType(
        [T.StructField("_key_version", T.IntegerType(), False)]
        + [
            T.StructField(name, T.BinaryType(), False)
            for name in (
                "token_ipad",
                "token_opad",
                "vault_ipad",
                "vault_opad",
                "salt_ipad",
                "salt_opad",
            )
        ]
    )
    row = (keys.version, *token, *vault, *salt)
    return spark.createDataFrame(spark.sparkContext.parallelize([row], 1), schema)


def _fresh_salts(spark: SparkSession, salt_ids: Column) -> tuple[DataFrame, Column]:
    """A fresh unpredictable salt per customer: HMAC(run nonce, salt_id), natively.

    The nonce is 32 random bytes from os.urandom, used for this call only and never stored
    (Spark's rand/uuid are seeded PRNGs, and a Python UDF per row would be slow); without it
    a deleted salt cannot be recomputed, which is what crypto-shredding relies on.
    """
    ipad, opad = keyring.hmac_pads(os.urandom(32))
    nonce = spark.createDataFrame(
        spark.sparkContext.parallelize([(ipad, opad)], 1), "nonce_ipad binary, nonce_opad binary"
    )
    return nonce, F.substring(
        F.unhex(hmac_sha256(salt_ids, F.col("nonce_ipad"), F.col("nonce_opad"))), 1, SALT_BYTES
    )


def read_salts(spark: SparkSession) -> DataFrame:
    store = keyring.salt_store()
    schema = "salt_id string, customer_token string, key_version int, salt binary"
    if not store.is_dir() or not any(store.glob("*.parquet")):
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).parquet(str(store))


def ensure_salts(spark: SparkSession, links: DataFrame) -> DataFrame:
    """Give every customer a salt (new ones random) and index it under today's token; returns
    the store's (salt_id, salt) after the update."""
    store = keyring.salt_store()
    ensure_private_dir(store)
    existing = read_salts(spark)
    known = existing.select("salt_id", "salt").distinct()
    missing = links.join(
        existing.select("salt_id", "customer_token"), ["salt_id", "customer_token"], "left_anti"
    )
    nonce, fresh = _fresh_salts(spark, F.col("salt_id"))
    new_rows = (
        missing.join(known, "salt_id", "left")
        .crossJoin(F.broadcast(nonce))
        .select(
            "salt_id",
            "customer_token",
            F.col("key_version").cast("int").alias("key_version"),
            F.coalesce(F.col("salt"), fresh).alias("salt"),
        )
    )
    new_rows.write.mode("append").parquet(str(store))
    for path in store.glob("*.parquet"):
        os.chmod(path, PRIVATE_FILE_MODE)
    return read_salts(spark).select("salt_id", "salt").distinct()


def _outcomes_json(outcomes: dict, zone: str, source: str, batch_date: str, meta: dict) -> str:
    return json.dumps(
        {
            "zone": zone,
            "source": source,
            "batch_date": batch_date,
            **meta,
            "columns": {
                col: {
                    "outputs": o.outputs,
                    "form": o.form,
                    "entity": o.entity,
                    "tier": o.tier,
                    "protection": o.protection,
                }
                for col, o in outcomes.items()
            },
        },
        ensure_ascii=False,
        indent=2,
    )


def write_zone(
    df: DataFrame, zone: str, source: str, batch_date: str, plan: TablePlan | None, meta: dict
) -> Path:
    """Write one output partition (overwrite) and its ``_protection.json``."""
    lay = layout()
    root = {"protected": lay.protected, "restricted": lay.restricted, "vault": lay.vault}[zone]
    target = (
        root / source / f"batch_date={batch_date}"
        if zone == "vault"
        else getattr(lay, f"{zone}_partition")(source, batch_date)
    )
    if zone == "protected":
        root.mkdir(parents=True, exist_ok=True)
    else:
        ensure_private_dir(root)  # restricted and vault: owner only
    df.write.mode("overwrite").parquet(str(target))
    if zone != "protected":
        os.chmod(target, PRIVATE_DIR_MODE)
    if plan is not None:
        outcomes = plan.protected_outcomes if zone == "protected" else plan.restricted_outcomes
        (target / PROTECTION_JSON).write_text(
            _outcomes_json(outcomes, zone, source, batch_date, meta), encoding="utf-8"
        )
    return target
