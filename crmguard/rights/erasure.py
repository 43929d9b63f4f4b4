"""Erasure of one data subject across the layers, and the scan that proves it.

Per partition (raw, restricted, protected, quarantine, vault), DuckDB rewrites the partition
without the subject's rows into a sibling folder that is then swapped in by rename (a reader
sees the old or the new partition, never half of one); rows under a legal minimum retention
(``config/rights.yaml``: contracts, marketing logs, orders) stay, with the subject's id, token
and mask columns nulled, so they can no longer be linked to anyone (PIPL Art. 47 ¶2). The
subject's salt is crypto-shredded, mart rows are deleted (and the next build, made from the
cleaned lake, no longer has them). :func:`scan` then looks at every cell of every layer for the
subject's id, tokens and C1 values. A partition without the subject is left untouched, so
running an erasure twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import uuid
from pathlib import Path

import duckdb

from crmguard import key_store
from crmguard.evidence import sha256_hex
from crmguard.paths import layout
from crmguard.rights.layers import ZONES, Partition, decrypt_rows, partitions, vault_rows
from crmguard.rights.locate import Locator, Subject, files_sql
from crmguard.rights.policy import RetentionPolicy, years_before

UNLINK_SUFFIXES = ("_token", "_mask")


def partition_sha256(part: Partition) -> str:
    """SHA-256 over the partition's Parquet files (``sha256  name`` lines, as a manifest)."""
    lines = "".join(f"{sha256_hex(f.read_bytes())}  {f.name}\n" for f in part.files)
    return sha256_hex(lines.encode())


def rewrite_partition(
    con: duckdb.DuckDBPyConnection,
    part: Partition,
    delete_where: str,
    unlink_where: str | None = None,
    unlink_columns: list[str] | None = None,
    scrub: tuple[list[str], str] | None = None,
) -> dict:
    """Rewrite ``part`` without the rows of ``delete_where`` and with ``unlink_columns`` nulled
    in the rows of ``unlink_where`` (and, with ``scrub`` = (text columns, regex), the regex
    replaced by ``***`` in those rows' text); atomically swapped in. Untouched when no row
    matches."""
    files = files_sql(part)
    # each row's fate is computed once (the predicates hold semi-joins), then used by name
    flagged = (
        f"(select *, coalesce(({delete_where}), false) as __deleting, "
        f"coalesce(({unlink_where or 'false'}), false) as __unlinking "
        f"from read_parquet({files}))"
    )
    deleting, unlinking = "__deleting", "__unlinking"
    before, removed, unlinked = con.execute(
        f"select count(*), count(*) filter (where {deleting}), "
        f"count(*) filter (where {unlinking} and not {deleting}) from {flagged}"
    ).fetchall()[0]
    result = {
        "location": part.label,
        "rows_before": before,
        "rows_removed": removed,
        "rows_unlinked": unlinked,
        "rows_after": before - removed,
        "sha256_before": partition_sha256(part),
    }
    if not removed and not unlinked:
        result |= {"action": "none", "sha256_after": result["sha256_before"]}
        return result
    replace = " exclude (__deleting, __unlinking)"
    if unlinked and unlink_columns:
        nulls = ", ".join(
            f'case when {unlinking} then null else "{c}" end as "{c}"' for c in unlink_columns
        )
        if scrub and scrub[0]:
            pattern = scrub[1].replace("'", "''")
            nulls += ", " + ", ".join(
                f"case when {unlinking} then regexp_replace(\"{c}\", '{pattern}', '***', 'g') "
                f'else "{c}" end as "{c}"'
                for c in scrub[0]
            )
        replace += f" replace ({nulls})"
    swap_partition(con, part, f"select *{replace} from {flagged} where not {deleting}")
    action = "deleted" if not unlinked else ("unlinked" if not removed else "deleted+unlinked")
    return result | {"action": action, "sha256_after": partition_sha256(part)}


