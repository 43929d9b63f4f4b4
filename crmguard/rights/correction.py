"""Corrections (PIPL Art. 46): a corrected value that later batches honour until the source
system delivers it.

``crmguard dsr correct R --source S --column C --value V`` records the correction of a verified
``correct`` request: the before and after values go to the restricted zone only
(``lake/restricted/corrections/batch_date=<D>/``: tokens and C2 values, like every restricted
table; an erasure of the customer removes them with the rest), and the governance schema keeps
what is needed to find the customer's raw rows (customer id, source, column, status) without
the values. :func:`apply_corrections` runs after ingestion and before protection of every batch
(``crm_governance``'s reconcile task): in the batch's raw partition the corrected value replaces
the delivered one (one DuckDB rewrite per source), so restricted, protected and the marts built
from them carry it; once the source delivers the corrected value itself the correction is marked
``delivered`` and no longer applied.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import duckdb
import pyarrow as pa

from crmguard.config import landing_contract
from crmguard.ingest.load import write_partition
from crmguard.paths import layout
from crmguard.rights import access_log, dsr
from crmguard.rights.erasure import swap_partition
from crmguard.rights.layers import Partition, columns_of, partitions
from crmguard.rights.locate import files_sql
from crmguard.warehouse import connect

TABLE = "corrections"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
GOVERNANCE = """
    correction_id varchar not null,
    request_id varchar not null,
    customer_token varchar not null,
    customer_id varchar,
    source varchar not null,
    column_name varchar not null,
    status varchar not null,
    recorded_at timestamptz not null,
    delivered_batch date
