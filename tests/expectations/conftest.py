"""A hand-made clean build per test under a throwaway CRMGUARD_HOME, and one local SparkSession
for the protected-lake suite (validate_build reuses the active session), stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_jobs.session import build_session
from tests.expectations.warehouse_fixture import build_warehouse


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    session = build_session(
        "crmguard-validation-tests",
        master="local[1]",
        shuffle_partitions=1,
        scratch_dir=tmp_path_factory.mktemp("spark-scratch"),
    )
    yield session
    session.stop()


@pytest.fixture
def build(crmguard_home: Path, spark: SparkSession) -> Path:
    build_warehouse(crmguard_home)
    return crmguard_home
