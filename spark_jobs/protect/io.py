"""I/O of the protect job: raw partitions, the catalog, key pads, salts and the three outputs."""

from __future__ import annotations

import os
from pathlib import Path

from pyspark.sql import Column, DataFrame, DataFrameWriter, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from crmguard import key_store
from crmguard.paths import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    SHARED_DIR_MODE,
    TRAVERSE_DIR_MODE,
    ensure_dir,
    ensure_private_dir,
    layout,
    share_tree,
)
from crmguard.stage_contracts import PROTECTION_JSON as PROTECTION_JSON
from crmguard.stage_contracts import (
    ManifestColumn,
    ProtectionManifest,
    StageContractError,
    write_protection_manifest,
)
from crmguard.stage_contracts import read_catalog as read_catalog_file
from spark_jobs.protect.transforms import VAULT_SALT_ID, ColumnOutcome, TablePlan, hmac_sha256

SALT_BYTES = key_store.SALT_BYTES


class ProtectInputError(ValueError):
    """A protect input (catalog, raw partition) is missing or malformed."""


def read_catalog(path: Path | None = None) -> dict:
    """The catalog as JSON types, checked by :class:`crmguard.stage_contracts.Catalog`."""
    path = path or layout().catalog
    if not path.is_file():
        raise ProtectInputError(f"{path}: catalog not found (run `crmguard classify` first)")
    try:
        return read_catalog_file(path).as_json()
    except StageContractError as exc:
        raise ProtectInputError(str(exc)) from exc


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