"""
RECORD = pa.schema(
    [
        ("correction_id", pa.string()),
        ("request_id", pa.string()),
        ("customer_token", pa.string()),
        ("source", pa.string()),
        ("column_name", pa.string()),
        ("before_value", pa.string()),
        ("after_value", pa.string()),
        ("recorded_at", pa.timestamp("us", tz="UTC")),
    ]
)


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    dsr.ensure_tables(con)
    con.execute(f"create table if not exists governance.dsr_corrections ({GOVERNANCE})")


def _latest_raw(source: str) -> Partition | None:
    found = partitions("raw", source)
    return found[-1] if found else None


def record_correction(request_id: str, source: str, column: str, value: str, actor: str) -> dict:
    """Record the correction of a verified ``correct`` request and close the request."""
    request = dsr.get(request_id)
    if request["request_type"] != "correct":
        raise dsr.DsrError(f"request {request_id} is a {request['request_type']} request")
    if request["status"] not in ("verified", "in_progress"):
        raise dsr.DsrError(f"request {request_id}: status {request['status']}, not verified")
    contract = landing_contract().sources.get(source)
    if contract is None or column not in contract.columns:
        raise dsr.DsrError(f"{source}.{column}: not a column of the landing contract")
    if column in (contract.key, "customer_id") or "customer_id" not in contract.columns:
        raise dsr.DsrError(f"{source}.{column}: keys and customer ids are not corrected here")
    latest = _latest_raw(source)
    before = None
    if latest is not None:
        con = duckdb.connect()
        try:
            rows = con.execute(
                f'select distinct cast("{column}" as varchar) '
                f"from read_parquet({files_sql(latest)}) where customer_id = ?",
                [request["customer_id"]],
            ).fetchall()
        finally:
            con.close()
        before = ",".join(sorted(str(r[0]) for r in rows if r[0] is not None)) or None
    if request["status"] == "verified":
        request = dsr.transition(request_id, "in_progress", actor)
    now = dt.datetime.now(dt.UTC)
    correction_id = f"COR-{uuid.uuid4().hex[:12]}"
    record = {
        "correction_id": correction_id,
        "request_id": request_id,
        "customer_token": request["customer_token"],
        "source": source,
        "column_name": column,
        "before_value": before,
        "after_value": value,
        "recorded_at": now,
    }
    folder = layout().restricted_partition(TABLE, now.date().isoformat())
    existing = partitions("restricted", TABLE)
    rows = [record]
    con = duckdb.connect()
    try:
        for part in existing:
            if part.path == folder:
                cur = con.execute(f"select * from read_parquet({files_sql(part)})")
                names = [d[0] for d in cur.description]
                rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()] + rows
    finally:
        con.close()
    write_partition(pa.Table.from_pylist(rows, schema=RECORD), folder)
    con = connect()
    try:
        ensure_table(con)
        con.execute(
            "insert into governance.dsr_corrections values (?, ?, ?, ?, ?, ?, 'active', ?, null)",
            [correction_id, request_id, request["customer_token"], request["customer_id"],
             source, column, now],
        )  # fmt: skip
    finally:
        con.close()
    access_log.append(
        "dsr_correction",
        actor=actor,
        purpose="data_subject_request",
        subject=request["customer_token"],
        details={"request_id": request_id, "correction_id": correction_id, "column": column,
                 "source": source, "basis": "PIPL Art. 46"},
    )  # fmt: skip
    dsr.transition(request_id, "completed", actor, f"correction {correction_id} recorded")
    return record


def apply_corrections(batch_date: str) -> list[dict]:
    """Honour the active corrections in the batch's raw partitions; returns what was done per
    correction (``applied`` rows, or ``delivered`` when the source now has the value)."""
    con = connect()
    try:
        ensure_table(con)
        active = con.execute(
            "select correction_id, customer_id, source, column_name "
            "from governance.dsr_corrections where status = 'active' order by recorded_at"
        ).fetchall()
    finally:
        con.close()
    if not active:
        return []
    lake = duckdb.connect()
    outcomes: list[dict] = []
    delivered: list[str] = []
    try:
        lake.execute(
            "create temp table corr (correction_id varchar, customer_id varchar, source varchar, "
            "column_name varchar)"
        )
        lake.executemany("insert into corr values (?, ?, ?, ?)", [list(a) for a in active])
        lake.execute(
            "create temp table corr_values (correction_id varchar, after_value varchar, "
            "recorded_at timestamptz)"
        )
        for part in partitions("restricted", TABLE):
            lake.execute(
                "insert into corr_values select correction_id, after_value, recorded_at "
                f"from read_parquet({files_sql(part)})"
            )
        lake.execute(
            "create temp table wanted as select c.*, v.after_value, v.recorded_at "
            "from corr c join corr_values v using (correction_id)"
        )
        for source in sorted({a[2] for a in active}):
            part = next((p for p in partitions("raw", source) if p.batch_date == batch_date), None)
            if part is None:
                continue
            if not _NAME.match(source):
                raise ValueError(f"unexpected source name {source!r}")
            types = columns_of(lake, part)
            files = files_sql(part)
            columns = sorted(
                {a[3] for a in active if a[2] == source and a[3] in types and _NAME.match(a[3])}
            )
            # the source now delivers the corrected value: the correction has done its work
            for column in columns:
                rows = lake.execute(
                    f"select distinct w.correction_id from wanted w join read_parquet({files}) r "
                    f"on r.customer_id = w.customer_id where w.source = ? and w.column_name = ? "
                    f'and cast(r."{column}" as varchar) = w.after_value',
                    [source, column],
                ).fetchall()
                delivered += [r[0] for r in rows]
            lake.execute(
                "create or replace temp table live as select * from wanted "
                "where correction_id not in (select unnest(?::varchar[]))",
                [delivered],
            )
            replaced = []
            for column in columns:
                newest = (
                    f"(select cast(w.after_value as {types[column]}) from live w where "
                    f"w.customer_id = r.customer_id and w.source = '{source}' and "
                    f"w.column_name = '{column}' order by w.recorded_at desc limit 1)"
                )
                replaced.append(f'coalesce({newest}, r."{column}") as "{column}"')
            changed = lake.execute(
                f"select count(*) from read_parquet({files}) r where r.customer_id in "
                "(select customer_id from live where source = ?)",
                [source],
            ).fetchall()[0][0]
            if replaced and changed:
                swap_partition(
                    lake,
                    part,
                    f"select r.* replace ({', '.join(replaced)}) from read_parquet({files}) r",
                )
            outcomes.append({"source": source, "columns": columns, "rows_corrected": changed})
    finally:
        lake.close()
    if delivered:
        con = connect()
        try:
            con.execute(
                "update governance.dsr_corrections set status = 'delivered', delivered_batch = ? "
                "where correction_id in (select unnest(?::varchar[]))",
                [batch_date, delivered],
            )
        finally:
            con.close()
        outcomes.append({"delivered": sorted(set(delivered))})
    return outcomes
