"""The auditor's report: reports/compliance_report.html, built from governance run records."""

from crmguard.report.build import FONT_STACK, REPORT_NAME, build_report, register

__all__ = ["FONT_STACK", "REPORT_NAME", "build_report", "register"]
