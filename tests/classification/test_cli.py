"""``crmguard classify PATH --policy --out`` through the real console entry point."""

from __future__ import annotations

import json
from pathlib import Path

from crmguard.cli import main

EVAL = Path(__file__).parent / "eval"


def test_cli_writes_catalog_for_csv_and_names_table_by_stem(tmp_path: Path) -> None:
    out = tmp_path / "catalog.json"
    rc = main(["classify", str(EVAL / "eval_orders.csv"), "--policy", "jrt0171", "--out", str(out)])
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert rc == 0 and doc["profile"] == "jrt0171"
    assert doc["tables"]["eval_orders"]["tyshxydm"]["entity"] == "CN_USCC"


def test_cli_missing_path_is_a_clear_error(tmp_path: Path, capsys) -> None:
    rc = main(["classify", str(tmp_path / "nope.parquet")])
    assert rc == 2 and "nope.parquet: no such file" in capsys.readouterr().err
