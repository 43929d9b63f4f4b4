"""Analyst marts (schema ``marts``): no text value holds a clear C1 identifier (blocking).

One suite per mart table, one expectation per text column, so a failure names the column.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.custom import ExpectColumnValuesToHoldNoRawC1
from expectations.suites import BLOCKING, tagged

NAME = "analyst_marts"


def suite_name(table: str) -> str:
    return f"{NAME}.{table}"


def build_suite(table: str, text_columns: list[str]) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=suite_name(table))
    for column in text_columns:
        suite.add_expectation(
            tagged(
                ExpectColumnValuesToHoldNoRawC1,
                severity=BLOCKING,
                check=f"no_raw_c1:marts.{table}.{column}",
                zh=f"分析集市 {table}.{column} 不含明文身份证号、银行卡号或手机号（校验位验证）",
                en=(
                    f"marts.{table}.{column} holds no clear resident ID (GB 11643 check digit), "
                    "Luhn-valid card number or unmasked mainland mobile"
                ),
                column=column,
            )
        )
    return suite
