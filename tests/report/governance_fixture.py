"""A small governance history and published marts file for report tests (two batch dates).

Written through the real governance schema (``ensure_tables``) into ``CRMGUARD_HOME``; the marts
file has the published layout (tables in its default schema). Counts are chosen per rule so the
tests can tell pass, findings and not evaluated apart.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from crmguard.config import compliance_rules
from crmguard.governance_log import ensure_tables
from crmguard.paths import layout

EARLIER, BATCH = "2026-11-19", "2026-11-20"
RUN_EARLIER, RUN_OLD, RUN = "run-earlier", "run-old-rerun", "run-current"
SCRIPT_EVIDENCE = '<script>alert("x")</script> sent 2026-11-20T09:00+08:00 to 138****1234'
# rule -> (evaluated, findings) on the current batch; rules not listed: 10 evaluated, 0 findings
# (FIN-01: no clear C1 access in the period, so nothing judged)
CURRENT = {
    "CUS-01": (40, 3),
    "MKT-01": (120, 2),
    "DATA-05": (12, 0),
    "CON-04": (0, 0),
    "FIN-01": (0, 0),
}
EARLIER_COUNTS = {"CUS-01": (38, 1), "MKT-01": (118, 5), "FIN-01": (0, 0)}


def _summary_rows(run_id: str, batch: str, counts: dict) -> list[tuple]:
    rows = []
    for rule_id, rule in compliance_rules().rules.items():
        evaluated, found = counts.get(rule_id, (10, 0))
        if not rule.evaluated:
            evaluated, found = 0, 0
        status = "not_evaluated" if evaluated == 0 else ("findings" if found else "pass")
        rows.append((run_id, batch, rule_id, evaluated, found, status))
    return rows


def _findings(run_id: str, batch: str, counts: dict) -> list[tuple]:
    rows = []
    for rule_id, (_, found) in counts.items():
        for i in range(found):
            subject = f"C{i:07d}" if rule_id == "CUS-01" else f"M{i:07d}"
            evidence = SCRIPT_EVIDENCE if (rule_id, i) == ("MKT-01", 0) else f"late by {i + 1} h"
            rows.append(
                (
                    run_id,
                    batch,
                    f"{rule_id}-{subject}",
                    rule_id,
                    "medium",
                    "complaint" if rule_id == "CUS-01" else "message",
                    subject,
                    evidence,
                    compliance_rules().rules[rule_id].reference,
                    dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                )
            )
    return rows


def populate(home: Path) -> None:
    """Governance rows for two batch dates (the current one validated twice) + marts + catalog."""
    lay = layout()
    assert lay.home == home.resolve()
    lay.warehouse.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(lay.warehouse_db))
    ensure_tables(con)
    t0 = dt.datetime(2026, 11, 21, 1, tzinfo=dt.UTC)
    runs = [
        (RUN_EARLIER, EARLIER, EARLIER_COUNTS, t0 - dt.timedelta(days=1)),
        # an older run of the current batch: its counts must not be the ones shown
        (RUN_OLD, BATCH, {"CUS-01": (40, 99)}, t0 - dt.timedelta(hours=2)),
        (RUN, BATCH, CURRENT, t0),
    ]
    docs = lay.reports / "data_docs" / "validations"
    for run_id, batch, counts, at in runs:
        con.executemany(
            "insert into governance.rule_summary_history values (?, ?, ?, ?, ?, ?)",
            _summary_rows(run_id, batch, counts),
        )
        con.executemany(
            "insert into governance.findings_history values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _findings(run_id, batch, counts),
        )
        for suite, ok in (("analyst_marts.customer_360", True), ("retention_coverage", False)):
            page = docs / f"{suite}-{run_id}.html"
            con.execute(
                "insert into governance.validation_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, batch, suite, f"{suite}/{run_id}", ok, True, 2, at, f"file://{page}"],
            )
            severity = "blocking" if ok else "warning"
            con.executemany(
                "insert into governance.validation_results values"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        batch,
                        suite,
                        f"{suite}:a",
                        "expect_x",
                        severity,
                        True,
                        10,
                        0,
                        None,
                        "检查甲",
                        "check a",
                    ),
                    (
                        run_id,
                        batch,
                        suite,
                        f"{suite}:b",
                        "expect_y",
                        severity,
                        ok,
                        10,
                        0 if ok else 4,
                        None,
                        "检查乙",
                        "check b",
                    ),
                ],
            )
        con.execute(
            "insert into governance.publish_log values"
            " (?, ?, true, ?, 'cat', 'pol', 'rules', '[]', 'abc123', '[]', 'm', 'r')",
            [run_id, batch, at + dt.timedelta(minutes=5)],
        )
    con.close()

    marts = duckdb.connect(str(lay.marts_db))
    marts.execute(
        "create table dsr_sla as select 'R' || i as request_id,"
        " i % 6 as working_days_to_completion, (i % 6) + 2 as days_to_completion,"
        " i % 6 > 3 as violates_data_05 from range(12) t(i)"
    )
    marts.execute(
        "create table complaint_sla as select 'C' || i as complaint_id,"
        " ['high', 'medium', 'low'][i % 3 + 1] as severity,"
        " (i * 7 % 90)::double as first_response_hours, false as violates_cus_01"
        " from range(40) t(i)"
    )
    marts.execute(
        "create table cross_border_exposure as select * from (values"
        " (2026, 'SG', 150000, 20, true), (2026, 'US', 5000, 0, false))"
        " t(year, destination_country, ordinary_individuals, sensitive_individuals,"
        " violates_data_04)"
    )
    marts.close()

    lay.catalog_dir.mkdir(parents=True, exist_ok=True)
    lay.catalog.write_text(
        json.dumps(
            {
                "profile": "seed",
                "policy_version": "2026.1",
                "batch_date": BATCH,
                "tables": {
                    "customers": {
                        "id_number": {
                            "entity": "CN_RESIDENT_ID",
                            "tier": "C1",
                            "protection": "vault_token_mask",
                            "confidence": 1.0,
                            "evidence": [
                                {"kind": "header", "detail": "header 'id_number' matches"},
                                {"kind": "values", "detail": "200 of 200 sampled values"},
                                {"kind": "checksum", "detail": "200 of 200 pass GB 11643"},
                                {"kind": "shape", "detail": "100% of 200 values are integer"},
                            ],
                        },
                        "city": {
                            "entity": "CITY",
                            "tier": "C2",
                            "protection": "restricted_generalise",
                            "confidence": 0.9,
                        },
                        "created_at": {
                            "entity": "NONE",
                            "tier": "C3",
                            "protection": "pass",
                            "confidence": 1.0,
                        },
                    }
                },
            }
        ),
        encoding="utf-8",
    )
