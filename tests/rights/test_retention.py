"""Retention purge of the hand-made batch: a dry run removes nothing; as of six years later the
rows past their maximum go, held rows (by customer, by source) stay, counted per source; a row
inside its minimum never goes; the purge certificate verifies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from crmguard import key_store
from crmguard.paths import layout
from crmguard.rights import certificate, retention
from crmguard.rights.policy import LegalHold, rights_policy
from tests.rights.lake_fixture import BATCH, CONTRACTS, MESSAGES, ORDERS

SIX_YEARS_LATER = dt.date(2032, 11, 20)


def _count(zone: str, source: str, where: str = "true") -> int:
    folder = getattr(layout(), f"{zone}_partition")(source, BATCH)
    con = duckdb.connect()
    try:
        return con.execute(
            f"select count(*) from read_parquet('{folder}/*.parquet') where {where}"
        ).fetchall()[0][0]
    finally:
        con.close()


def _policy(*holds: LegalHold):
    base = rights_policy().retention
    return base.model_copy(update={"legal_holds": list(holds)})


def test_dry_run_removes_nothing(lake: Path) -> None:
    before = {p: p.read_bytes() for p in layout().lake.rglob("*.parquet")}
    report = retention.purge(SIX_YEARS_LATER, apply=False, policy=_policy())
    assert report["sources"]["orders"]["purged"] == len(ORDERS)
    would = {loc["location"]: loc["rows_would_go"] for loc in report["locations"]}
    assert would[f"protected/orders/batch_date={BATCH}"] == len(ORDERS)
    assert {p: p.read_bytes() for p in layout().lake.rglob("*.parquet")} == before


def test_purge_six_years_later_keeps_held(lake: Path) -> None:
    c002 = key_store.token_for("C002", "CUSTOMER_ID")
    holds = (
        LegalHold(case_id="CASE-7", reason="litigation", customer_token=c002),
        LegalHold(case_id="CASE-9", reason="regulator inquiry", source="contracts"),
    )
    report = retention.purge(SIX_YEARS_LATER, apply=True, policy=_policy(*holds))
    sources = report["sources"]
    # orders: max 5 years, all past it; C002's O3 held by CASE-7
    assert (sources["orders"]["purged"], sources["orders"]["held"]) == (len(ORDERS) - 1, 1)
    assert _count("raw", "orders") == _count("restricted", "orders") == 1
    assert _count("protected", "orders", "order_id = 'O3'") == _count("protected", "orders") == 1
    # messages: C002's M3 held, the rest go
    assert sources["marketing_messages"]["purged"] == len(MESSAGES) - 1
    assert _count("raw", "marketing_messages", "message_id = 'M3'") == 1
    # contracts: the whole source is held
    assert sources["contracts"]["held"] == len(CONTRACTS) and sources["contracts"]["purged"] == 0
    assert _count("raw", "contracts") == _count("protected", "contracts") == len(CONTRACTS)
    # customers have no retention rule here: untouched
    assert _count("raw", "customers") == 3
    cert = Path(report["certificate"])
    assert certificate.verify(cert) == []


def test_never_inside_a_minimum(lake: Path) -> None:
    # as of the batch date, a 2024 order is inside the 3-year minimum and the 5-year maximum
    report = retention.purge(dt.date.fromisoformat(BATCH), apply=True, policy=_policy())
    orders = report["sources"]["orders"]
    assert orders["purged"] == 1  # only O1 (2019-05-01) is older than five years
    assert _count("raw", "orders", "order_id = 'O1'") == 0
    assert _count("raw", "orders") == len(ORDERS) - 1
    # a maximum inside the minimum is refused when the policy loads
    with pytest.raises(ValueError, match="inside the minimum"):
        type(rights_policy().retention).model_validate(
            {
                "sources": {
                    "orders": {
                        "date_column": "ordered_at",
                        "purpose": "service",
                        "min_years": 5,
                        "max_years": 3,
                        "law": {"zh": "x", "en": "x"},
                    }
                },
                "legal_holds": [],
            }
        )
