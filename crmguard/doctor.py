"""``crmguard doctor``: what a landing batch holds that the organisation's configuration does not
cover (member tiers, promo codes, storage regions, columns without a declared purpose, calendar
years), listed once per value before any finding is computed.

The batch is read as the pipeline reads it: from its raw partitions when it was ingested already,
otherwise ingested into a throwaway private data root (the real ingest, so decoding, header
aliases and casts are the pipeline's own, and nothing is written to the user's lake).
Value scans are DuckDB aggregates over the raw Parquet (one row per distinct value); only the
distinct values meet the configuration in Python.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from crmguard.config import (
    compliance_rules,
    field_purposes,
    landing_contract,
    organisation,
    working_calendar,
)
from crmguard.paths import layout

# raw partitions are read as files: the batch_date= folder is not a column of the source
_READ = "read_parquet(?::varchar[], hive_partitioning = false)"


@dataclass(frozen=True)
class ConfigGap:
    """One value (or column) of the batch that the configuration does not know."""

    kind: str  # member_tier | promo_code | storage_region | field_purpose | calendar_year
    value: str
    where: str  # source.column(s) holding it
    records: int  # records of the batch that carry it
    fix: str  # which configuration file and key to extend


def comparable(value: str) -> str:
    """Codes and names as the rules compare them: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _raw_glob(home_raw: Path, source: str, batch_date: str) -> Path:
    return home_raw / source / f"batch_date={batch_date}"


def _distinct(
    con: duckdb.DuckDBPyConnection, partition: Path, column: str
) -> list[tuple[str, int]]:
    """(value, records) of one raw column, blanks left out; [] when the column is absent."""
    files = sorted(str(p) for p in partition.glob("*.parquet"))
    if not files:
        return []
    names = {
        row[0]
        for row in con.execute("select name from parquet_schema(?::varchar[])", [files]).fetchall()
    }
    if column not in names:
        return []
    quoted = '"' + column.replace('"', '""') + '"'
    return con.execute(
        f"select cast({quoted} as varchar) as v, count(*) from {_READ} "
        f"where nullif(trim(cast({quoted} as varchar)), '') is not null group by v order by v",
        [files],
    ).fetchall()


def _columns(con: duckdb.DuckDBPyConnection, partition: Path) -> list[str]:
    files = sorted(str(p) for p in partition.glob("*.parquet"))
    if not files:
        return []
    rows = con.execute(
        f"select column_name from (describe select * from {_READ})",
        [files],
    ).fetchall()
    return [r[0] for r in rows if not r[0].startswith("_")]


def _unknown_values(
    con: duckdb.DuckDBPyConnection,
    raw: Path,
    batch_date: str,
    columns: list[tuple[str, str]],
    known: set[str],
    kind: str,
    fix: str,
) -> list[ConfigGap]:
    """Values of (source, column) pairs whose comparable form is not in ``known``."""
    seen: dict[str, tuple[str, set[str], int]] = {}
    for source, column in columns:
        for value, records in _distinct(con, _raw_glob(raw, source, batch_date), column):
            key = comparable(value)
            if key in known:
                continue
            first, where, total = seen.get(key, (value, set(), 0))
            seen[key] = (first, where | {f"{source}.{column}"}, total + records)
    return [
        ConfigGap(kind, value, ", ".join(sorted(where)), records, fix)
        for value, where, records in (seen[k] for k in sorted(seen))
    ]


