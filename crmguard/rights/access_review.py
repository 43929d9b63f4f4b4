"""FIN-01 input: the access log as a restricted-zone table, and accesses per purpose and approver.

Before every dbt build (``crmguard.dbt_meta.prepare_build``) the verified access log is written
to ``lake/restricted/access_log/batch_date=<D>/`` (tokens, purposes and approver names: no
customer value; a pipeline table like ``quarantined_keys``, not a source column): one
row per entry with whether it is a clear C1 access, its approvers and roles, whether those cover
the roles ``config/rights.yaml`` requires from distinct people, and whether the hash chain still
vouches for it. The rule model ``access_review`` judges FIN-01 from it. The log is the audit
trail, not customer data: it holds one entry per access, so it is read entry by entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa

from crmguard.ingest.load import write_partition
from crmguard.paths import layout
from crmguard.rights import access_log
from crmguard.rights.policy import rights_policy

TABLE = "access_log"
SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("accessed_at", pa.timestamp("us", tz="UTC")),
        ("event", pa.string()),
        ("actor", pa.string()),
        ("purpose", pa.string()),
        ("customer_token", pa.string()),
        ("request_id", pa.string()),
        ("c1_clear", pa.bool_()),
        ("basis", pa.string()),
        ("approvers", pa.string()),
        ("approver_roles", pa.string()),
        ("dual_approved", pa.bool_()),
        ("chain_ok", pa.bool_()),
    ]
)


def review_rows(path: Path | None = None) -> list[dict]:
    """One row per log entry (every line that parses, trusted or not)."""
    path = path or access_log.log_path()
    required = rights_policy().unmask.required_roles
    broken = access_log.first_broken_seq(path)
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            details = entry.get("details") or {}
            at = dt.datetime.fromisoformat(entry["at"])
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # unreadable: check() already names it and marks everything after it
        approvals = details.get("approvers") or []
        names = sorted({a.get("approver") for a in approvals if a.get("approver")})
        roles = {a.get("role") for a in approvals}
        rows.append(
            {
                "seq": number,
                "accessed_at": at,
                "event": entry.get("event"),
                "actor": entry.get("actor"),
                "purpose": entry.get("purpose"),
                "customer_token": entry.get("subject"),
                "request_id": details.get("request_id"),
                "c1_clear": bool(details.get("c1_clear")),
                "basis": details.get("basis"),
                "approvers": ",".join(names) or None,
                "approver_roles": ",".join(sorted(r for r in roles if r)) or None,
                "dual_approved": len(names) >= len(required) and set(required) <= roles,
                "chain_ok": broken is None or number < broken,
            }
        )
    return rows


def _erased_tokens() -> set[str]:
    from crmguard.rights.dsr import ensure_tables
    from crmguard.warehouse import connect

    con = connect()
    try:
        ensure_tables(con)
        return {
            r[0]
            for r in con.execute("select customer_token from governance.dsr_erasures").fetchall()
        }
    finally:
        con.close()


def export_access_log(batch_date: str) -> Path:
    """Write the batch's ``restricted/access_log`` partition and its ``_protection.json``."""
    dt.date.fromisoformat(batch_date)
    target = layout().restricted_partition(TABLE, batch_date)
    rows = review_rows()
    erased = _erased_tokens()
    for row in rows:  # the log keeps an erased customer's token; the table built from it does not
        if row["customer_token"] in erased:
            row["customer_token"] = None
    write_partition(pa.Table.from_pylist(rows, schema=SCHEMA), target)
    columns = {
        name: {
            "entity": "NONE",
            "tier": "C3",
            "protection": "pass",
            "form": "token" if name == "customer_token" else "clear",
            "outputs": [name],
        }
        for name in SCHEMA.names
    }
    (target / "_protection.json").write_text(
        json.dumps({"zone": "restricted", "source": TABLE, "batch_date": batch_date,
                    "columns": columns}),
        encoding="utf-8",
    )  # fmt: skip
    return target


def accesses_by_purpose_and_approver(until: dt.datetime | None = None) -> list[tuple]:
    """(purpose, approver, role, accesses, customers) of the clear C1 accesses in the log."""
    rows = review_rows()
    if not rows:
        return []
    con = duckdb.connect()
    try:
        con.register("entries", pa.Table.from_pylist(rows, schema=SCHEMA))
        return con.execute(
            """
            with accesses as (
                select purpose, customer_token, seq,
                    unnest(string_split(coalesce(approvers, '(none)'), ',')) as approver
                from entries
                where c1_clear and (? is null or accessed_at < ?)
            )
            select purpose, approver, count(distinct seq), count(distinct customer_token)
            from accesses group by all order by all
            """,
            [until, until],
        ).fetchall()
    finally:
        con.close()


def _report(args: argparse.Namespace) -> int:
    problems = access_log.verify()
    rows = accesses_by_purpose_and_approver()
    print(f"{'purpose':<30} {'approver':<20} {'accesses':>8} {'customers':>9}")
    for purpose, approver, n, customers in rows:
        print(f"{purpose or '-':<30} {approver:<20} {n:>8} {customers:>9}")
    if problems:
        print(f"WARNING access log broken: {problems[0]}", file=sys.stderr)
        return 1
    return 0


def register_report(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="clear C1 accesses per purpose and approver")
    report.set_defaults(func=_report)
