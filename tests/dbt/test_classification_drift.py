"""Classification drift between batches: recorded in the governance schema, logged and listed in
the auditor's report (real DuckDB over the fixture lake; no dbt run)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import duckdb
import pytest
from lake_fixture import BATCH_DATE, build_lake, drift_lake

from classification.catalog import record_history
from crmguard.classification_drift import record_drift
from crmguard.report.build import build_report
from crmguard.stage_contracts import Catalog

PREVIOUS = "2026-03-14"

EXPECTED = {
    ("campaigns", "approved_by"): "entity PERSON_NAME -> NONE; tier C2 -> C3; protection"
    " restricted_generalise -> pass; protected form generalised -> clear",
    ("campaigns", "content_template"): "entity FREE_TEXT_PII -> NONE; tier C2 -> C3;"
    " protected form scrubbed -> clear; restricted form scrubbed -> clear",
    ("customers", "bank_card_no"): "new column: BANK_CARD/C1/vault_token_mask",
    ("customers", "email"): "no longer in the batch (was EMAIL/C2/restricted_generalise)",
}


def _record_catalog(home: Path, batch_date: str) -> None:
    """The classify task's history rows for the catalog the fixture wrote."""
    doc = json.loads((home / "lake/catalog/catalog.json").read_text(encoding="utf-8"))
    doc.update(batch_date=batch_date, policy_sha256="fixture", generated_at=dt.datetime.now(dt.UTC))
    for columns in doc["tables"].values():
        for entry in columns.values():
            entry.update(match_ratio=None, source="fixture", new=False)
    record_history(Catalog.model_validate(doc))


@pytest.fixture
def two_batches(crmguard_home: Path) -> Path:
    build_lake(crmguard_home, PREVIOUS)
    _record_catalog(crmguard_home, PREVIOUS)
    build_lake(crmguard_home, BATCH_DATE)
    drift_lake(crmguard_home, BATCH_DATE)
    _record_catalog(crmguard_home, BATCH_DATE)
    return crmguard_home


def _stored(home: Path) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse/crm.duckdb"), read_only=True)
    try:
        return con.execute(
            "select batch_date::varchar, previous_batch_date::varchar, source_name, column_name,"
            " change from governance.classification_drift order by all"
        ).fetchall()
    finally:
        con.close()


def test_changed_new_and_gone_columns_are_drift_events(
    two_batches: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="crmguard.classification_drift"):
        drift = record_drift(BATCH_DATE)
    assert {(d["source_name"], d["column_name"]): d["change"] for d in drift} == EXPECTED
    approved_by = next(d for d in drift if d["column_name"] == "approved_by")
    assert (approved_by["previous_protected_form"], approved_by["protected_form"]) == (
        "generalised",
        "clear",
    )
    lines = [r.getMessage() for r in caplog.records if "classification drift" in r.getMessage()]
    assert len(lines) == 4
    assert f"batch {BATCH_DATE} since {PREVIOUS}: campaigns.approved_by entity" in lines[0]


def test_recording_is_idempotent_per_batch_and_the_first_batch_has_none(
    two_batches: Path,
) -> None:
    assert record_drift(PREVIOUS) == []
    record_drift(BATCH_DATE)
    record_drift(BATCH_DATE)
    stored = _stored(two_batches)
    assert len(stored) == 4
    assert {r[:2] for r in stored} == {(BATCH_DATE, PREVIOUS)}


def test_an_unchanged_batch_records_nothing(crmguard_home: Path) -> None:
    for batch_date in (PREVIOUS, BATCH_DATE):
        build_lake(crmguard_home, batch_date)
        _record_catalog(crmguard_home, batch_date)
    assert record_drift(BATCH_DATE) == []


def test_a_form_change_alone_is_drift(two_batches: Path) -> None:
    """Same catalog entry, another protective form (the protect stage decided otherwise)."""
    path = two_batches / f"lake/protected/orders/batch_date={BATCH_DATE}/_protection.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["columns"]["promo_code"].update(form="dropped", outputs=[])
    path.write_text(json.dumps(manifest), encoding="utf-8")
    drift = {(d["source_name"], d["column_name"]): d["change"] for d in record_drift(BATCH_DATE)}
    assert drift[("orders", "promo_code")] == "protected form clear -> dropped"


def test_the_report_lists_the_drift(two_batches: Path) -> None:
    record_drift(BATCH_DATE)
    html = build_report(BATCH_DATE).read_text(encoding="utf-8")
    section = html.split('<section id="classification-drift">', 1)[1].split("</section>", 1)[0]
    for (source, column), change in EXPECTED.items():
        assert f"<td>{source}.{column}</td><td>{PREVIOUS}</td>" in section
        assert change.replace("->", "-&gt;") in section
