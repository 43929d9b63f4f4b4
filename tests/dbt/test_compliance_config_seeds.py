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
    assert by_id["FIN-01"][4] == "true" and by_id["FIN-01"][3] == "access_review"
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


def test_rule_parameters_seed_is_every_parameter_of_the_pack(duckdb_build: DbtBuild) -> None:
    """Rule models read thresholds, lists and maps from this seed: it must hold each value of
    config/rules.yaml exactly (and the classification profile's CONS-03 entities)."""
    rows = _reference(
        duckdb_build,
        "select rule_id, parameter, coalesce(item, ''), coalesce(value, '') "
        "from reference.rule_parameters",
    )
    params = compliance_rules().parameters
    got = set(rows)
    assert ("CUS-01", "first_response_hours", "medium", "48.0") in got
    assert ("DATA-05", "deadline_working_days", "", "3") in got
    assert ("DATA-04", "security_assessment", "sensitive_individuals", "10000") in got
    assert ("MKT-03", "promo_code_factors", "NEW10", "0.9") in got
    for term in params.mkt_01.absolute_terms:
        assert ("MKT-01", "absolute_terms", term, "") in got
    for clause in params.con_01.unfair_clauses:
        assert ("CON-01", "unfair_clauses", clause, "") in got
    sensitive = {r[2] for r in rows if r[:2] == ("CONS-03", "sensitive_entities")}
    assert {"BANK_CARD", "GEO_LOCATION", "INCOME"} <= sensitive
    assert "CN_RESIDENT_ID" not in sensitive  # KYC basis (PIPL Art. 13(2)), excluded by config
    # every rule block of the pack reaches the seed
    blocks = {name.upper().replace("_", "-") for name in type(params).model_fields}
    assert blocks <= {r[0] for r in rows}


def test_organisation_facts_seed_and_dbt_timezone_match_config(duckdb_build: DbtBuild) -> None:
    import yaml

    from crmguard.config import organisation

    org = organisation()
    rows = _reference(
        duckdb_build,
        "select fact, coalesce(item, ''), coalesce(value, '') from reference.organisation_facts",
    )
    assert ("financial_institution", "", str(org.financial_institution).lower()) in rows
    regions = {item for fact, item, _ in rows if fact == "mainland_regions"}
    assert regions == set(org.mainland_regions)
    # the batch end is computed in the organisation's time zone (dbt var default)
    project = yaml.safe_load((duckdb_build.project / "dbt_project.yml").read_text())
    assert project["vars"]["business_timezone"] == org.timezone
