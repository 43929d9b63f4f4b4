"""dbt_meta reads the catalog and ``_protection.json`` through the stage contracts: a malformed or
misplaced file stops generation with an error naming the file and the field (no dbt run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt_harness import copy_project
from lake_fixture import BATCH_DATE, build_lake

from crmguard import dbt_meta


def _manifest_path(home: Path, layer: str = "protected", source: str = "customers") -> Path:
    return home / f"lake/{layer}/{source}/batch_date={BATCH_DATE}/_protection.json"


def _edit(path: Path, change) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_unknown_form_in_a_manifest_names_file_and_column(
    tmp_path: Path, crmguard_home: Path
) -> None:
    build_lake(crmguard_home)
    project = copy_project(tmp_path / "p")
    path = _manifest_path(crmguard_home)
    _edit(path, lambda d: next(iter(d["columns"].values())).update(form="hashed"))
    with pytest.raises(
        dbt_meta.DbtMetaError,
        match=r"customers/batch_date=.*_protection\.json: .*columns\.\w+\.form",
    ):
        dbt_meta.generate(BATCH_DATE, project)


def test_manifest_of_another_partition_is_refused(tmp_path: Path, crmguard_home: Path) -> None:
    build_lake(crmguard_home)
    project = copy_project(tmp_path / "p")
    # a restricted manifest copied beside the protected partition (zone says restricted)
    _manifest_path(crmguard_home).write_bytes(
        _manifest_path(crmguard_home, "restricted").read_bytes()
    )
    with pytest.raises(dbt_meta.DbtMetaError, match=r"manifest is for restricted/customers/"):
        dbt_meta.generate(BATCH_DATE, project)


def test_catalog_protection_class_is_checked(tmp_path: Path, crmguard_home: Path) -> None:
    build_lake(crmguard_home)
    project = copy_project(tmp_path / "p")
    catalog = crmguard_home / "lake/catalog/catalog.json"
    _edit(catalog, lambda d: d["tables"]["customers"]["mobile"].update(protection="hide"))
    with pytest.raises(
        dbt_meta.DbtMetaError, match=r"catalog\.json: .*tables\.customers\.mobile\.protection"
    ):
        dbt_meta.generate(BATCH_DATE, project)
