"""The dbt task group of crm_governance (astronomer-cosmos), configured in one place.

Cosmos' watcher execution mode: ONE ``dbt build`` of the whole project (the producer task, in
the one-slot DuckDB writer pool) and one light sensor task per dbt model that reports that
model's outcome, with its tests, from the producer's XCom. One task per model in LOCAL mode
meant one dbt invocation per model: a parse, a DuckDB connection and an OpenLineage pass each,
76 s of a 10k-customer run for about 10 s of SQL (docs/benchmarks.md, fixed cost).

Every model task is downstream of the producer (cosmos does this for a DbtDag, not for a task
group): ``airflow dags test`` runs tasks one at a time in no fixed order, and a sensor picked
before the build would wait on a build that never starts. The root sensors run with
``trigger_rule="all_done"`` (cosmos' "always" would start them before the build), so a failed
build still marks each model's own task as failed or skipped.

The DAG is rendered from the manifest that ``crmguard run`` / ``make airflow`` builds with
``dbt parse`` before Airflow parses the DAG. Pointing dbt at Spark is
``CRMGUARD_DBT_TARGET=spark`` (profiles.yml); nothing here changes.
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
    from cosmos.constants import (
        PRODUCER_WATCHER_DONE_TASK_ID,
        PRODUCER_WATCHER_TASK_ID,
        ExecutionMode,
        InvocationMode,
        LoadMode,
        TestBehavior,
        TestIndirectSelection,
    )

    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT, manifest_path=DBT_MANIFEST, install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="crmguard",
            target_name=os.environ.get("CRMGUARD_DBT_TARGET", "duckdb"),
            profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            # in-process dbt: the producer reads each node's result from dbt's event callbacks
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=Path(sys.executable).with_name("dbt"),
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.AFTER_EACH
        ),
        operator_args={
            "pool": pool,  # the build writes warehouse/*.duckdb; the sensors only read XCom
            "vars": {"batch_date": batch_date},
            "install_deps": False,
            # Airflow 3 refuses cosmos' OpenLineage dataset URIs anyway (it logs a warning per
            # task); computing them cost a second per model
            "emit_datasets": False,
            "deferrable": False,  # the build is done when a sensor starts: one poke suffices
            "poke_interval": 1,
        },
    )
    producer = group.children[f"{group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    gate = f"{group_id}.{PRODUCER_WATCHER_DONE_TASK_ID}"
    tasks = list(group.iter_tasks())  # a model with tests is a sub-group (model.run, model.test)
    members = {task.task_id for task in tasks}
    for task in tasks:
        if task is producer or task.task_id == gate or not hasattr(task, "producer_task_id"):
            continue
        if not task.upstream_task_ids & members:  # a root of the dbt graph
            producer >> task
            task.trigger_rule = "all_done"  # after the build, whatever its outcome
    return group
