"""Running real dbt on a private copy of dbt_project/ over a fixture CRMGUARD_HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lake_fixture import BATCH_DATE

from crmguard.paths import layout


@dataclass
class DbtBuild:
    home: Path
    project: Path
    target: Path
    success: bool
    statuses: dict[str, str]

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.target / "manifest.json").read_text(encoding="utf-8"))


def copy_project(dest: Path) -> Path:
    """A private copy of dbt_project/ so generated YAML and builds never touch the repo's."""
    return Path(
        shutil.copytree(
            layout().dbt_project,
            dest,
            ignore=shutil.ignore_patterns("target", "logs", ".spark", "dbt_packages"),
        )
    )


def dbt_args(command: str, project: Path, target: Path, *extra: str) -> list[str]:
    return [
        command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        "--vars",
        json.dumps({"batch_date": BATCH_DATE}),
        *extra,
    ]


def run_dbt(command: str, home: Path, project: Path, target: Path, *extra: str) -> DbtBuild:
    """Run the dbt CLI in a child process: dbt-duckdb keeps its connection open in-process."""
    env = {**os.environ, "CRMGUARD_HOME": str(home)}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *dbt_args(command, project, target, *extra)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    results = target / "run_results.json"
    statuses = {}
    if results.is_file():
        statuses = {
            r["unique_id"]: r["status"]
            for r in json.loads(results.read_text(encoding="utf-8"))["results"]
        }
    if proc.returncode != 0:
        print(proc.stdout[-5000:], proc.stderr[-3000:])
    return DbtBuild(home, project, target, proc.returncode == 0, statuses)
