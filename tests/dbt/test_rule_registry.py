"""Adding a rule touches config/rules.yaml and its model only: docs, the dbt checks list and the
rule catalog seed pick it up from the registry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dbt_harness import copy_project, run_dbt

from crmguard import config, dbt_meta, rules_doc

DUMMY = {
    "area": {"zh": "测试", "en": "test"},
    "title": {"zh": "虚拟规则", "en": "A dummy rule"},
    "grain": "order",
    "subject_type": "order",
    "inputs": ["orders"],
    "subject": "order_id",
    "severity": "low",
    "basis": "policy",
    "reference": "none (test)",
    "model": "dummy_order_review",
}


def test_a_dummy_rule_reaches_docs_checks_and_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = Path(shutil.copytree(config.config_path("rules.yaml").parent, tmp_path / "config"))
    pack = yaml.safe_load((config_dir / "rules.yaml").read_text(encoding="utf-8"))
    pack["rules"]["TST-01"] = DUMMY
    (config_dir / "rules.yaml").write_text(yaml.safe_dump(pack, allow_unicode=True), "utf-8")
    monkeypatch.setattr(config, "config_path", lambda name: config_dir / name)

    project = copy_project(tmp_path / "dbt_project")
    model = project / "models" / "marts" / "compliance" / "dummy_order_review.sql"
    model.write_text(
        "select order_id as subject, order_id, false as violates_tst_01,\n"
        "    cast(null as varchar) as evidence_tst_01, cast('{{ batch_date() }}' as date)"
        " as batch_date\nfrom {{ ref('stg_restricted__orders') }}\n",
        encoding="utf-8",
    )
    rules_doc.write(tmp_path / "rules.md", project / "macros" / "rule_registry.sql")
    assert "| TST-01 |" in (tmp_path / "rules.md").read_text(encoding="utf-8")
    dbt_meta.write_parse_skeleton(project)
    seed = dbt_meta.write_rule_catalog_seed(project).read_text(encoding="utf-8")
    assert "TST-01" in seed and "dummy_order_review" in seed

    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    target = tmp_path / "target"
    build = run_dbt("compile", home, project, target, "--select", "compliance_rule_checks")
    assert build.success
    compiled = next(target.rglob("compliance_rule_checks.sql")).read_text(encoding="utf-8")
    assert "'TST-01'" in compiled and "dummy_order_review" in compiled
    assert "'template_clause'" in compiled  # subject types from the registry, not display text
