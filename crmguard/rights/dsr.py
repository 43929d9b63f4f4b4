"""Data-subject requests: intake (landing ``dsr_requests`` and the CLI), the state machine and
the deadline, in the governance schema of ``warehouse/crm.duckdb``.

States: received → verified → in_progress → completed, and rejected (with a reason) from any
open state (PIPL Art. 44-47, 50). The deadline is the ``DATA-05`` number of working days after
the local day of receipt on the same working-day calendar DATA-05 evaluates
(``crmguard.config.working_calendar``). Every transition is an event row; the request row keeps
the customer id only until the request is closed (the token stays, to suppress re-deliveries).
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from crmguard import key_store
from crmguard.config import ConfigError, compliance_rules, organisation, working_calendar
from crmguard.paths import layout
from crmguard.warehouse import connect

TABLES: dict[str, str] = {
    "dsr_requests": """
        request_id varchar not null,
        customer_token varchar not null,
        customer_id varchar,
        request_type varchar not null,
        channel varchar not null,
        received_at timestamptz not null,
        deadline_date date,
        status varchar not null,
        status_reason varchar,
        updated_at timestamptz not null,
        certificate_path varchar,
        package_path varchar
    """,
    "dsr_events": """
        request_id varchar not null,
        from_status varchar,
        to_status varchar not null,
        event_at timestamptz not null,
        actor varchar not null,
        reason varchar
    """,
    # erased customers (tokens only): later batches are suppressed against this list
    "dsr_erasures": """
        request_id varchar not null,
        customer_token varchar not null,
        erased_at timestamptz not null,
        certificate_sha256 varchar not null
    """,
}

TRANSITIONS: dict[str, set[str]] = {
    "received": {"verified", "rejected"},
    "verified": {"in_progress", "rejected"},
    "in_progress": {"completed", "rejected"},
    "completed": set(),
    "rejected": set(),
}
REQUEST_TYPES = ("access", "copy", "correct", "delete", "explain_decision", "withdraw_consent")


class DsrError(ValueError):
    """A request cannot move as asked (the message names the request and the reason)."""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists governance")
    for name, columns in TABLES.items():
        con.execute(f"create table if not exists governance.{name} ({columns})")


def deadline_for(received_at: dt.datetime) -> dt.date | None:
    """The DATA-05 deadline: N working days after the local day of receipt (None when the
    calendar does not cover it; DATA-05 then reports it as not evaluated)."""
    days = compliance_rules().parameters.data_05.deadline_working_days
    local = received_at.astimezone(ZoneInfo(organisation().timezone)).date()
    try:
        return working_calendar().add_working_days(local, days)
    except ConfigError:
        return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _insert(con: duckdb.DuckDBPyConnection, rows: list[dict], actor: str) -> int:
    if not rows:
        return 0
    table = pa.Table.from_pylist(rows)
    con.register("incoming_requests", table)
    con.execute(
        """
        insert into governance.dsr_requests by name
        select i.*, 'received' as status, null as status_reason, i.received_at as updated_at,
            null as certificate_path, null as package_path
        from incoming_requests i
        anti join governance.dsr_requests d using (request_id)
        """
    )
    inserted = con.execute(
        """
        insert into governance.dsr_events
        select i.request_id, null, 'received', ?, ?, 'intake ' || i.channel
        from incoming_requests i
        anti join governance.dsr_events e on e.request_id = i.request_id
            and e.to_status = 'received'
        """,
        [_now(), actor],
    ).fetchall()[0][0]
    con.unregister("incoming_requests")
    return int(inserted)


def intake_landing(batch_date: str, actor: str = "crm_dsr") -> int:
    """Open requests of the batch's raw ``dsr_requests`` not yet known; returns how many."""
    part = layout().raw_partition("dsr_requests", batch_date)
    files = sorted(part.glob("*.parquet"))
    if not files:
        return 0
    con = connect()
    try:
        ensure_tables(con)
        new = con.execute(
            """
            select r.request_id, r.customer_id, r.request_type, r.received_at
            from read_parquet(?) r
            anti join governance.dsr_requests d using (request_id)
            where r.status = 'open' and r.received_at is not null
            order by r.request_id
            """,
            [[str(f) for f in files]],
        ).fetchall()
        # per-request work: a token and a deadline for each new request (a handful per batch)
        rows = [
            {
                "request_id": rid,
                "customer_token": key_store.token_for(cid, "CUSTOMER_ID"),
                "customer_id": cid,
                "request_type": rtype,
                "channel": f"landing:{batch_date}",
                "received_at": received,
                "deadline_date": deadline_for(received),
            }
            for rid, cid, rtype, received in new
        ]
        return _insert(con, rows, actor)
    finally:
        con.close()


