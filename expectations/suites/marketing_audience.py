"""marts.marketing_audience: every row carries a consent valid at the batch end (blocking).

The frame joins each audience row with the protected consents of the batch (same consent_id and
customer, the channel's purpose from config/consent_channels.yaml, the same notice_version,
granted before and not withdrawn before the end of the batch date in the business time zone).
"""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import BLOCKING, tagged

NAME = "marketing_audience"


def build_suite() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=NAME)
    for column, zh, en in (
        ("consent_id", "营销受众每行都有 consent_id", "every audience row carries a consent_id"),
        (
            "notice_version",
            "营销受众每行都有告知版本 notice_version",
            "every audience row carries a notice_version",
        ),
    ):
        suite.add_expectation(
            tagged(
                gx.expectations.ExpectColumnValuesToNotBeNull,
                severity=BLOCKING,
                check=f"audience:{column}_present",
                zh=zh,
                en=en,
                column=column,
            )
        )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeInSet,
            severity=BLOCKING,
            check="audience:consent_valid_at_batch_end",
            zh="营销受众每行的同意在批次日结束时有效（渠道目的、告知版本一致，未撤回）",
            en=(
                "every audience row's consent is in force at the batch date end: same customer, "
                "the channel's purpose, same notice_version, granted before and not withdrawn"
            ),
            column="consent_valid_at_batch_end",
            value_set=[True],
        )
    )
    return suite
