"""Mart columns: no unclassified, low-confidence or dropped source column reaches a mart
(blocking).

One row per analyst mart column (information_schema of schema ``marts``), resolved to the source
columns it derives from through marts.field_inventory (dbt column lineage), and, by name, to any
source column the catalog or the protect stage dropped: a mart column named after a dropped
column is exposure whatever its lineage says.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import BLOCKING, tagged

NAME = "mart_columns"


def build_suite(confidence_floor: float) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=NAME)
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToNotBeInSet,
            severity=BLOCKING,
            check="mart_columns:no_unclassified",
            zh="集市字段不来自未分类（UNCLASSIFIED）的源字段",
            en="no mart column derives from an UNCLASSIFIED source column",
            column="source_entity",
            value_set=["UNCLASSIFIED"],
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeBetween,
            severity=BLOCKING,
            check="mart_columns:confidence_floor",
            zh=f"集市字段的源字段分类置信度不低于 {confidence_floor}",
            en=(
                "no mart column derives from a column classified below confidence "
                f"{confidence_floor}"
            ),
            column="source_confidence",
            min_value=confidence_floor,
        )
    )
    suite.add_expectation(
        tagged(
            gx.expectations.ExpectColumnValuesToBeInSet,
            severity=BLOCKING,
            check="mart_columns:no_dropped",
            zh="集市字段不来自被丢弃（drop / 无声明目的）的源字段",
            en="no mart column derives from a dropped source column (class drop or form dropped)",
            column="source_dropped",
            value_set=[False],
        )
    )
    return suite
