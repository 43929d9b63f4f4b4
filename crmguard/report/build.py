"""Render ``reports/compliance_report.html``: one self-contained, bilingual file for auditors."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from crmguard.batch_date import batch_date_arg
from crmguard.paths import SHARED_DIR_MODE, SHARED_FILE_MODE, ensure_dir, layout
from crmguard.report import charts
from crmguard.report.data import NOT_EVALUATED, gather

REPORT_NAME = "compliance_report.html"
# CJK-capable fonts first (Debian's fonts-noto-cjk provides "Noto Sans CJK SC"); the browser test
# renders the report's Chinese strings in exactly this stack to prove no glyph is missing
FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)
STATUS_LABELS = {
    "pass": ("通过", "pass"),
    "findings": ("发现问题", "findings"),
    NOT_EVALUATED: ("未评估", "not evaluated"),
}


def _charts(data: dict) -> dict[str, Markup | None]:
    out: dict[str, Markup | None] = {"cross_border_ordinary": None, "cross_border_sensitive": None}
    out["findings"] = charts.horizontal_bars(
        [
            (
                s["rule_id"],
                s["finding_count"] if s["status"] != NOT_EVALUATED else None,
                "bar-findings" if s["status"] == "findings" else "bar",
            )
            for s in data["sections"]
        ],
        "Findings by rule / 各规则发现数",
    )
    for key, unit, markers in (
        (
            "dsr_working",
            "working days",
            [(data["dsr_deadline"], f"deadline {data['dsr_deadline']} wd")],
        ),
        ("dsr_calendar", "days", []),
        (
            "complaint_response",
            "hours",
            [(h, f"{sev} {h:g} h") for sev, h in sorted(data["complaint_limits"].items())],
        ),
    ):
        dist = data[key]
        out[key] = (
            charts.histogram(dist["values"], f"{dist['column']} ({unit})", unit, markers)
            if dist and dist["values"]
            else None
        )
    exposure = data["cross_border"]
    if exposure and exposure["points"]:
        d4 = data["data_04"]
        out["cross_border_ordinary"] = charts.threshold_bars(
            [(p["label"], p["ordinary"], p["violates"]) for p in exposure["points"]],
            [
                (d4.standard_contract.ordinary_individuals, "SCC / 标准合同"),
                (d4.security_assessment.ordinary_individuals, "assessment / 安全评估"),
            ],
            "Ordinary individuals per year × country / 普通个人信息出境人数",
        )
        out["cross_border_sensitive"] = charts.threshold_bars(
            [(p["label"], p["sensitive"], p["violates"]) for p in exposure["points"]],
            [
                (d4.standard_contract.sensitive_individuals, "SCC"),
                (d4.security_assessment.sensitive_individuals, "assessment / 安全评估"),
            ],
            "Sensitive individuals per year × country / 敏感个人信息出境人数",
        )
    out["tiers"] = (
        charts.stacked_bars(
            data["tiers"], "Columns by tier and protection / 按级别与保护方式的字段数"
        )
        if data["tiers"]
        else None
    )
    for section in data["sections"]:
        section["spark"] = (
            charts.sparkline(section["trend"], f"{section['rule_id']} trend")
            if section["trend"]
            else None
        )
    return out


def render(data: dict) -> str:
    env = Environment(
        loader=PackageLoader("crmguard.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("compliance_report.html.j2")
    return template.render(
        **data, charts=_charts(data), font_stack=FONT_STACK, status_labels=STATUS_LABELS
    )


def build_report(batch_date: str, run_id: str | None = None) -> Path:
    """Write reports/compliance_report.html for ``batch_date`` (run: given, else the latest)."""
    html = render(gather(batch_date, run_id))
    reports = ensure_dir(layout().reports, SHARED_DIR_MODE)  # auditors read reports/
    target = reports / REPORT_NAME
    tmp = target.with_name(f".{REPORT_NAME}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.chmod(tmp, SHARED_FILE_MODE)
    tmp.replace(target)
    return target


def _run(args: argparse.Namespace) -> int:
    path = build_report(args.batch_date, args.run_id)
    print(f"report: {path}  (open it in a browser: file://{path})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write reports/compliance_report.html from the governance run records"
    )
    parser.add_argument("--batch-date", type=batch_date_arg, required=True, help="YYYY-MM-DD")
    parser.add_argument("--run-id", default=None, help="governance run id (default: the latest)")
    parser.set_defaults(func=_run)