def swap_partition(con: duckdb.DuckDBPyConnection, part: Partition, select_sql: str) -> None:
    """Replace ``part`` with the rows of ``select_sql`` (one Parquet file), written into a sibling
    folder and swapped in by rename; modes and non-Parquet files (manifests) are kept."""
    tag = uuid.uuid4().hex[:8]
    staging = part.path.parent / f".{part.path.name}.tmp-{tag}"
    retired = part.path.parent / f".{part.path.name}.old-{tag}"
    dir_mode = stat.S_IMODE(part.path.stat().st_mode)
    file_mode = stat.S_IMODE(part.files[0].stat().st_mode)
    staging.mkdir(mode=0o700)
    try:
        target = staging / "part-00000.parquet"
        con.execute(f"copy ({select_sql}) to '{target}' (format parquet, compression zstd)")
        os.chmod(target, file_mode)
        for other in part.path.iterdir():  # _protection.json, _SUCCESS: kept as they were
            if other.is_file() and other.suffix != ".parquet" and not other.name.startswith("."):
                shutil.copy2(other, staging / other.name)
        os.chmod(staging, dir_mode)
        part.path.rename(retired)
        staging.rename(part.path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _kept_where(
    part: Partition, cols: dict[str, str], retention: RetentionPolicy, as_of: dt.date
) -> tuple[str | None, str | None]:
    """(SQL of rows inside the source's legal minimum, the law) for ``part``; (None, None) when
    the source has no minimum."""
    rule = retention.sources.get(part.source)
    if rule is None or rule.minimum_years() == 0 or part.zone in ("quarantine", "vault"):
        return None, None
    cutoff = years_before(as_of, rule.minimum_years())
    if rule.date_column not in cols:
        return "true", rule.law.en  # cannot tell the age here: never delete inside a minimum
    return f"\"{rule.date_column}\" >= timestamptz '{cutoff.isoformat()} 00:00:00+00'", rule.law.en


def _values_pattern(subject: Subject) -> str | None:
    """A regex of the subject's C1 values (free text of a kept row may quote them)."""
    values = [re.escape(v) for v in subject.c1_values if v]
    return "|".join(sorted(values, key=len, reverse=True)) or None


def _unlink_columns(cols: dict[str, str]) -> list[str]:
    return [
        c for c in cols if c in ("customer_id", "customer_token") or c.endswith(UNLINK_SUFFIXES)
    ]


def collect_subject_values(locator: Locator) -> None:
    """Add the subject's C1 clear values (from the vault, before shredding) and C1 tokens (from
    restricted) to the subject, so quarantine lines and the scan can look for them."""
    subject = locator.subject
    values: set[str] = set()
    for token in subject.tokens:
        try:
            for row in decrypt_rows(token, vault_rows(token, locator.con)):
                values.update(str(v) for v in row["values"].values() if v)
        except key_store.ShreddedError:
            pass  # already shredded: nothing left to learn (and nothing left to find)
    tokens: set[str] = set()
    for part in partitions("restricted"):
        names, rows = locator.rows(part)
        for i, name in enumerate(names):
            if name.endswith("_token") and name != "customer_token":
                tokens.update(r[i] for r in rows if r[i])
    subject.c1_values = sorted(values)
    subject.c1_tokens = sorted(tokens)


def erase_lake(
    con: duckdb.DuckDBPyConnection,
    subject: Subject,
    retention: RetentionPolicy,
    as_of: dt.date,
    batch_date: str | None = None,
) -> tuple[list[dict], list[dict]]:
    """Rewrite every partition (of ``batch_date``, else all) holding the subject; returns
    (locations, legally kept)."""
    locator = Locator(con, subject)
    collect_subject_values(locator)
    locator = Locator(con, subject)  # again: quarantine patterns now include the C1 values
    locations, kept = [], []
    for zone in ("raw", "restricted", "protected", "quarantine", "vault"):
        for part in partitions(zone):
            where = locator.predicate(part)
            if where is None or (batch_date is not None and part.batch_date != batch_date):
                continue
            cols = locator.columns(part)
            keep, law = _kept_where(part, cols, retention, as_of)
            if keep is None:
                outcome = rewrite_partition(con, part, where)
            else:
                unlink = _unlink_columns(cols)
                texts = [c for c, kind in cols.items() if kind == "VARCHAR" and c not in unlink]
                outcome = rewrite_partition(
                    con,
                    part,
                    f"({where}) and not coalesce(({keep}), false)",
                    f"({where}) and coalesce(({keep}), false)",
                    unlink,
                    (texts, _values_pattern(subject)) if _values_pattern(subject) else None,
                )
                if outcome["rows_unlinked"]:
                    kept.append(
                        {
                            "location": part.label,
                            "rows": outcome["rows_unlinked"],
                            "law": law,
                            "treatment": "kept, id/token/mask columns nulled (unlinkable); "
                            "processing stopped (PIPL Art. 47 para. 2)",
                        }
                    )
            if outcome["action"] != "none" or outcome["rows_before"]:
                locations.append(outcome)
    return locations, kept


def shred(subject: Subject) -> dict:
    """Crypto-shred the subject's salt (every key version); idempotent."""
    salts = key_store.read_salts()
    present = [t for t in subject.tokens if t in salts]
    if present:
        key_store.shred_customer(present[0])  # removes the salt under every version's token
        return {"location": "secrets/salts", "action": "shredded", "salts_removed": len(present)}
    return {"location": "secrets/salts", "action": "none (already shredded)", "salts_removed": 0}


def _warehouse_files() -> list[Path]:
    lay = layout()
    return [p for p in (lay.warehouse_db, lay.restricted_db, lay.marts_db) if p.is_file()]


def _token_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        """
        select c.table_schema, c.table_name, c.column_name
        from information_schema.columns c
        join information_schema.tables t using (table_catalog, table_schema, table_name)
        where t.table_type = 'BASE TABLE' and c.table_schema <> 'governance'
            and (c.column_name = 'customer_token')
        order by all
        """
    ).fetchall()


