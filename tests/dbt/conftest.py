"""A real dbt build on the fixture lake, shared by the dbt tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dbt_harness import DbtBuild, copy_project, run_dbt
from lake_fixture import BATCH_DATE, build_lake

from crmguard import dbt_meta


@pytest.fixture(scope="package")
def duckdb_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtBuild]:
    root = tmp_path_factory.mktemp("dbt")
    home = root / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRMGUARD_HOME", str(home))
        build_lake(home)
        project = copy_project(root / "dbt_project")
        dbt_meta.prepare_build(BATCH_DATE, project)
        target = root / "target"
        yield run_dbt("build", home, project, target)
