"""`crmguard doctor`: every value of a batch the configuration does not cover, listed once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crmguard.doctor import comparable, config_gaps
from crmguard.paths import layout

BATCH = "2026-11-20"


def _write(raw: Path, source: str, columns: dict[str, list]) -> None:
    part = raw / source / f"batch_date={BATCH}"
    part.mkdir(parents=True)
    n = len(next(iter(columns.values())))
    table = pa.table({**columns, "_source_file": [f"{source}.csv"] * n})
    pq.write_table(table, part / "part-0.parquet")


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    # known tier written full-width and upper-case is the configured one (NFKC, case-folded)
    _write(raw, "customers", {
        "customer_id": ["C1", "C2", "C3", "C4"],
        "member_tier": ["金卡会员", "黑钻会员", "黑钻会员 ", None],
        "storage_region": ["cn-north-1", "CN-EAST-2", "cn-nroth-1", "eu-central-1"],
        "wechat_openid": ["o1", "o2", "o3", "o4"],
    })  # fmt: skip
    _write(raw, "orders", {
        "order_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
        "member_tier_at_order": ["黑钻会员", "普通会员", "普通会员", "普通会员", None, "普通会员"],
        "promo_code": ["ＮＥＷ１０", "xmas99", "XMAS99", "", None, "vip5"],
    })  # fmt: skip
    _write(raw, "dsr_requests", {
        "request_id": ["R1"],
        "received_at": [dt.datetime(2031, 1, 5, tzinfo=dt.UTC)],
    })  # fmt: skip
    return raw


def test_each_unknown_value_is_listed_once_with_its_records(raw: Path) -> None:
    gaps = {(g.kind, comparable(g.value)): g for g in config_gaps(BATCH, raw)}
    tier = gaps.pop(("member_tier", "黑钻会员"))
    assert tier.records == 3  # two customers (one with a trailing space) and one order
    assert tier.where == "customers.member_tier, orders.member_tier_at_order"
    assert "MKT-03.member_tier_factors" in tier.fix
    promo = gaps.pop(("promo_code", "xmas99"))
    assert promo.records == 2 and promo.where == "orders.promo_code"
    region = gaps.pop(("storage_region", "cn-nroth-1"))
    assert region.records == 1 and "mainland_regions" in region.fix
    purpose = gaps.pop(("field_purpose", "wechat_openid"))
    assert purpose.where == "customers.wechat_openid" and purpose.records == 4
    year = gaps.pop(("calendar_year", "2031"))
    assert "calendar.yaml" in year.fix
    # the configured tier in full width, NEW10 in full width, VIP5 in lower case, the mainland
    # region in upper case and the known foreign region are covered: nothing else is listed
    assert gaps == {}


def test_a_covered_batch_has_no_gaps(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(raw, "orders", {
        "order_id": ["O1"], "member_tier_at_order": ["银卡会员"], "promo_code": ["FESTIVAL20"],
    })  # fmt: skip
    assert config_gaps(BATCH, raw) == []


def test_cli_on_a_generated_batch(crmguard_home: Path) -> None:
    """The real ingest feeds it (into a throwaway root: the user's lake stays empty); the demo
    configuration covers the demo batch, and an export with a new tier and code is named."""
    landing = crmguard_home / "landing"
    cli = [sys.executable, "-m", "crmguard.cli"]
    subprocess.run(
        [*cli, "generate", "--out", str(landing), "--customers", "60", "--seed", "3",
         "--batch-date", BATCH, "--violations", "none"],
        check=True, capture_output=True,
    )  # fmt: skip
    run = subprocess.run(
        [*cli, "doctor", "--landing", str(landing), "--batch-date", BATCH, "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout) == []
    assert not layout().raw.exists()

    # the export's first order gets a promo code the price table does not know (same encoding)
    orders = next((landing / BATCH).glob("orders.*"))
    data = orders.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    # the generator plants undecodable bytes: surrogateescape carries them through unchanged
    encoding = "utf-8" if bom or b"promo_code" in data.split(b"\n", 1)[0] else "gb18030"
    text = data[3 if bom else 0 :].decode(encoding, errors="surrogateescape")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    column = next(i for i, h in enumerate(rows[0]) if h in ("promo_code", "优惠码"))
    rows[1][column] = "XMAS99"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    orders.write_bytes(
        (b"\xef\xbb\xbf" if bom else b"")
        + out.getvalue().encode(encoding, errors="surrogateescape")
    )
    run = subprocess.run(
        [*cli, "doctor", "--landing", str(landing), "--batch-date", BATCH, "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    listed = {(g["kind"], g["value"]) for g in json.loads(run.stdout or "[]")}
    assert run.returncode == 1, run.stderr[-2000:]
    assert ("promo_code", "XMAS99") in listed
