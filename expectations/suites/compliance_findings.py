"""Compliance rule results: every violating unit has its finding (blocking).

``build_suite`` checks marts.compliance_rule_checks against marts.compliance_findings (one row
per evaluated unit, interfaces.md §5); ``build_rule_model_suite`` cross-checks the rule checks
against the rule models' own ``violates_<rule>`` flags, so a unit flagged by its model and lost
on the way to compliance_rule_checks is caught too.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import BLOCKING, WARNING, tagged

NAME = "compliance_findings"
RULE_MODELS = "compliance_rule_models"


def build_suite() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=NAME)
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectTableRowCountToBeBetween,
            severity=BLOCKING,
            check="findings:rule_checks_built",
            zh="marts.compliance_rule_checks 已构建且有被评估的对象",
            en="marts.compliance_rule_checks is built and evaluates at least one unit",
            min_value=1,
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeInSet,
            severity=BLOCKING,
            check="findings:every_violation_has_finding",
            zh="每个违规对象（rule_id, subject）在 compliance_findings 中都有发现记录",
            en=(
                "every violating (rule_id, subject) of compliance_rule_checks is in "
                "compliance_findings"
            ),
            column="missing_finding",
            value_set=[False],
        )
    )
    return suite


def build_rule_model_suite() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=RULE_MODELS)
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnPairValuesToBeEqual,
            severity=BLOCKING,
            check="findings:model_violations_reach_checks",
            zh="规则模型标记了违规的规则，在 compliance_rule_checks 中也有违规",
            en="a rule whose model flags violations (violates_<rule>) has violating rule checks",
            column_A="model_has_violations",
            column_B="checks_have_violations",
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnPairValuesToBeEqual,
            severity=WARNING,
            check="findings:model_and_check_counts",
            zh="规则模型的违规行数与 compliance_rule_checks 的违规对象数一致",
            en="violating rows of each rule model equal its violating rule checks",
            column_A="model_violations",
            column_B="check_violations",
        )
    )
    return suite
