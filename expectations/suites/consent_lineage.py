"""Consent lineage of the message log (warning): messages sent without a valid consent."""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import WARNING, tagged

NAME = "consent_lineage"


def build_suite() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=NAME)
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeInSet,
            severity=WARNING,
            check="consent_lineage:messages_without_consent",
            zh="营销消息发送时没有有效同意（marketing_message_log.is_consent_authorised）",
            en="marketing messages sent without a valid consent (is_consent_authorised false)",
            column="is_consent_authorised",
            value_set=[True],
        )
    )
    return suite
