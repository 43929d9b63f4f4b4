"""Write-audit-publish: a failed validation leaves the published files byte-identical and is
logged; a clean build is copied into marts.duckdb / restricted.duckdb and logged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from crmguard.paths import layout
from crmguard.publish import PublishBlocked, publish
from expectations.validate import validate_build
from tests.expectations.conftest import build  # noqa: F401 (shared fixture)
from tests.expectations.warehouse_fixture import BATCH_DATE, RAW_MOBILE, T1, sql

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("build")]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _publish_log() -> list[tuple]:
    con = duckdb.connect(str(layout().warehouse_db), read_only=True)
    try:
        return con.execute(
            "select run_id, batch_date::varchar, published, catalog_sha256, policy_sha256,"
            " rules_sha256, gx_result_ids, failed_expectations, marts_path"
            " from governance.publish_log order by attempted_at"
        ).fetchall()
    finally:
        con.close()


def _tables(path: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select table_schema, table_name from information_schema.tables order by 1, 2"
        ).fetchall()
    finally:
        con.close()


def test_clean_build_publishes_marts_and_restricted_marts() -> None:
    validation = validate_build(BATCH_DATE, "run-publish")
    outcome = publish(BATCH_DATE, "run-publish", validation)
    lay = layout()
    assert outcome["published"] and "customer_360" in outcome["marts"]
    marts = _tables(lay.marts_db)
    assert ("main", "customer_360") in marts and ("main", "compliance_findings") in marts
    assert {schema for schema, _ in marts} == {"main"}
    assert _tables(lay.restricted_db) == [("main", "restricted_customer_financials")]
    con = duckdb.connect(str(lay.marts_db), read_only=True)
    try:
        # opened as marts.duckdb: `marts.<table>` (catalog.table) and the bare name both work
        assert con.execute("select count(*) from marts.customer_360").fetchone()[0] == 3
        assert con.execute("select count(*) from customer_360").fetchone()[0] == 3
    finally:
        con.close()
    assert lay.marts_db.stat().st_mode & 0o777 == 0o644
    assert lay.restricted_db.stat().st_mode & 0o777 == 0o600
    assert not list(lay.warehouse.glob(".*.tmp"))
    (row,) = _publish_log()
    run_id, day, published, catalog_sha, policy_sha, rules_sha, ids, failed, marts_path = row
    assert (run_id, day, published, marts_path) == (
        "run-publish",
        BATCH_DATE,
        True,
        str(lay.marts_db),
    )
    assert catalog_sha == _sha256(lay.catalog)
    assert len(policy_sha) == 64 and len(rules_sha) == 64
    assert json.loads(ids) == validation["gx_result_ids"] and json.loads(failed) == []


def test_failed_validation_leaves_published_files_byte_identical() -> None:
    lay = layout()
    publish(BATCH_DATE, "run-first", validate_build(BATCH_DATE, "run-first"))
    before = {p: _sha256(p) for p in (lay.marts_db, lay.restricted_db)}
    sql(f"update marts.customer_360 set note = '手机 {RAW_MOBILE}' where customer_token = '{T1}'")
    sql("delete from marts.compliance_findings where rule_id = 'MKT-02'")
    validation = validate_build(BATCH_DATE, "run-bad")
    with pytest.raises(PublishBlocked) as blocked:
        publish(BATCH_DATE, "run-bad", validation)
    message = str(blocked.value)
    assert "no_raw_c1:marts.customer_360.note: 1 unexpected" in message
    assert "findings:every_violation_has_finding: 1 unexpected" in message
    assert {p: _sha256(p) for p in before} == before
    first, second = _publish_log()
    assert first[2] is True and second[2] is False and second[8] is None
    assert {f["expectation"] for f in json.loads(second[7])} == {
        "no_raw_c1:marts.customer_360.note",
        "findings:every_violation_has_finding",
    }


def test_build_changed_after_validation_is_not_published() -> None:
    validation = validate_build(BATCH_DATE, "run-stale")
    sql("insert into marts.marketing_message_log values ('M9', null, 'sms', null, false)")
    with pytest.raises(PublishBlocked, match="build_unchanged_since_validation"):
        publish(BATCH_DATE, "run-stale", validation)
    assert not layout().marts_db.exists()


def test_validation_of_another_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="not 2026-11-21"):
        publish("2026-11-21", "run-x", {"batch_date": BATCH_DATE, "blocking_failed": []})
