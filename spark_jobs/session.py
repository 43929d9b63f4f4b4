"""The one SparkSession builder of CRM Guard (tests, the protect job and benchmarks use it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from crmguard.paths import ensure_private_dir, layout
from spark_jobs.protect.settings import protection_settings


def build_session(
    app_name: str = "crmguard",
    master: str | None = None,
    shuffle_partitions: int | None = None,
    event_log_dir: Path | None = None,
    extra_conf: dict[str, str] | None = None,
    scratch_dir: Path | None = None,
) -> SparkSession:
    """A SparkSession with CRM Guard's settings (local[*] unless ``master`` says otherwise).

    Under spark-submit the master and driver memory come from the submit command; the builder
    then only adds what is missing.
    """
    settings = protection_settings().spark
    # executors must run the same interpreter (pandas UDFs import our packages)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master or not launched_by_spark_submit():
        builder = builder.master(master or settings.master)
    # shuffle and cache spills of the protect job hold clear values: keep them owner-only
    scratch = ensure_private_dir(scratch_dir or layout().spark_local / "scratch")
    conf = {
        "spark.local.dir": str(scratch),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.shuffle.partitions": str(shuffle_partitions or settings.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.compression.codec": settings.parquet_codec,
        # instants stay instants: DuckDB/dbt read TIMESTAMP_MICROS (UTC-adjusted) as TIMESTAMPTZ,
        # Spark's default INT96 as a naive TIMESTAMP
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        # key material never travels in conf or SQL text; redact anything that looks like it
        "spark.redaction.regex": settings.redaction_regex,
        "spark.sql.redaction.string.regex": settings.sql_redaction_regex,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # rows per Arrow batch of the pandas UDFs (free-text scrubbing, SM4 vault)
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(
            protection_settings().free_text.arrow_batch_size
        ),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.sources.partitionOverwriteMode": "static",
        # Hadoop's file system sets file modes from its own umask (default 022), not the
        # process's: written files are owner-only, and the protect job opens up exactly the
        # protected zone (spark_jobs/protect/io.py, layout.md)
        "spark.hadoop.fs.permissions.umask-mode": "077",
    }
    if event_log_dir is not None:
        event_log_dir.mkdir(parents=True, exist_ok=True)
        conf["spark.eventLog.enabled"] = "true"
        conf["spark.eventLog.dir"] = event_log_dir.as_uri()
        # plain text so audits (and the leak test) can grep the log for key material
        conf["spark.eventLog.compress"] = "false"
    conf.update(extra_conf or {})
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def launched_by_spark_submit() -> bool:
    """spark-submit starts the Python driver with a gateway already open; its --master wins."""
    return "PYSPARK_GATEWAY_PORT" in os.environ
