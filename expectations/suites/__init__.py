"""Suites as code, one module per dataset; every expectation says whether it blocks publishing.

Each expectation carries ``meta``: ``severity`` (``blocking``: a guarantee of the platform, a
failure stops publishing; ``warning``: a fact about the customers' data, reported with counts),
``check`` (a stable name used in governance tables and PublishBlocked messages) and the
bilingual description shown in the auditor's report. GX's own ``severity`` mirrors it
(critical / warning) so Data Docs render the same distinction.
"""

from __future__ import annotations

from typing import Literal

from great_expectations.expectations.expectation import Expectation

Severity = Literal["blocking", "warning"]
BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"


def tagged(
    expectation: type[Expectation],
    *,
    severity: Severity,
    check: str,
    zh: str,
    en: str,
    **kwargs: object,
) -> Expectation:
    """An expectation with CRM Guard's meta (severity, check name, zh/en description)."""
    return expectation(
        meta={"severity": severity, "check": check, "description_zh": zh, "description_en": en},
        severity="critical" if severity == BLOCKING else "warning",
        description=en,
        **kwargs,
    )
