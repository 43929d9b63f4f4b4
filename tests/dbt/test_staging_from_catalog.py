"""Staging from the catalog: a batch classified unlike the demo's still builds, and every column
the marts expect but the batch does not provide is a typed null, a gap row and a DATA-02 finding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dbt_harness import DbtBuild, copy_project, run_dbt
from lake_fixture import BATCH_DATE, T1, build_lake, drift_lake, strip_lake

from crmguard import dbt_meta

pytestmark = pytest.mark.dbt


def _rows(build: DbtBuild, sql: str) -> list[tuple]:
    con = duckdb.connect(str(build.home / "warehouse" / "crm.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _columns(build: DbtBuild, model: str) -> dict[str, str]:
    return dict(
        _rows(
            build,
            "select column_name, data_type from information_schema.columns"
            f" where table_schema = 'staging' and table_name = '{model}'",
        )
    )


def _build(root: Path, *reshape, extra: tuple[str, ...] = ()) -> Iterator[DbtBuild]:
    home = root / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRMGUARD_HOME", str(home))
        build_lake(home)
        for step in reshape:
            step(home)
        project = copy_project(root / "dbt_project")
        dbt_meta.prepare_build(BATCH_DATE, project)
        yield run_dbt("build", home, project, root / "target", *extra)


@pytest.fixture(scope="module")
def drifted_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtBuild]:
    yield from _build(tmp_path_factory.mktemp("drifted"), drift_lake)


GAP_REASONS = {
    ("protected", "customers", "email_masked"): "protected: customers.email is not in the batch"
    " (no catalog entry): no email_masked (read as null)",
    ("restricted", "customers", "email"): "restricted: customers.email is not in the batch"
    " (no catalog entry): no email (read as null)",
}


def test_a_batch_classified_unlike_the_demo_builds(drifted_build: DbtBuild) -> None:
    failed = {uid: s for uid, s in drifted_build.statuses.items() if s not in ("success", "pass")}
    assert drifted_build.success and not failed, failed
    assert "model.crmguard.staging_column_gaps" in drifted_build.statuses


def test_each_missing_expected_column_is_a_gap_naming_the_catalog_entry(
    drifted_build: DbtBuild,
) -> None:
    rows = _rows(
        drifted_build,
        "select layer, source_name, column_name, reason from marts.staging_column_gaps",
    )
    # content_template changed class (clear, not scrubbed) but keeps its name: not a gap
    assert {(r[0], r[1], r[2]): r[3] for r in rows} == GAP_REASONS


def test_gaps_are_data_02_findings_on_the_source_column(drifted_build: DbtBuild) -> None:
    rows = _rows(
        drifted_build,
        "select subject, evidence from marts.compliance_findings where rule_id = 'DATA-02'",
    )
    findings = dict(rows)
    email = findings["customers.email"]
    assert email.startswith("entity=none; tier=none")
    for reason in GAP_REASONS.values():
        assert reason in email
    # approved_by left clear is classified (NONE, C3): no mart expects its masked form, no finding
    assert "campaigns.approved_by" not in findings
    # a column that is gone is not collected: no DATA-01 finding for it
    data_01 = {r[0] for r in _rows(drifted_build, "select subject from marts.column_review"
                                   " where violates_data_01")}  # fmt: skip
    assert "customers.email" not in data_01


def test_staging_reads_a_gap_as_null_and_passes_every_column_the_layer_holds(
    drifted_build: DbtBuild,
) -> None:
    columns = _columns(drifted_build, "stg_protected__customers")
    # the expected columns keep their declared types; the new C1 column arrives in its forms
    assert columns["email_masked"] == "VARCHAR"
    assert {"bank_card_no_token", "bank_card_no_mask"} <= set(columns)
    assert "bank_card_no" not in columns
    assert _rows(
        drifted_build,
        "select count(email_masked), count(bank_card_no_token),"
        " max(bank_card_no_mask) from staging.stg_protected__customers",
    ) == [(0, 1, "622202******1234")]
    campaigns = _rows(
        drifted_build,
        "select campaign_id, approved_by, content_template"
        " from staging.stg_protected__campaigns order by 1",
    )
    # the employee number arrives in the form the classifier chose; no approved_by_masked
    assert campaigns[0] == ("CP1", "E101", "TPL-CP1")
    assert "approved_by_masked" not in _columns(drifted_build, "stg_protected__campaigns")


def test_a_new_sensitive_column_reaches_cons_03(drifted_build: DbtBuild) -> None:
    """CONS-03 judges customers' columns by entity: the new BANK_CARD column counts."""
    rows = _rows(
        drifted_build,
        "select subject, sensitive_columns_present from marts.customer_consent_review"
        f" where subject = '{T1}'",
    )
    assert "bank_card_no" in rows[0][1]


def test_the_demo_classification_leaves_no_gap(duckdb_build: DbtBuild) -> None:
    assert duckdb_build.success
    con = duckdb.connect(str(duckdb_build.home / "warehouse" / "crm.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from marts.staging_column_gaps").fetchone() == (0,)
    finally:
        con.close()


def test_every_column_the_marts_read_is_declared_in_staging(tmp_path: Path) -> None:
    """Partitions holding only the pipeline's columns still bind: a mart reading a staging
    column its model does not declare in `expects` would fail here with a Binder Error."""
    # seeds and models only: with no rows, a data test would prove nothing here
    build = next(
        _build(tmp_path, strip_lake, extra=("--exclude-resource-type", "test", "unit_test"))
    )
    failed = {uid: s for uid, s in build.statuses.items() if s != "success"}
    assert build.success and not failed, failed
    expected = sum(
        1
        for node in build.manifest["nodes"].values()
        if node["name"].startswith(("stg_protected__", "stg_restricted__"))
        # the pipeline's own tables (quarantined keys, access log) are not stripped
        and node["name"]
        not in {f"stg_restricted__{t}" for t in dbt_meta.PIPELINE_TABLES["restricted"]}
        for entry in node["config"]["meta"]["expects"]
        if not entry.startswith(("_batch_date ", "_key_version "))  # strip_lake keeps these
    )
    (gaps,) = _rows(build, "select count(*) from marts.staging_column_gaps")[0]
    assert gaps == expected > 100


@pytest.mark.spark
def test_the_drifted_batch_builds_on_spark_with_the_same_gaps(tmp_path: Path) -> None:
    """The Spark target (dbt-spark session) on the drifted lake: every model and unit test
    builds, typed nulls included, and the gaps and their DATA-02 findings equal DuckDB's."""
    build = next(
        _build(
            tmp_path,
            drift_lake,
            # data tests judge data, which the DuckDB build checks
            extra=("--target", "spark", "--exclude-resource-type", "test"),
        )
    )
    failed = {uid: s for uid, s in build.statuses.items() if s not in ("success", "pass")}
    assert build.success and not failed, failed
    assert any(uid.startswith("unit_test.") for uid in build.statuses)
    tables = build.home / ".spark" / "spark-warehouse" / "marts.db"
    con = duckdb.connect()
    gaps = con.execute(
        "select layer, source_name, column_name, reason from read_parquet(?)",
        [f"{tables}/staging_column_gaps/*.parquet"],
    ).fetchall()
    assert {(r[0], r[1], r[2]): r[3] for r in gaps} == GAP_REASONS
    findings = dict(
        con.execute(
            "select subject, evidence from read_parquet(?) where rule_id = 'DATA-02'",
            [f"{tables}/compliance_findings/*.parquet"],
        ).fetchall()
    )
    for reason in GAP_REASONS.values():
        assert reason in findings["customers.email"]
