"""The dbt task group of crm_governance (astronomer-cosmos), configured in one place.

One Airflow task per dbt model (with its tests, TestBehavior.BUILD), rendered from the manifest
that ``crmguard run`` / ``make airflow`` builds with ``dbt parse`` before Airflow parses the DAG.
Every dbt task writes ``warehouse/crm.duckdb``, so all of them run in the one-slot writer pool.
Pointing dbt at Spark is ``CRMGUARD_DBT_TARGET=spark`` (profiles.yml); nothing here changes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from crmguard.paths import REPO_ROOT

DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT_MANIFEST = DBT_PROJECT / "target" / "manifest.json"


def dbt_task_group(group_id: str, batch_date: str, pool: str) -> Any:
    """A cosmos ``DbtTaskGroup`` building the project for ``batch_date`` (a template string)."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import LoadMode, TestBehavior, TestIndirectSelection

    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT, manifest_path=DBT_MANIFEST, install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="crmguard",
            target_name=os.environ.get("CRMGUARD_DBT_TARGET", "duckdb"),
            profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
        ),
        # a test spanning two models (relationships) runs once both exist, as its own task
        execution_config=ExecutionConfig(
            dbt_executable_path=Path(sys.executable).with_name("dbt"),
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={
            "pool": pool,  # every dbt task writes warehouse/*.duckdb
            "vars": {"batch_date": batch_date},
            "install_deps": False,
        },
    )
