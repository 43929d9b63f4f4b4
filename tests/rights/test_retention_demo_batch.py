"""Retention on the generated demo batch (ingested to raw): as of six years after the batch
date, per source, exactly the rows older than the maximum go (counted independently), rows of a
held source stay, and nothing inside a minimum goes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from crmguard import key_store
from crmguard.cli import main
from crmguard.ingest import discover_batch, ingest_file, record_batch
from crmguard.paths import layout
from crmguard.rights import retention
from crmguard.rights.policy import LegalHold, rights_policy, years_before


def _raw_count(source: str, batch: str, where: str = "true") -> int:
    folder = layout().raw_partition(source, batch)
    con = duckdb.connect()
    try:
        return con.execute(
            f"select count(*) from read_parquet('{folder}/*.parquet') where {where}"
        ).fetchall()[0][0]
    finally:
        con.close()


def test_purge_demo_batch_six_years_later(crmguard_home: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    out = tmp_path / "landing"
    assert main(["generate", "--out", str(out), "--customers", "300", "--seed", "7"]) == 0
    (batch_dir,) = [p for p in out.iterdir() if p.is_dir()]
    batch = batch_dir.name
    results = [ingest_file(str(out), batch, f["file"]) for f in discover_batch(str(out), batch)]
    record_batch(batch, results)

    policy = rights_policy().retention
    as_of = dt.date.fromisoformat(batch).replace(year=int(batch[:4]) + 6)
    held = policy.model_copy(
        update={"legal_holds": [LegalHold(case_id="CASE-1", reason="audit", source="contracts")]}
    )
    expected, inside = {}, {}
    for source, rule in policy.sources.items():
        cutoff = years_before(as_of, rule.max_years).isoformat()
        floor = years_before(as_of, rule.minimum_years()).isoformat()
        expected[source] = _raw_count(source, batch, f"{rule.date_column} < '{cutoff}'")
        inside[source] = _raw_count(source, batch, f"{rule.date_column} >= '{floor}'")
    before = {s: _raw_count(s, batch) for s in policy.sources}
    assert expected["marketing_messages"] > 0 and expected["orders"] > 0

    report = retention.purge(as_of, apply=True, policy=held)
    for source in policy.sources:
        got = report["sources"][source]
        if source == "contracts":
            assert got["purged"] == 0 and got["held"] == expected[source]
            assert _raw_count(source, batch) == before[source]
        else:
            assert got["purged"] == expected[source], source
            assert _raw_count(source, batch) == before[source] - expected[source], source
        assert got["inside_minimum"] == inside[source]
        # whatever is inside the minimum is still there
        rule = policy.sources[source]
        floor = years_before(as_of, rule.minimum_years()).isoformat()
        assert _raw_count(source, batch, f"{rule.date_column} >= '{floor}'") == inside[source]
    assert _raw_count("customers", batch) > 0  # no retention rule: untouched
