"""Ingestion of a generated batch agrees with the generator's manifest of planted rows."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from crmguard.cli import main
from crmguard.ingest import discover_batch, ingest_file, record_batch
from crmguard.paths import layout

pytest.importorskip("crmguard.demo_data.cli", reason="the demo generator is not built yet")


def test_generated_batch_matches_manifest(crmguard_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "landing"
    assert main(["generate", "--out", str(out), "--customers", "300", "--seed", "11"]) == 0
    (batch_dir,) = [p for p in out.iterdir() if p.is_dir()]
    batch_date = batch_dir.name
    manifest = json.loads((batch_dir / "expected.json").read_text(encoding="utf-8"))
    expected: dict[str, dict] = manifest["files"]

    results = [
        ingest_file(str(out), batch_date, f["file"]) for f in discover_batch(str(out), batch_date)
    ]
    record_batch(batch_date, results)
    got = {r["file"]: (r["rows_loaded"], r["rows_quarantined"]) for r in results}
    want = {
        name: (e["expected_loaded"], e["expected_quarantined"])
        for name, e in expected.items()
        if name in got
    }
    assert got == want
    assert set(expected) <= set(got)
    for r in results:  # the decision matches what the generator wrote
        written = expected[r["file"]]["encoding"]
        assert r["encoding"] == ("utf-8" if written == "utf-8-sig" else written), r["file"]
        assert ("BOM" in r["encoding_decision"]) == (written == "utf-8-sig"), r["file"]

    con = duckdb.connect()
    quarantined = {
        (file, line, kind)
        for file, line, kind in con.execute(
            f"select file, line, kind from read_parquet('{layout().quarantine}/*/*/*.parquet')"
        ).fetchall()
    }
    planted = [
        (row["file"], row["line"], kind)
        for kind, entry in manifest["bad_rows"].items()
        for row in entry["rows"]
    ]
    assert planted, "the generator planted no bad rows"
    missing = [p for p in planted if p not in quarantined]
    assert missing == []
    for kind, entry in manifest["bad_rows"].items():
        assert (
            sum(r.get("quarantine_by_kind", {}).get(kind, 0) for r in results) == entry["count"]
        ), kind

    # rows planted to be awkward but valid (embedded newline, full-width digits, \r\r\n,
    # Chinese comma or quote) are loaded, at the line the generator wrote them
    loaded = set(
        con.execute(
            f"select _source_file, _source_line from read_parquet('{layout().raw}/*/*/*.parquet', "
            "union_by_name = true)"
        ).fetchall()
    )
    tricky = [
        (row["file"], row["line"], kind)
        for kind in (
            "embedded_newline",
            "fullwidth_digits",
            "crcrlf_line_end",
            "chinese_comma_or_quote",
        )
        for row in manifest.get("tricky_valid", {}).get(kind, {}).get("rows", [])
    ]
    assert [t for t in tricky if t[:2] not in loaded] == []