def config_gaps(batch_date: str, raw: Path | None = None) -> list[ConfigGap]:
    """Every gap between the batch in ``raw`` (default: this data root's raw zone) and config."""
    raw = raw or layout().raw
    contract = landing_contract()
    mkt03 = compliance_rules().params("MKT-03")
    org = organisation()
    gaps: list[ConfigGap] = []
    con = duckdb.connect()
    try:
        tier_columns = [
            (s, c) for s, sc in contract.sources.items() for c in sc.columns if "member_tier" in c
        ]
        gaps += _unknown_values(
            con, raw, batch_date, tier_columns,
            {comparable(t) for t in getattr(mkt03, "member_tier_factors", {})},
            "member_tier",
            "config/rules.yaml: parameters.MKT-03.member_tier_factors",
        )  # fmt: skip
        gaps += _unknown_values(
            con, raw, batch_date, [("orders", "promo_code")],
            {comparable(c) for c in getattr(mkt03, "promo_code_factors", {})},
            "promo_code",
            "config/rules.yaml: parameters.MKT-03.promo_code_factors",
        )  # fmt: skip
        region_columns = [
            (s, "storage_region") for s, sc in contract.sources.items()
            if "storage_region" in sc.columns
        ]  # fmt: skip
        gaps += _unknown_values(
            con, raw, batch_date, region_columns,
            {comparable(r) for r in (*org.mainland_regions, *org.foreign_regions)},
            "storage_region",
            "config/organisation.yaml: mainland_regions (mainland) or foreign_regions (abroad)",
        )  # fmt: skip
        purposes = field_purposes()
        for source in contract.sources:
            declared = purposes.sources.get(source, {})
            partition = _raw_glob(raw, source, batch_date)
            for column in _columns(con, partition):
                if column not in declared:
                    files = [str(p) for p in partition.glob("*.parquet")]
                    (records,) = con.execute(
                        f"select count(*) from {_READ}",
                        [files],
                    ).fetchone()
                    gaps.append(
                        ConfigGap(
                            "field_purpose",
                            column,
                            f"{source}.{column}",
                            int(records),
                            f"config/field_purposes.yaml: sources.{source}.{column} "
                            "(an empty list declares no purpose: DATA-01 keeps it out of marts)",
                        )
                    )
        calendar = working_calendar()
        years = {int(batch_date[:4])}
        for value, _ in _distinct(con, _raw_glob(raw, "dsr_requests", batch_date), "received_at"):
            years.add(int(value[:4]))
        for year in sorted(years - set(calendar.covered_years)):
            gaps.append(
                ConfigGap(
                    "calendar_year",
                    str(year),
                    "batch date, dsr_requests.received_at",
                    0,
                    "config/calendar.yaml: covered_years, holidays, makeup_workdays "
                    "(the State Council notice for that year)",
                )
            )
    finally:
        con.close()
    return gaps


@contextmanager
def _ingested(landing: Path, batch_date: str) -> Iterator[Path]:
    """The raw zone holding the batch: this data root's, or a throwaway private one."""
    from crmguard.ingest.batch import discover_batch, ingest_file

    existing = layout().raw
    sources = landing_contract().sources
    if any(_raw_glob(existing, s, batch_date).is_dir() for s in sources):
        yield existing
        return
    scratch = Path(tempfile.mkdtemp(prefix="crmguard-doctor-"))
    os.chmod(scratch, 0o700)
    old = os.environ.get("CRMGUARD_HOME")
    os.environ["CRMGUARD_HOME"] = str(scratch)
    try:
        for found in discover_batch(str(landing), batch_date):
            ingest_file(str(landing), batch_date, found["file"])
        yield layout().raw
    finally:
        if old is None:
            os.environ.pop("CRMGUARD_HOME", None)
        else:
            os.environ["CRMGUARD_HOME"] = old
        shutil.rmtree(scratch, ignore_errors=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor", help="list what a batch holds that the configuration does not cover"
    )
    parser.add_argument("--landing", required=True, help="landing root (holds <batch_date>/)")
    parser.add_argument("--batch-date", required=True, help="YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print the gaps as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with _ingested(Path(args.landing), args.batch_date) as raw:
        gaps = config_gaps(args.batch_date, raw)
    if args.json:
        print(json.dumps([asdict(g) for g in gaps], ensure_ascii=False, indent=2))
    elif not gaps:
        print(f"batch {args.batch_date}: the configuration covers every value the rules read")
    else:
        print(f"batch {args.batch_date}: {len(gaps)} value(s) the configuration does not cover")
        for g in gaps:
            print(f"- {g.kind} {g.value!r} in {g.where} ({g.records} records): add to {g.fix}")
    return 1 if gaps else 0
