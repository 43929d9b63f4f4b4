"""Test-wide settings: an isolated Airflow home and a throwaway CRMGUARD_HOME per test."""

from __future__ import annotations

import logging
import os
import tempfile
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
