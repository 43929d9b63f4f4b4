"""The auditor's report built from a small governance history: statuses, trend, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from crmguard.config import compliance_rules
from crmguard.paths import layout
from crmguard.report import build_report
from crmguard.report.data import rule_status
from tests.report.governance_fixture import (
    BATCH,
    EARLIER,
    RUN,
    RUN_EARLIER,
    SCRIPT_EVIDENCE,
    populate,
)


class _Sections(HTMLParser):
    """Collects each rule section's status and the text inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, str] = {}
        self.text: dict[str, str] = {}
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._rule: str | None = None
        self._depth = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        for key in ("src", "href", "xlink:href", "action"):
            if a.get(key):
                self.urls.append(a[key])
        if tag == "script":
            self._in_script = True
        if tag == "section" and "data-rule" in a:
            self._rule, self._depth = a["data-rule"], 0
            self.status[self._rule] = a["data-status"]
            self.text[self._rule] = ""
        elif tag == "section" and self._rule:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag == "section" and self._rule:
            if self._depth == 0:
                self._rule = None
            else:
                self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        if self._rule:
            self.text[self._rule] += data


@pytest.fixture
def report(crmguard_home: Path) -> tuple[Path, _Sections]:
    populate(crmguard_home)
    path = build_report(BATCH)
    parsed = _Sections()
    parsed.feed(path.read_text(encoding="utf-8"))
    return path, parsed


def test_written_to_reports(report: tuple[Path, _Sections]) -> None:
    path, _ = report
    assert path == layout().reports / "compliance_report.html"


def test_one_section_per_rule_with_status(report: tuple[Path, _Sections]) -> None:
    _, parsed = report
    rules = compliance_rules().rules
    assert list(parsed.status) == list(rules)
    assert parsed.status["FIN-01"] == "not_evaluated"  # no access judged: never a pass
    assert parsed.status["CON-04"] == "not_evaluated"  # 0 units evaluated: never a pass
    assert parsed.status["CUS-01"] == "findings"
    assert parsed.status["MKT-01"] == "findings"
    assert parsed.status["DATA-05"] == "pass"
    assert "not evaluated" in parsed.text["CON-04"]
    assert "pass" not in parsed.status["FIN-01"]


def test_counts_come_from_the_latest_run(report: tuple[Path, _Sections]) -> None:
    _, parsed = report
    # the current run found 3 of 40; an older run of the same batch said 99
    text = parsed.text["CUS-01"]
    assert re.search(r"Evaluated:\s*40", text)
    assert re.search(r"Findings:\s*3", text)
    assert "99" not in text
    assert RUN in Path(layout().reports / "compliance_report.html").read_text(encoding="utf-8")


def test_trend_across_batches(report: tuple[Path, _Sections]) -> None:
    path, _ = report
    html = path.read_text(encoding="utf-8")
    section = html[html.index('id="rule-MKT-01"') : html.index('id="rule-MKT-02"')]
    table = section[section.index('class="trend-table"') :]
    assert re.search(rf"<td>{EARLIER}</td><td>{BATCH}</td>", table)
    assert re.search(r"<td>5</td><td>2</td>", table)  # 5 findings on the 19th, 2 on the 20th
    assert "<svg" in section


def test_evidence_is_escaped(report: tuple[Path, _Sections]) -> None:
    path, parsed = report
    html = path.read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html
    # the only script is the report's own language toggle
    assert len(parsed.scripts) == 1 and "alert" not in parsed.scripts[0]
    assert SCRIPT_EVIDENCE in parsed.text["MKT-01"]  # shown as text, verbatim


def test_self_contained(report: tuple[Path, _Sections]) -> None:
    path, parsed = report
    html = path.read_text(encoding="utf-8")
    assert not [u for u in parsed.urls if re.match(r"(https?:)?//", u)]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    # data docs links are relative, into reports/data_docs/
    assert any(u.startswith("data_docs/") for u in parsed.urls)


def test_charts_and_header(report: tuple[Path, _Sections]) -> None:
    path, _ = report
    html = path.read_text(encoding="utf-8")
    for chart in (
        "chart-findings",
        "chart-dsr-working",
        "chart-complaints",
        "chart-cross-border",
        "chart-tiers",
    ):
        block = html[html.index(f'id="{chart}"') :]
        assert block.index("<svg") < block.index("</figure>"), chart
    assert "示例零售金融有限公司" in html and "2026.1" in html
    assert "已发布" in html and "published" in html
    # validation: the warning suite's failed expectation with its count
    assert "retention_coverage:b" in html and "1 ✗" in html


def test_top_evidence_for_every_c1_c2_column(report: tuple[Path, _Sections]) -> None:
    """Each vault- or restricted-class column shows the top three items that decided it."""
    path, _ = report
    html = path.read_text(encoding="utf-8")
    block = html[html.index('id="classification-evidence"') : html.index('id="validation"')]
    assert 'data-column="customers.id_number"' in block
    assert 'data-column="customers.city"' in block  # C2: reason shown when no evidence kept
    assert 'data-column="customers.created_at"' not in block  # C3 pass
    row = block[block.index('data-column="customers.id_number"') :].split("</tr>")[0]
    assert "pass GB 11643" in row and "200 of 200 sampled values" in row
    assert "values are integer" not in row  # only the top three


def test_missing_marts_degrade_to_no_data(crmguard_home: Path) -> None:
    populate(crmguard_home)
    con = duckdb.connect(str(layout().marts_db))
    con.execute("drop table dsr_sla")
    con.execute("drop table cross_border_exposure")
    con.close()
    html = build_report(BATCH, RUN_EARLIER).read_text(encoding="utf-8")
    charts = html[html.index('id="charts"') : html.index('id="validation"')]
    assert charts.count("no data") == 3  # DATA-05, DATA-04 and the FIN-01 access table
    assert 'id="chart-dsr-working"' not in html and 'id="chart-complaints"' in html
    assert RUN_EARLIER in html


def test_empty_home_reports_nothing_as_passed(crmguard_home: Path) -> None:
    html = build_report(BATCH).read_text(encoding="utf-8")
    assert html.count('data-status="not_evaluated"') == len(compliance_rules().rules)
    assert 'data-status="pass"' not in html


@pytest.mark.parametrize(
    ("evaluated", "count", "findings", "status"),
    [
        (True, None, None, "not_evaluated"),
        (True, 0, 0, "not_evaluated"),
        (False, 10, 0, "not_evaluated"),
        (True, 10, 0, "pass"),
        (True, 10, 2, "findings"),
    ],
)
def test_rule_status(evaluated: bool, count: int | None, findings: int | None, status: str) -> None:
    assert rule_status(evaluated, count, findings) == status
