"""How Airflow (SparkSubmitOperator, conn ``spark_default``) and the cluster test submit the job.

The command line, conf and environment built here are logged by the submit hook: they carry
paths and settings only, never key bytes (the driver reads the key file itself).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from crmguard import key_store
from crmguard.paths import REPO_ROOT, layout
from spark_jobs.protect.settings import protection_settings

MAIN = Path(__file__).resolve().parent / "main.py"


def submit_conf() -> dict[str, str]:
    """Spark conf for the protect job (the master comes from the Airflow connection)."""
    spark = protection_settings().spark
    return {
        "spark.driver.host": "127.0.0.1",
        "spark.sql.shuffle.partitions": str(spark.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.redaction.regex": spark.redaction_regex,
        "spark.sql.redaction.string.regex": spark.sql_redaction_regex,
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.ui.enabled": "false",
        # Spark's INFO lines (thousands per run) flood the task log the submit hook parses line
        # by line; the job's own progress and summary are logged by Python, not log4j
        "spark.log.level": "WARN",
    }


def submit_env() -> dict[str, str]:
    """Environment of the driver: where the data root and (the path of) the key file are."""
    env = {
        "CRMGUARD_HOME": str(layout().home),
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": str(REPO_ROOT),
    }
    if os.environ.get(key_store.KEY_FILE_ENV):
        env[key_store.KEY_FILE_ENV] = os.environ[key_store.KEY_FILE_ENV]  # a path, not key bytes
    return env


def submit_spec(
    batch_date: str, policy_profile: str = "seed", sources: list[str] | None = None
) -> dict:
    """kwargs for airflow's ``SparkSubmitOperator`` running the protect job."""
    only = [arg for source in sources or [] for arg in ("--source", source)]
    return {
        "application": str(MAIN),
        "application_args": ["--batch-date", batch_date, "--policy", policy_profile, *only],
        "conf": submit_conf(),
        "driver_memory": protection_settings().spark.driver_memory,
        "name": "crmguard-protect",
        "env_vars": submit_env(),
    }


def spark_submit_command(
    batch_date: str, master: str, policy_profile: str = "seed", sources: list[str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """(argv, env) for running the job with pyspark's own ``bin/spark-submit``."""
    import pyspark

    spec = submit_spec(batch_date, policy_profile, sources)
    spark_home = Path(pyspark.__file__).resolve().parent
    argv = [
        str(spark_home / "bin" / "spark-submit"),
        "--master",
        master,
        "--name",
        spec["name"],
        "--driver-memory",
        spec["driver_memory"],
    ]
    for key, value in spec["conf"].items():
        argv += ["--conf", f"{key}={value}"]
    argv += [spec["application"], *spec["application_args"]]
    env = {**os.environ, **spec["env_vars"], "SPARK_HOME": str(spark_home)}
    return argv, env
