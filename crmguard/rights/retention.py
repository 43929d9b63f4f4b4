"""Retention: rows past their source's maximum retention and not under a legal hold are purged
from raw, restricted, protected and quarantine; never a row inside its minimum.

``config/rights.yaml`` gives each source the date its retention runs from, a minimum (legal or
policy floor) and a maximum, with the law. A row goes when its date is before ``as_of`` minus
the maximum (the maximum is never below the minimum, checked when the policy loads), unless a
legal hold names its source or its customer (token). Raw rows are judged on the clear date; the
restricted rows they became are found by lineage (``_source_file``/``_source_line``) and the
protected rows by the source key; quarantined lines by their batch date. ``crmguard retention
purge --as-of D`` reports what would go (dry run); ``--apply`` purges and writes a signed
certificate like the deletion one. Vault rows are per customer, not per source row: they go
with the customer's erasure (crypto-shred), never by age.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import duckdb

from crmguard.config import landing_contract
from crmguard.rights import certificate
from crmguard.rights.erasure import rewrite_partition
from crmguard.rights.layers import Partition, columns_of, partitions
from crmguard.rights.locate import files_sql
from crmguard.rights.policy import RetentionPolicy, rights_policy, years_before


def _ts(day: dt.date) -> str:
    return f"timestamptz '{day.isoformat()} 00:00:00+00'"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PurgePlan:
    """The rows a purge as of ``as_of`` removes, as temp tables of one DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, policy: RetentionPolicy, as_of: dt.date):
        self.con, self.policy, self.as_of = con, policy, as_of
        holds = [h for h in policy.legal_holds if h.active(as_of)]
        self.held_sources = {h.source for h in holds if h.source and not h.customer_token}
        con.execute("create or replace temp table held_tokens (source varchar, token varchar)")
        for hold in holds:
            if hold.customer_token:
                con.execute(
                    "insert into held_tokens values (?, ?)", [hold.source, hold.customer_token]
                )
        con.execute(
            "create or replace temp table purged_lineage "
            "(source varchar, batch_date varchar, f varchar, line bigint)"
        )
        con.execute(
            "create or replace temp table held_lineage "
            "(source varchar, batch_date varchar, f varchar, line bigint)"
        )
        con.execute(
            "create or replace temp table purged_keys "
            "(source varchar, batch_date varchar, k varchar)"
        )
        self.summary: dict[str, dict] = {}
        for source, rule in policy.sources.items():
            self.summary[source] = {
                "date_column": rule.date_column,
                "purpose": rule.purpose,
                "minimum_years": rule.minimum_years(),
                "maximum_years": rule.max_years,
                "law": rule.law.en,
                "purge_before": years_before(as_of, rule.max_years).isoformat(),
                "rows": 0,
                "past_maximum": 0,
                "held": 0,
                "inside_minimum": 0,
                "purged": 0,
                "held_by": sorted({h.case_id for h in holds if h.source in (None, source)}),
            }
        self._plan_raw()

    def _plan_raw(self) -> None:
        con = self.con
        for part in partitions("restricted"):
            cols = columns_of(con, part)
            if {"customer_token", "_source_file", "_source_line"} <= set(cols):
                con.execute(
                    f"insert into held_lineage select {_lit(part.source)}, "
                    f"{_lit(part.batch_date)}, _source_file, _source_line "
                    f"from read_parquet({files_sql(part)}) r where exists (select 1 from "
                    "held_tokens h where h.token = r.customer_token and (h.source is null "
                    f"or h.source = {_lit(part.source)}))"
                )
        for part in partitions("raw"):
            rule = self.policy.sources.get(part.source)
            if rule is None:
                continue
            cols = columns_of(con, part)
            if rule.date_column not in cols:
                raise ValueError(f"{part.label}: retention date column {rule.date_column} missing")
            info = self.summary[part.source]
            date = f'"{rule.date_column}"'
            past = f"{date} < {_ts(years_before(self.as_of, rule.max_years))}"
            inside = f"{date} >= {_ts(years_before(self.as_of, info['minimum_years']))}"
            held = (
                "true"
                if part.source in self.held_sources
                else (
                    "exists (select 1 from held_lineage l where l.source = "
                    f"{_lit(part.source)} and l.batch_date = {_lit(part.batch_date)} "
                    "and l.f = _source_file and l.line = _source_line)"
                )
            )
            rows, n_past, n_held, n_inside = con.execute(
                f"select count(*), count(*) filter (where {past}), "
                f"count(*) filter (where {past} and {held}), count(*) filter (where {inside}) "
                f"from read_parquet({files_sql(part)})"
            ).fetchall()[0]
            info["rows"] += rows
            info["past_maximum"] += n_past
            info["held"] += n_held
            info["inside_minimum"] += n_inside
            info["purged"] += n_past - n_held
            con.execute(
                f"insert into purged_lineage select {_lit(part.source)}, "
                f"{_lit(part.batch_date)}, _source_file, _source_line "
                f"from read_parquet({files_sql(part)}) where {past} and not {held}"
            )
            key = landing_contract().sources[part.source].key
            if key in cols:
                con.execute(
                    f"insert into purged_keys select {_lit(part.source)}, {_lit(part.batch_date)}, "
                    f'cast("{key}" as varchar) from read_parquet({files_sql(part)}) '
                    f"where {past} and not {held}"
                )

    def predicate(self, part: Partition) -> str | None:
        """SQL of the rows of ``part`` the purge removes (None: nothing to judge here)."""
        rule = self.policy.sources.get(part.source)
        if rule is None:
            return None
        cols = columns_of(self.con, part)
        scope = f"l.source = {_lit(part.source)} and l.batch_date = {_lit(part.batch_date)}"
        if part.zone in ("raw", "restricted") and {"_source_file", "_source_line"} <= set(cols):
            return (
                f"exists (select 1 from purged_lineage l where {scope} "
                "and l.f = _source_file and l.line = _source_line)"
            )
        key = landing_contract().sources[part.source].key
        if part.zone == "protected" and key in cols:
            return f'cast("{key}" as varchar) in (select l.k from purged_keys l where {scope})'
        if part.zone == "quarantine" and "batch_date" in cols:
            if part.source in self.held_sources:
                return None
            return f"batch_date < date '{years_before(self.as_of, rule.max_years).isoformat()}'"
        return None