def erase_marts(subject: Subject) -> list[dict]:
    """Delete the subject's rows from every mart table holding a customer_token."""
    results = []
    for db in _warehouse_files():
        mode = stat.S_IMODE(db.stat().st_mode)
        con = duckdb.connect(str(db))
        try:
            for schema, table, column in _token_tables(con):
                name = f'"{schema}"."{table}"'
                before = con.execute(f"select count(*) from {name}").fetchall()[0][0]
                removed = con.execute(
                    f'delete from {name} where "{column}" in (select unnest(?::varchar[]))',
                    [subject.tokens],
                ).fetchall()[0][0]
                if before:
                    results.append(
                        {
                            "location": f"{db.name}:{schema}.{table}",
                            "action": "deleted" if removed else "none",
                            "rows_before": before,
                            "rows_removed": removed,
                            "rows_after": before - removed,
                        }
                    )
        finally:
            con.close()
        os.chmod(db, mode)  # marts.duckdb stays readable by analysts
    return results


def scan(subject: Subject) -> list[dict]:
    """Cells (every Parquet partition of every zone, every non-governance warehouse table) that
    hold the subject's id, a token or a C1 value: exact cell matches, and containment for
    values long enough not to match by chance (8+ characters)."""
    exact = sorted(
        {*subject.tokens, *subject.c1_tokens, *subject.c1_values}
        | ({subject.customer_id} if subject.customer_id else set())
    )
    inside = [v for v in exact if len(v) >= 8]
    # one RE2 alternation of the long needles: a single pass per cell finds any of them inside
    pattern = "|".join(re.escape(v) for v in sorted(inside, key=len, reverse=True))
    pattern_sql = pattern.replace("'", "''")
    hits: list[dict] = []
    con = duckdb.connect()
    try:
        con.execute("create temp table needles_exact as select unnest(?::varchar[]) as v", [exact])

        def condition(column: str) -> str:
            inside_term = f" or regexp_matches(\"{column}\", '{pattern_sql}')" if pattern else ""
            return f'"{column}" in (select v from needles_exact){inside_term}'

        for zone in ZONES:
            for part in partitions(zone):
                rows = con.execute(
                    "select column_name from (describe select * from read_parquet(?)) "
                    "where column_type = 'VARCHAR'",
                    [[str(f) for f in part.files]],
                ).fetchall()
                cols = [r[0] for r in rows]
                if not cols:
                    continue
                counts = con.execute(
                    "select "
                    + ", ".join(f"count(*) filter (where {condition(c)})" for c in cols)
                    + f" from read_parquet({files_sql(part)})"
                ).fetchall()[0]
                hits += [
                    {"location": part.label, "column": c, "cells": n}
                    for c, n in zip(cols, counts, strict=True)
                    if n
                ]
        for db in _warehouse_files():
            con.execute(f"attach '{db}' as scanned (read_only)")
            try:
                tables = con.execute(
                    "select c.table_schema, c.table_name, c.column_name "
                    "from information_schema.columns c join information_schema.tables t "
                    "using (table_catalog, table_schema, table_name) "
                    "where c.table_catalog = 'scanned' and c.table_schema <> 'governance' "
                    "and t.table_type = 'BASE TABLE' and c.data_type = 'VARCHAR' order by all"
                ).fetchall()
                for schema, table, column in tables:
                    n = con.execute(
                        f'select count(*) from scanned."{schema}"."{table}" '
                        f"where {condition(column)}"
                    ).fetchall()[0][0]
                    if n:
                        hits.append(
                            {
                                "location": f"{db.name}:{schema}.{table}",
                                "column": column,
                                "cells": n,
                            }
                        )
            finally:
                con.execute("detach scanned")
    finally:
        con.close()
    return hits
