"""Test-wide settings: an isolated Airflow home, a throwaway CRMGUARD_HOME per test, the one
session SparkSession, and the tier markers (spark, dbt, airflow, browser) a test gets from what
it needs, so `make test-unit` selects the tests that start no engine."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Airflow reads its config on first import: point it at a private home before any test imports it.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="crmguard-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(Path(__file__).parents[1] / "dags"))
# py4j logs "Closing down clientserver connection" from __del__ after pytest closed its streams
logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture
def crmguard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data root (landing, lake, warehouse, reports) for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CRMGUARD_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def event_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark-events")


@pytest.fixture(scope="session")
def _spark_dirs(event_log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return {"event_log_dir": event_log_dir, "scratch_dir": tmp_path_factory.mktemp("spark-scratch")}


def _alive(session) -> bool:
    try:
        return not session.sparkContext._jsc.sc().isStopped()
    except Exception:  # the context (or its gateway) is gone
        return False


_SESSION: list = []


@pytest.fixture
def spark(_spark_dirs: dict) -> Iterator:
    """The one local SparkSession of the test run (shuffle partitions 1), built on first use and
    again only if code under test stopped it (the CLI entry points stop the session they get)."""
    from pyspark.sql import SparkSession

    from spark_jobs.session import build_session

    if not _SESSION or not _alive(_SESSION[0]):
        # a session left by another package's tests (GX's Spark suites) would be returned by
        # getOrCreate without this fixture's settings (event log, scratch dir): stop it first
        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
        _SESSION[:] = [
            build_session("crmguard-tests", master="local[2]", shuffle_partitions=1, **_spark_dirs)
        ]
    yield _SESSION[0]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for spark_session in _SESSION:
        if _alive(spark_session):
            spark_session.stop()


# tier markers by the folder or file a test lives in (what it runs), beside the fixture rule below
_MARKS_BY_PATH = {
    "tests/dbt/": ("dbt",),
    "tests/dags/": ("airflow",),
    "tests/test_end_to_end.py": ("airflow", "dbt", "spark"),
    "tests/expectations/test_validate_dbt_build.py": ("dbt",),
    "tests/report/test_report_browser.py": ("browser",),
}
_ROOT = Path(__file__).parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        where = Path(item.fspath).relative_to(_ROOT).as_posix()
        for prefix, marks in _MARKS_BY_PATH.items():
            if where.startswith(prefix):
                for mark in marks:
                    item.add_marker(mark)
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker("spark")
        # `make test` installs chromium first (and sets CRMGUARD_REQUIRE_BROWSER): there a
        # missing browser is a failure, elsewhere a skip with the way to get it
        if (
            item.get_closest_marker("browser")
            and shutil.which("chromium") is None
            and os.environ.get("CRMGUARD_REQUIRE_BROWSER") != "1"
        ):
            item.add_marker(
                pytest.mark.skip(reason="chromium not installed: `make browser` installs it")
            )
