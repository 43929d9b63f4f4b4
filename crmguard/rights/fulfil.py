"""Carrying out a verified data-subject request: the access package or the erasure with its
signed certificate, and the suppression of erased customers in later batches."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from crmguard.paths import layout
from crmguard.rights import access_log, certificate, dsr
from crmguard.rights.correction import ensure_table as ensure_corrections_table
from crmguard.rights.erasure import erase_lake, erase_marts, scan, shred
from crmguard.rights.locate import Subject
from crmguard.rights.package import build_package
from crmguard.rights.policy import RightsPolicy, rights_policy
from crmguard.warehouse import connect

# what stays after an erasure on purpose, outside the scanned layers (named in the certificate)
KEPT_RECORDS = [
    {
        "location": "lake/audit/access_log.jsonl",
        "rows": None,
        "law": "PIPL Art. 55-56; JR/T 0171-2020 (access records)",
        "treatment": "append-only access records name the customer token only",
    },
    {
        "location": "warehouse/crm.duckdb:governance.dsr_*",
        "rows": None,
        "law": "PIPL Art. 50 (request handling records)",
        "treatment": "the request and erasure list keep the token only, to suppress re-delivery",
    },
]


def _rights_files(tokens: list[str]) -> list[dict]:
    """Earlier access packages and unmask requests of the customer: removed with the rest."""
    removed = []
    root = layout().rights
    for path in sorted(root.glob("unmask/*.json")):
        try:
            token = json.loads(path.read_text(encoding="utf-8"))["request"]["customer_token"]
        except (ValueError, KeyError, TypeError):
            continue
        if token in tokens:
            path.unlink()
            removed.append(f"lake/rights/unmask/{path.name}")
    con = connect()
    try:
        dsr.ensure_tables(con)
        packages = con.execute(
            "select package_path from governance.dsr_requests where package_path is not null "
            "and customer_token in (select unnest(?::varchar[]))",
            [tokens],
        ).fetchall()
        ensure_corrections_table(con)
        corrections = con.execute(
            "delete from governance.dsr_corrections "
            "where customer_token in (select unnest(?::varchar[]))",
            [tokens],
        ).fetchall()[0][0]
        if corrections:
            removed.append(f"warehouse/crm.duckdb:governance.dsr_corrections ({corrections} rows)")
    finally:
        con.close()
    for (package,) in packages:
        path = Path(package)
        if path.is_file():
            path.unlink()
            removed.append(f"lake/rights/packages/{path.name}")
    return [{"location": f, "action": "deleted"} for f in removed]


def _erase(request: dict, actor: str, as_of: dt.date, policy: RightsPolicy) -> Path:
    subject = Subject.for_customer(request["customer_id"])
    con = duckdb.connect()
    try:
        locations, kept = erase_lake(con, subject, policy.retention, as_of)
    finally:
        con.close()
    vault_key = shred(subject)
    marts = erase_marts(subject)
    rights_files = _rights_files(subject.tokens)
    hits = scan(subject)
    if hits:
        raise dsr.DsrError(
            f"request {request['request_id']}: after erasure the scan still finds the customer: "
            + "; ".join(f"{h['location']}.{h['column']} ({h['cells']} cells)" for h in hits)
        )
    executed = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path = certificate.write(
        {
            "kind": "dsr_deletion",
            "request_id": request["request_id"],
            "customer_token": request["customer_token"],
            "tokens": subject.tokens,
            "executed_at": executed,
            "executed_by": actor,
            "as_of": as_of.isoformat(),
            "law": "PIPL Art. 47; retention minimums: PIPL Art. 47 para. 2",
            "locations": [*locations, vault_key, *marts, *rights_files],
            "legally_kept": kept + KEPT_RECORDS,
            "scan": {
                "searched": "every cell of raw, restricted, protected, quarantine and vault "
                "partitions and of every warehouse table outside the governance schema",
                "needles": {
                    "tokens": len(subject.tokens) + len(subject.c1_tokens),
                    "c1_values": len(subject.c1_values),
                    "customer_id": 1,
                },
                "hits": [],
            },
        },
        f"dsr_{request['request_id']}",
    )
    con = connect()
    try:
        con.execute(
            "insert into governance.dsr_erasures values (?, ?, ?, ?)",
            [
                request["request_id"],
                request["customer_token"],
                dt.datetime.now(dt.UTC),
                certificate.file_sha256(path),
            ],
        )
    finally:
        con.close()
    access_log.append(
        "dsr_erasure",
        actor=actor,
        purpose="data_subject_request",
        subject=request["customer_token"],
        details={"request_id": request["request_id"], "certificate": path.name},
    )
    return path


def execute(
    request_id: str,
    actor: str,
    as_of: dt.date | None = None,
    policy: RightsPolicy | None = None,
) -> dict:
    """Carry out a verified request (idempotent: a closed request is returned unchanged)."""
    policy = policy or rights_policy()
    request = dsr.get(request_id)
    if request["status"] in ("completed", "rejected"):
        return request
    if request["status"] == "received":
        raise dsr.DsrError(f"request {request_id}: identity not verified yet (status received)")
    if request["status"] == "verified":
        request = dsr.transition(request_id, "in_progress", actor)
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    kind = request["request_type"]
    if kind in policy.dsr.access_types:
        path = build_package(request, actor, policy)
        return dsr.transition(request_id, "completed", actor, package_path=str(path))
    if kind in policy.dsr.deletion_types:
        path = _erase(request, actor, as_of, policy)
        return dsr.transition(request_id, "completed", actor, certificate_path=str(path))
    raise dsr.DsrError(
        f"request {request_id}: type {kind} is answered outside the platform; "
        "complete it with `crmguard dsr complete`"
    )


def suppress_batch(batch_date: str, policy: RightsPolicy | None = None) -> list[dict]:
    """Apply every completed erasure to a newly protected batch (a source that delivers an
    erased customer again): their rows are removed from that batch's partitions."""
    policy = policy or rights_policy()
    con = connect()
    try:
        dsr.ensure_tables(con)
        tokens = [
            r[0]
            for r in con.execute("select customer_token from governance.dsr_erasures").fetchall()
        ]
    finally:
        con.close()
    done: list[dict] = []
    if not tokens:
        return done
    lake = duckdb.connect()
    try:
        as_of = dt.date.fromisoformat(batch_date)
        locations, _ = erase_lake(lake, Subject(tokens=tokens), policy.retention, as_of, batch_date)
        done = [loc for loc in locations if loc["action"] != "none"]
    finally:
        lake.close()
    if done:
        access_log.append(
            "dsr_suppression",
            actor="crm_dsr",
            purpose="data_subject_request",
            subject=None,
            details={"batch_date": batch_date, "locations": [d["location"] for d in done]},
        )
    return done
