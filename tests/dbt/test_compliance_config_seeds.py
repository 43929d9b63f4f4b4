"""Rule configuration reaches dbt as generated seeds: the rule catalog and the working calendar."""

from __future__ import annotations

import datetime as dt

import duckdb
from dbt_harness import DbtBuild

from crmguard.config import compliance_rules, working_calendar


def _reference(build: DbtBuild, sql: str) -> list[tuple]:
    con = duckdb.connect(str(build.home / "warehouse" / "crm.duckdb"), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_rule_catalog_seed_has_every_rule(duckdb_build: DbtBuild) -> None:
    rows = _reference(
        duckdb_build,
        "select rule_id, severity, reference, model, evaluated "
        "from reference.compliance_rule_catalog order by rule_id",
    )
    pack = compliance_rules().rules
    assert {r[0] for r in rows} == set(pack)
    by_id = {r[0]: r for r in rows}
    assert by_id["FIN-01"][4] == "false" and by_id["FIN-01"][3] is None
    assert by_id["CUS-02"][4] == "true"
    assert by_id["CUS-02"][1:4] == (
        pack["CUS-02"].severity,
        pack["CUS-02"].reference,
        "return_requests",
    )


def test_working_calendar_seed_marks_makeup_saturdays_and_holidays(duckdb_build: DbtBuild) -> None:
    calendar = working_calendar()
    makeup = calendar.makeup_workdays[0]
    holiday = calendar.holidays[0][0]
    rows = dict(
        _reference(
            duckdb_build,
            "select calendar_date, is_working_day from reference.working_calendar "
            f"where calendar_date in ('{makeup}', '{holiday}', '2026-03-14', '2026-03-16')",
        )
    )
    assert makeup.weekday() >= 5 and rows[makeup] is True
    assert rows[holiday] is False
    assert rows[dt.date(2026, 3, 14)] is False  # an ordinary Saturday
    assert rows[dt.date(2026, 3, 16)] is True  # an ordinary Monday
    days = _reference(duckdb_build, "select count(*) from reference.working_calendar")[0][0]
    assert days == sum(366 if y % 4 == 0 else 365 for y in calendar.covered_years)
