"""The auditor's report shows clear C1 accesses per purpose and approver (FIN-01), from the
published access_review mart."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from crmguard.paths import layout
from crmguard.report import build_report
from tests.report.governance_fixture import BATCH, populate


def test_accesses_per_purpose_and_approver(crmguard_home: Path) -> None:
    populate(crmguard_home)
    marts = duckdb.connect(str(layout().marts_db))
    marts.execute(
        "create table access_review as select * from (values"
        " ('4', 'unmask_reveal', 'litigation', 'chen,liu', false),"
        " ('7', 'unmask_reveal', 'litigation', 'chen,liu', false),"
        " ('9', 'unmask_reveal', 'fraud_investigation', 'chen', true),"
        " ('12', 'unmask_approve', 'litigation', null, true)"
        ") t(subject, event, purpose, approvers, violates_fin_01)"
    )
    marts.close()
    html = build_report(BATCH).read_text(encoding="utf-8")
    table = re.search(r'<table id="c1-accesses">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(
        r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td></tr>", table.group(1)
    )
    assert rows == [
        ("fraud_investigation", "chen", "1", "1"),
        ("litigation", "chen", "2", "0"),
        ("litigation", "liu", "2", "0"),
    ]


def test_no_access_mart_shows_no_data(crmguard_home: Path) -> None:
    populate(crmguard_home)
    html = build_report(BATCH).read_text(encoding="utf-8")
    assert 'id="c1-accesses"' not in html