def parquet_rows(folder: Path) -> int:
    """Rows of the Parquet files in ``folder``, from their footers (no data read, no Spark job)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(path).num_rows for path in sorted(folder.glob("*.parquet")))


def key_pads(spark: SparkSession, version: int | None = None) -> DataFrame:
    """The one-row keys frame (HMAC pads + key version), built from an RDD.

    An RDD scan shows no values in plans, SQL text or event logs (a local relation would be
    printed and constant-folded into the plan); its bytes travel only inside task payloads.
    """
    keys = key_store.key_version(version)
    token = key_store.hmac_pads(keys.token_key)
    vault = key_store.hmac_pads(keys.vault_key)
    salt = key_store.hmac_pads(keys.salt_index_key)
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


def _nonce_pads(spark: SparkSession) -> DataFrame:
    """One-row frame of HMAC pads of a fresh run nonce, built from an RDD like the key pads.

    The nonce is 32 random bytes from os.urandom, used for this run only and never stored
    (Spark's rand/uuid are seeded PRNGs, and a Python UDF per row would be slow); without it
    a deleted salt cannot be recomputed, which is what crypto-shredding relies on.
    """
    ipad, opad = key_store.hmac_pads(os.urandom(32))
    return spark.createDataFrame(
        spark.sparkContext.parallelize([(ipad, opad)], 1), "nonce_ipad binary, nonce_opad binary"
    )


def _fresh_salt(salt_ids: Column) -> Column:
    """A new customer's salt: HMAC(run nonce, salt_id)[:16], natively (needs the nonce pads)."""
    return F.substring(
        F.unhex(hmac_sha256(salt_ids, F.col("nonce_ipad"), F.col("nonce_opad"))), 1, SALT_BYTES
    )


SALT_SCHEMA = "salt_id string, customer_token string, key_version int, salt binary"


def read_salts(spark: SparkSession, files: list[Path] | None = None) -> DataFrame:
    """The salt store (or exactly ``files`` of it: a snapshot that later appends do not
    change)."""
    store = key_store.salt_store()
    if files is None:
        files = sorted(store.glob("*.parquet")) if store.is_dir() else []
    if not files:
        return spark.createDataFrame([], SALT_SCHEMA)
    return spark.read.schema(SALT_SCHEMA).parquet(*[str(f) for f in files])


NEW_LINK = "__new_link"


def attach_salts(spark: SparkSession, rows: DataFrame, token: str) -> DataFrame:
    """``rows`` (with ``salt_id`` in ``VAULT_SALT_ID`` and the customer token in ``token``) plus
    each row's ``salt`` and whether its (salt_id, token) link is new to the store.

    One left join with the store as it was before the run (its files listed now, so later
    appends do not change it): a known customer keeps their salt, everyone else gets the run
    nonce's fresh salt. The same frame then feeds both the store's append and the vault, where
    a join for each (and a second pass over raw) used to cost more than the vault itself.
    """
    store = key_store.salt_store()
    ensure_private_dir(store)
    before = sorted(store.glob("*.parquet"))
    with_nonce = rows.crossJoin(F.broadcast(_nonce_pads(spark)))
    fresh = _fresh_salt(F.col(VAULT_SALT_ID))
    if not before:
        return with_nonce.select(*rows.columns, fresh.alias("salt"), F.lit(True).alias(NEW_LINK))
    # one row per salt_id: its salt and every token it is already linked under (key versions)
    known = (
        read_salts(spark, before)
        .groupBy(F.col("salt_id").alias("__known_salt_id"))
        .agg(F.min("salt").alias("__known_salt"), F.collect_set("customer_token").alias("__tokens"))
    )
    joined = with_nonce.join(known, F.col(VAULT_SALT_ID) == F.col("__known_salt_id"), "left")
    new_link = F.col("__tokens").isNull() | ~F.array_contains(F.col("__tokens"), F.col(token))
    return joined.select(
        *rows.columns,
        F.coalesce(F.col("__known_salt"), fresh).alias("salt"),
        new_link.alias(NEW_LINK),
    )


def append_salts(salted: DataFrame, token: str) -> None:
    """Append the new (salt_id, customer_token) links of ``salted`` to the salt store (0600)."""
    store = key_store.salt_store()
    new_rows = salted.where(F.col(NEW_LINK)).select(
        F.col(VAULT_SALT_ID).alias("salt_id"),
        F.col(token).alias("customer_token"),
        F.col("_key_version").cast("int").alias("key_version"),
        "salt",
    )
    _parquet_writer(new_rows).mode("append").parquet(str(store))
    for path in store.glob("*.parquet"):
        os.chmod(path, PRIVATE_FILE_MODE)


def protection_manifest(
    outcomes: dict[str, ColumnOutcome], zone: str, source: str, batch_date: str, meta: dict
) -> ProtectionManifest:
    """The ``_protection.json`` of one partition: what each source column became there."""
    columns = {
        col: ManifestColumn(
            outputs=o.outputs, form=o.form, entity=o.entity, tier=o.tier, protection=o.protection
        )
        for col, o in outcomes.items()
    }
    return ProtectionManifest(
        zone=zone, source=source, batch_date=batch_date, **meta, columns=columns
    )


# columns of unique, high-entropy values: a Parquet dictionary is built for nothing and then
# thrown away once it grows past the page limit, and min/max statistics of random hex or bytes
# prune nothing (a token look-up is a join, not a range scan)
_UNIQUE_SUFFIXES = ("_token", "salt_id", "salt", "ciphertext")


def _parquet_writer(df: DataFrame) -> DataFrameWriter:
    writer = df.write
    for name in df.columns:
        if name.endswith(_UNIQUE_SUFFIXES):
            for option in (
                "parquet.enable.dictionary",
                "parquet.column.statistics.enabled",
                "parquet.size.statistics.enabled",
            ):
                writer = writer.option(f"{option}#{name}", "false")
    return writer


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
    _parquet_writer(df).mode("overwrite").parquet(str(target))
    if zone != "protected":
        os.chmod(target, PRIVATE_DIR_MODE)
    if plan is not None:
        outcomes = plan.protected_outcomes if zone == "protected" else plan.restricted_outcomes
        write_protection_manifest(
            protection_manifest(outcomes, zone, source, batch_date, meta),
            target / PROTECTION_JSON,
        )
    if zone == "protected":
        # the analysts' pipeline reads protected (layout.md); the job runs with umask 077, so
        # open up exactly this zone: lake/ traversable, protected/ readable. Only the written
        # partition and the folders above it: earlier batches are shared already, and walking
        # the whole zone per table grew with every batch kept
        ensure_dir(root.parent, TRAVERSE_DIR_MODE)
        for folder in (root, target.parent):
            os.chmod(folder, SHARED_DIR_MODE)
        share_tree(target)
    return target
