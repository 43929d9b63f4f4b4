"""docs/rules.md and dbt's rule registry are generated from config/ and must not go stale."""

from crmguard.config import compliance_rules
from crmguard.rules_doc import RULE_REGISTRY_MACRO, RULES_DOC, render, render_registry_macro


def test_rules_doc_is_current() -> None:
    assert RULES_DOC.read_text(encoding="utf-8") == render(), "run `crmguard rules-doc`"


def test_every_rule_and_parameter_is_documented() -> None:
    text = render()
    pack = compliance_rules()
    for rule_id, rule in pack.rules.items():
        assert f"| {rule_id} |" in text
        assert rule.reference in text
    fin_01 = next(line for line in text.splitlines() if line.startswith("| FIN-01 |"))
    assert fin_01.endswith("| access_review |")  # evaluated from the access log
    # a parameter value from rules.yaml reaches the doc
    assert str(pack.parameters.con_04.acceptance_days) in text.split("### CON-04", 1)[1]


def test_dbt_rule_registry_is_current_and_lists_every_evaluated_rule() -> None:
    assert RULE_REGISTRY_MACRO.read_text(encoding="utf-8") == render_registry_macro(), (
        "run `crmguard rules-doc`"
    )
    text = render_registry_macro()
    for rule_id, rule in compliance_rules().rules.items():
        listed = f'"rule_id": "{rule_id}"' in text
        assert listed == bool(rule.evaluated and rule.model), rule_id
    assert '"subject_column": "record_key"' in text  # CON-03 reads retention_register's key


def test_planted_manifest_subject_types_come_from_the_registry() -> None:
    from crmguard.demo_data.violations import Planting

    pack = compliance_rules()
    manifest = Planting().manifest("all", "2026-11-20", None, list(pack.rules))
    for rule_id, entry in manifest["rules"].items():
        assert entry["subject_type"] == pack.rules[rule_id].subject_type


def test_every_evaluated_rule_has_its_planter_by_name() -> None:
    from crmguard.demo_data.violations import planters

    pack = compliance_rules().rules
    evaluated = [
        r
        for r, rule in pack.items()
        if rule.evaluated and rule.model and rule.data_source == "landing"
    ]
    registry = planters()
    assert list(registry) == evaluated
    assert all(p.__name__ == "plant_" + r.lower().replace("-", "_") for r, p in registry.items())
