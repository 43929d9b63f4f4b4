"""dbt on the Spark target (method: session) over the same fixture lake: the build passes and
the consent lineage matches the DuckDB build's, read back from Spark's Parquet tables."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
from dbt_harness import copy_project, run_dbt
from lake_fixture import BATCH_DATE, build_lake

from crmguard import dbt_meta
from crmguard.paths import ensure_private_dir, layout

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def test_spark_target_builds_the_marts(tmp_path: Path, crmguard_home: Path) -> None:
    build_lake(crmguard_home)
    # metastore_db, spark-warehouse and derby.log stay in the data root's .spark folder
    spark_local = ensure_private_dir(layout().spark_local)
    project = copy_project(tmp_path / "dbt_project")
    dbt_meta.generate(BATCH_DATE, project)
    started = time.perf_counter()
    # models, seeds and every unit test on Spark (portability of the SQL); the data tests judge
    # data, which the DuckDB build of the same lake already checks
    build = run_dbt(
        "build", crmguard_home, project, tmp_path / "target", "--target", "spark",
        "--exclude-resource-type", "test",
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(f"dbt build --target spark: {elapsed:.1f} s")
    failed = {uid: s for uid, s in build.statuses.items() if s not in ("success", "pass")}
    assert build.success and not failed, failed
    # every unit test of the project ran (and passed) on Spark too: the rule models' edge rows
    # hold on both engines
    ran = {uid for uid in build.statuses if uid.startswith("unit_test.")}
    assert ran == set(build.manifest["unit_tests"]) and len(ran) >= 20, sorted(ran)
    tables = spark_local / "spark-warehouse" / "marts.db"
    con = duckdb.connect()
    lineage = con.execute(
        "select message_id, consent_id from read_parquet(?) order by 1",
        [str(tables / "marketing_message_log" / "*.parquet")],
    ).fetchall()
    audience = con.execute(
        "select customer_token, channel, consent_id from read_parquet(?) order by 1, 2",
        [str(tables / "marketing_audience" / "*.parquet")],
    ).fetchall()
    assert lineage == [("M1", "K1"), ("M2", None), ("M3", "K3"), ("M4", None), ("M5", "K2")]
    assert [row[2] for row in audience] == ["K3", "K1", "K7"]
