"""Localisation (warnings): records stored outside the mainland regions of
organisation.yaml, and cross-border exposure beyond its thresholds (marts.cross_border_exposure
flags, DATA-04), as counts in a one-row frame."""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import WARNING, tagged

NAME = "localisation"
STORED_SOURCES = ("customers", "marketing_messages", "contracts")


def build_suite(with_cross_border: bool) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=NAME)
    for source in STORED_SOURCES:
        suite.add_expectation(
            tagged(
                gx.expectations.ExpectColumnMaxToBeBetween,
                severity=WARNING,
                check=f"localisation:{source}_offshore",
                zh=f"{source} 存储在境内区域之外的记录数",
                en=f"{source} records stored outside the mainland regions",
                column=f"{source}_offshore_records",
                max_value=0,
            )
        )
    if with_cross_border:
        suite.add_expectation(
            tagged(
                gx.expectations.ExpectColumnMaxToBeBetween,
                severity=WARNING,
                check="localisation:cross_border_over_threshold",
                zh="出境规模超过阈值而缺少相应机制的 年份×国家 数",
                en="year x country transfers over a threshold without the required mechanism",
                column="cross_border_over_threshold",
                max_value=0,
            )
        )
    return suite
