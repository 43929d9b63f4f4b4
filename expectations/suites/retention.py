"""Retention (warnings, facts about the data with counts).

``build_coverage_suite``: the batch's full extract still reaches back to the retention start
(rules.yaml mkt_04 / con_03; never before organisation.yaml go_live_date): days missing per
source. ``build_closed_customers_suite``: PIPL Art. 47, customers closed longer than
retention_warnings.closed_customer_max_days still holding personal data, and those of them with
no order or contract under a legal minimum retention (due for deletion, not only restriction).
"""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import WARNING, tagged

COVERAGE = "retention_coverage"
CLOSED = "closed_customers"

# source -> (years of config, zh, en) filled by the caller from rules.yaml
RETAINED = ("marketing_messages", "orders", "contracts")


def build_coverage_suite(years: dict[str, int]) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=COVERAGE)
    for source in RETAINED:
        suite.add_expectation(
            tagged(
                gx.expectations.ExpectColumnMaxToBeBetween,
                severity=WARNING,
                check=f"retention:{source}_coverage",
                zh=f"{source} 覆盖至少 {years[source]} 年保存期（不早于上线日）：缺失天数",
                en=(
                    f"{source} reach back {years[source]} years (not before the go-live date): "
                    "days of the retention window missing from the extract"
                ),
                column=f"{source}_days_missing",
                max_value=0,
            )
        )
    return suite


def build_closed_customers_suite(max_days: int) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=CLOSED)
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeBetween,
            severity=WARNING,
            check="pipl47:closed_customers_holding_personal_data",
            zh=f"注销超过 {max_days} 天的客户仍保留个人信息（PIPL 第47条）",
            en=(
                f"customers closed more than {max_days} days still holding personal data "
                "(PIPL Art. 47)"
            ),
            column="days_closed",
            max_value=max_days,
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeBetween,
            severity=WARNING,
            check="pipl47:deletion_due_without_legal_hold",
            zh="其中无订单或合同仍在法定保存期内（应删除，而非仅停止处理）",
            en=(
                "of them, customers with no order or contract under a legal minimum retention "
                "(deletion due, not only restriction of processing)"
            ),
            column="days_closed_without_legal_hold",
            max_value=max_days,
        )
    )
    return suite
