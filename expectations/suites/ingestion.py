"""Ingestion of the batch: reconciliation holds for every landed file (blocking); quarantine
rates above the configured threshold (warning).

The frame has one row per file the batch should account for (landed files, raw partitions and
reconciliation rows, whichever names it); reconciliation is recomputed (counted - loaded -
quarantined), not trusted from the stored ``difference``, and loaded rows are compared with the
rows actually in the raw Parquet.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import BLOCKING, WARNING, tagged

NAME = "ingestion"


def build_suite(quarantine_rate_warning: float) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=NAME)
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectTableRowCountToBeBetween,
            severity=BLOCKING,
            check="reconciliation:files_present",
            zh="本批次至少有一个已接收并对账的文件",
            en="the batch has at least one landed, reconciled file",
            min_value=1,
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeInSet,
            severity=BLOCKING,
            check="reconciliation:row_per_file",
            zh="每个接收文件在 governance.reconciliation 中都有对账记录",
            en="every landed file has its row in governance.reconciliation",
            column="has_reconciliation_row",
            value_set=[True],
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeBetween,
            severity=BLOCKING,
            check="reconciliation:difference_zero",
            zh="每个文件：计数行数 = 入库行数 + 隔离行数（差额为 0）",
            en="every file: rows counted = rows loaded + rows quarantined (difference 0)",
            column="difference",
            min_value=0,
            max_value=0,
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeInSet,
            severity=BLOCKING,
            check="reconciliation:raw_rows_match",
            zh="每个文件：原始层 Parquet 行数与对账的入库行数一致",
            en="every file: rows in the raw Parquet equal the reconciled rows loaded",
            column="raw_rows_match",
            value_set=[True],
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeBetween,
            severity=WARNING,
            check="ingestion:quarantine_rate",
            zh=f"文件隔离率不超过 {quarantine_rate_warning:.0%}（config/ingestion.yaml）",
            en=(
                f"quarantined share of a file at most {quarantine_rate_warning:.0%} "
                "(config/ingestion.yaml quarantine_rate_warning)"
            ),
            column="quarantine_rate",
            max_value=quarantine_rate_warning,
        )
    )
    return suite