def purge(as_of: dt.date, apply: bool = False, policy: RetentionPolicy | None = None) -> dict:
    """What a purge as of ``as_of`` removes per source and location; with ``apply`` it is
    carried out and certified (the report then names the certificate)."""
    policy = policy or rights_policy().retention
    con = duckdb.connect()
    try:
        plan = PurgePlan(con, policy, as_of)
        locations = []
        for zone in ("raw", "restricted", "protected", "quarantine"):
            for part in partitions(zone):
                where = plan.predicate(part)
                if where is None:
                    continue
                if apply:
                    locations.append(rewrite_partition(con, part, where))
                else:
                    n = con.execute(
                        f"select count(*) from read_parquet({files_sql(part)}) "
                        f"where coalesce(({where}), false)"
                    ).fetchall()[0][0]
                    locations.append({"location": part.label, "rows_would_go": n})
    finally:
        con.close()
    report = {
        "kind": "retention_purge",
        "as_of": as_of.isoformat(),
        "applied": apply,
        "sources": plan.summary,
        "locations": locations,
        "not_purged_by_age": "vault rows (per customer: they go with the customer's erasure)",
        "law": "PIPL Art. 19 (retention no longer than the purpose needs), Art. 47 (deletion)",
    }
    if apply:
        report["certificate"] = str(certificate.write(report, f"retention_{as_of.isoformat()}"))
    return report


def _run(args: argparse.Namespace) -> int:
    try:
        report = purge(dt.date.fromisoformat(args.as_of), apply=args.apply)
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if not args.apply:
        print("dry run: nothing was removed (add --apply to purge)", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("retention", help="retention purge (PIPL Art. 19, 47)")
    sub = parser.add_subparsers(dest="retention_command", required=True)
    run = sub.add_parser("purge", help="report (default) or purge rows past their maximum")
    run.add_argument("--as-of", required=True, help="YYYY-MM-DD retention is judged at")
    run.add_argument("--apply", action="store_true", help="purge and write a certificate")
    run.set_defaults(func=_run)