def intake_cli(
    customer_id: str,
    request_type: str,
    actor: str,
    received_at: dt.datetime | None = None,
    request_id: str | None = None,
) -> str:
    """Record a request received outside the CRM (counter, letter, e-mail); returns its id."""
    if request_type not in REQUEST_TYPES:
        raise DsrError(f"request type {request_type!r} is not one of {REQUEST_TYPES}")
    received = received_at or _now()
    rid = request_id or f"DSR-{received:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    con = connect()
    try:
        ensure_tables(con)
        if con.execute(
            "select count(*) from governance.dsr_requests where request_id = ?", [rid]
        ).fetchall()[0][0]:
            raise DsrError(f"request {rid} already exists")
        _insert(
            con,
            [
                {
                    "request_id": rid,
                    "customer_token": key_store.token_for(customer_id, "CUSTOMER_ID"),
                    "customer_id": customer_id,
                    "request_type": request_type,
                    "channel": "cli",
                    "received_at": received,
                    "deadline_date": deadline_for(received),
                }
            ],
            actor,
        )
    finally:
        con.close()
    return rid


def get(request_id: str, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    own = con is None
    con = con or connect()
    try:
        ensure_tables(con)
        cur = con.execute(
            "select * from governance.dsr_requests where request_id = ?", [request_id]
        )
        names = [d[0] for d in cur.description]
        row = cur.fetchall()[0]
    finally:
        if own:
            con.close()
    if row is None:
        raise DsrError(f"request {request_id!r} not found in governance.dsr_requests")
    return dict(zip(names, row, strict=True))


def transition(
    request_id: str,
    to_status: str,
    actor: str,
    reason: str | None = None,
    **fields: object,
) -> dict:
    """Move a request to ``to_status`` (an allowed step; rejection needs a reason)."""
    con = connect()
    try:
        request = get(request_id, con)
        current = request["status"]
        if to_status not in TRANSITIONS.get(current, set()):
            raise DsrError(
                f"request {request_id}: cannot go from {current} to {to_status} "
                f"(allowed: {sorted(TRANSITIONS.get(current, set())) or 'none, it is closed'})"
            )
        if to_status == "rejected" and not (reason or "").strip():
            raise DsrError(f"request {request_id}: a rejection needs a reason (PIPL Art. 50)")
        allowed = {"certificate_path", "package_path", "customer_id"}
        extra = {k: v for k, v in fields.items() if k in allowed}
        if set(fields) - allowed:
            raise ValueError(f"unknown request fields {sorted(set(fields) - allowed)}")
        if to_status in ("completed", "rejected"):
            extra["customer_id"] = None  # closed: only the token stays
        sets = ", ".join(f"{k} = ?" for k in extra)
        now = _now()
        con.execute(
            "update governance.dsr_requests set status = ?, status_reason = ?, updated_at = ?"
            + (f", {sets}" if sets else "")
            + " where request_id = ?",
            [to_status, reason, now, *extra.values(), request_id],
        )
        con.execute(
            "insert into governance.dsr_events values (?, ?, ?, ?, ?, ?)",
            [request_id, current, to_status, now, actor, reason],
        )
        return get(request_id, con)
    finally:
        con.close()


def events(request_id: str) -> list[tuple]:
    con = connect()
    try:
        ensure_tables(con)
        return con.execute(
            "select from_status, to_status, actor, reason from governance.dsr_events "
            "where request_id = ? order by event_at",
            [request_id],
        ).fetchall()
    finally:
        con.close()


def pending() -> list[str]:
    """Requests whose identity is verified and that are not closed yet (the DAG carries them
    out; received ones wait for a person to verify the requester)."""
    con = connect()
    try:
        ensure_tables(con)
        rows = con.execute(
            "select request_id from governance.dsr_requests "
            "where status in ('verified', 'in_progress') order by received_at, request_id"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]
