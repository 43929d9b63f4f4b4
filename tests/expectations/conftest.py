"""A hand-made clean build per test under a throwaway CRMGUARD_HOME (validate_build reuses the
run's one SparkSession, tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.expectations.warehouse_fixture import build_warehouse


@pytest.fixture
def build(crmguard_home: Path, spark: SparkSession) -> Path:
    build_warehouse(crmguard_home)
    return crmguard_home
