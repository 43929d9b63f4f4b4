"""Custom GX expectation: no value of a column holds a clear C1 identifier (checksums, not regex).

A plain regex expectation would flag every 18-digit reference number and miss nothing the
checksums would catch; the leak test is "shape and check digit", as the classifier defines it.
Pandas only: analyst marts are validated as pandas DataFrames read from DuckDB through Arrow.
"""

from __future__ import annotations

from typing import ClassVar

from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from expectations.c1_shapes import holds_no_raw_c1


class ColumnValuesHoldNoRawC1(ColumnMapMetricProvider):
    condition_metric_name = "column_values.hold_no_raw_c1"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return holds_no_raw_c1(column)


class ExpectColumnValuesToHoldNoRawC1(ColumnMapExpectation):
    """Expect no value to contain a clear resident ID (GB 11643), Luhn card or unmasked mobile."""

    map_metric = "column_values.hold_no_raw_c1"
    success_keys = ("mostly",)
    library_metadata: ClassVar[dict] = {"tags": ["crmguard", "pii"], "contributors": ["crmguard"]}
