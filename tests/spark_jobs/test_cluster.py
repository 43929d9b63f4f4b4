"""The protect job on a real standalone cluster (master + worker on 127.0.0.1) equals local mode."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest
from pyspark.sql import SparkSession

from crmguard import key_store
from crmguard.paths import layout
from spark_jobs.protect import main
from spark_jobs.protect.submit import spark_submit_command
from tests.spark_jobs.conftest import BATCH

pytestmark = [pytest.mark.slow, pytest.mark.spark]
SPARK_HOME = Path(pyspark.__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    return subprocess.Popen(
        [str(SPARK_HOME / "bin" / "spark-class"), *args],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_for(log: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="ignore"):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{log}: no {text!r} after {timeout}s:\n{log.read_text()[-2000:]}")


def _zone_rows(spark: SparkSession, zone: Path, source: str) -> set[tuple]:
    df = spark.read.parquet(str(zone / source / f"batch_date={BATCH}"))
    return {tuple(r) for r in df.collect()}


def _decrypted_vault(spark: SparkSession, path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """(customer_token, source) -> the decrypted C1 values of that vault row."""
    return {
        (r["customer_token"], r["source"]): key_store.decrypt_vault_row(
            r["customer_token"], r["ciphertext"], r["cipher"]
        )
        for r in spark.read.parquet(str(path)).collect()
    }


def test_cluster_equals_local(spark: SparkSession, batch_home: Path, tmp_path: Path) -> None:
    lay = layout()
    main.run(BATCH, "seed", spark=spark)
    local = {
        (zone.name, source): _zone_rows(spark, zone, source)
        for zone in (lay.protected, lay.restricted)
        for source in ("customers", "orders")
    }
    local_vault = _decrypted_vault(spark, lay.vault / "customers")
    snapshot = tmp_path / "local"
    shutil.copytree(lay.lake / "protected", snapshot / "protected")
    for zone in ("protected", "restricted", "vault"):
        shutil.rmtree(lay.lake / zone)

    port, worker_log, master_log = _free_port(), tmp_path / "worker.log", tmp_path / "master.log"
    url = f"spark://127.0.0.1:{port}"
    master = worker = None
    try:
        master = _start(
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(_free_port()),
            ],
            master_log,
        )
        _wait_for(master_log, "I have been elected leader")
        worker = _start(
            [
                "org.apache.spark.deploy.worker.Worker",
                url,
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                str(_free_port()),
                "--work-dir",
                str(tmp_path / "work"),
            ],
            worker_log,
        )
        _wait_for(master_log, "Registering worker")
        argv, env = spark_submit_command(BATCH, url)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-3000:]
        # the submit command line and driver log carry no key bytes
        doc_hex = key_store.key_file().read_text()
        master_hex = doc_hex.split('"master": "')[1][:64]
        assert master_hex not in " ".join(argv) + done.stdout + done.stderr
    finally:
        for proc in (worker, master):
            if proc is not None:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=30)

    for (zone, source), rows in local.items():
        assert _zone_rows(spark, lay.lake / zone, source) == rows, (zone, source)
    cluster_vault = _decrypted_vault(spark, lay.vault / "customers")
    # one row per customer row, each decrypting to the same C1 values (nonces differ)
    assert cluster_vault == local_vault and len(local_vault) == 3
    assert sum(len(values) for values in local_vault.values()) == 8
