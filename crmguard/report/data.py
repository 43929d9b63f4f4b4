"""What the auditor's report shows, read from the governance schema, published marts and config.

Everything the template needs is gathered here into plain dicts and lists, so the template only
lays them out. Missing inputs (a mart another stage has not built yet, no catalog, no run) are
carried as ``None`` / empty and shown as "no data" in the report, never as a pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crmguard.config import compliance_rules, organisation
from crmguard.governance_log import ensure_tables
from crmguard.paths import layout
from crmguard.stage_contracts import PERSONAL_CLASSES, Catalog, read_catalog
from crmguard.warehouse import connect, sql_string

SAMPLE_FINDINGS = 5
NOT_EVALUATED = "not_evaluated"
TOP_EVIDENCE = 3


@dataclass
class MartReader:
    """Read-only access to the published marts file; a missing file or table reads as None."""

    con: duckdb.DuckDBPyConnection | None
    catalog: str | None = None
    tables: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, con: duckdb.DuckDBPyConnection, marts_db: Path) -> MartReader:
        if not marts_db.is_file():
            return cls(None)
        con.execute(f"attach {sql_string(marts_db)} as published_marts (read_only)")
        # published tables live in the file's default schema (publish.py), not in `marts`
        names = con.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = 'published_marts'"
        ).fetchall()
        return cls(con, "published_marts", {n[0] for n in names})

    def frame(self, table: str) -> list[dict[str, Any]] | None:
        if self.con is None or table not in self.tables:
            return None
        cur = self.con.execute(f'select * from {self.catalog}.main."{table}"')
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        if self.con is not None:
            self.con.execute(f"detach {self.catalog}")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


# runs ordered by when they happened: validation time, else publish time (the governance tables
# carry no other clock); "latest run" of a batch date is the last of these
_RUN_ORDER = """
    with run_times as (
        select run_id, batch_date, max(validated_at) as ran_at from governance.validation_runs
        group by all
        union all
        select run_id, batch_date, max(attempted_at) from governance.publish_log group by all
        union all
        select distinct run_id, batch_date, null::timestamptz from governance.rule_summary_history
    ),
    runs as (
        select run_id, batch_date, max(ran_at) as ran_at from run_times group by all
    )
"""


def latest_run(con: duckdb.DuckDBPyConnection, batch_date: str) -> str | None:
    row = con.execute(
        _RUN_ORDER
        + "select run_id from runs where batch_date = ?::date order by ran_at desc nulls last,"
        " run_id desc limit 1",
        [batch_date],
    ).fetchone()
    return row[0] if row else None


def rule_status(evaluated: bool, evaluated_count: int | None, finding_count: int | None) -> str:
    """pass only with data: a rule not evaluated or with nothing evaluated is not_evaluated."""
    if not evaluated or not evaluated_count:
        return NOT_EVALUATED
    return "findings" if finding_count else "pass"


def _trend(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, int | None]]]:
    """Findings per rule per batch date, from the latest run of each batch date."""
    rows = _rows(
        con,
        _RUN_ORDER
        + """,
        latest_per_batch as (
            select run_id, batch_date from runs
            qualify row_number() over (
                partition by batch_date order by ran_at desc nulls last, run_id desc) = 1
        ),
        summary as (
            select s.batch_date, s.rule_id, s.evaluated_count, s.finding_count,
            from governance.rule_summary_history as s
            join latest_per_batch using (run_id, batch_date)
        ),
        counted_findings as (
            select f.batch_date, f.rule_id, count(*) as finding_count,
            from governance.findings_history as f
            join latest_per_batch using (run_id, batch_date)
            group by all
        )
        select coalesce(s.batch_date, f.batch_date) as batch_date,
            coalesce(s.rule_id, f.rule_id) as rule_id,
            s.evaluated_count,
            coalesce(s.finding_count, f.finding_count, 0) as finding_count,
        from summary as s
        full join counted_findings as f on f.batch_date = s.batch_date and f.rule_id = s.rule_id
        order by 1, 2
        """,
    )
    batches = sorted({str(r["batch_date"]) for r in rows})
    by_rule: dict[str, dict[str, int | None]] = {}
    for r in rows:
        count = r["finding_count"] if r["evaluated_count"] != 0 else None
        by_rule.setdefault(r["rule_id"], {})[str(r["batch_date"])] = count
    return {rule: [(b, counts.get(b)) for b in batches] for rule, counts in by_rule.items()}


def _relative_docs_link(url: str | None) -> str | None:
    """A Data Docs page as a link relative to reports/ (where the report sits).

    Data Docs live in reports/data_docs/; the stored URL is absolute (file://), so the part from
    data_docs/ on is kept: the link still works when the data root is moved or copied.
    """
    if not url or "/data_docs/" not in url:
        return None
    return "data_docs/" + url.split("/data_docs/", 1)[1]


def _validation(con: duckdb.DuckDBPyConnection, run_id: str | None) -> dict:
    if run_id is None:
        return {"suites": [], "totals": {}}
    runs = _rows(
        con,
        "select * from governance.validation_runs where run_id = ? order by suite",
        [run_id],
    )
    results = _rows(
        con,
        "select suite, expectation, severity, success, element_count, unexpected_count,"
        " description_zh, description_en from governance.validation_results where run_id = ?"
        " order by suite, severity, expectation",
        [run_id],
    )
    suites = []
    for run in runs:
        own = [r for r in results if r["suite"] == run["suite"]]
        counts = {
            f"{sev}_{outcome}": sum(
                1 for r in own if r["severity"] == sev and r["success"] == (outcome == "passed")
            )
            for sev in ("blocking", "warning")
            for outcome in ("passed", "failed")
        }
        suites.append(
            {
                "suite": run["suite"],
                "success": run["success"],
                "blocking_success": run["blocking_success"],
                "evaluated": run["evaluated_expectations"],
                "link": _relative_docs_link(run["data_docs_path"]),
                "counts": counts,
                "failed": [r for r in own if not r["success"]],
            }
        )
    totals = {
        key: sum(s["counts"][key] for s in suites)
        for key in ("blocking_passed", "blocking_failed", "warning_passed", "warning_failed")
    }
    return {"suites": suites, "totals": totals}


def _catalog(path: Path) -> dict | None:
    """The catalog's summary for the report; None when there is none (malformed is an error)."""
    if not path.is_file():
        return None
    raw = path.read_bytes()
    doc = read_catalog(path)
    by_tier: dict[str, dict[str, int]] = {}
    for columns in doc.tables.values():
        for entry in columns.values():
            tier = by_tier.setdefault(entry.tier, {})
            protection = entry.protection.value
            tier[protection] = tier.get(protection, 0) + 1
    return {
        "sha256": hashlib.sha256(raw).hexdigest(),
        "evidence": _decisive_evidence(doc),
        "profile": doc.profile,
        "policy_version": doc.policy_version,
        "batch_date": doc.batch_date,
        "by_tier": by_tier,
        "source": "lake/catalog/catalog.json",
    }


def _decisive_evidence(doc: Catalog) -> list[dict]:
    """Every C1/C2 column with the top evidence that decided it (catalog order)."""
    rows = []
    for table, columns in sorted(doc.tables.items()):
        for column, entry in columns.items():
            # C1 and C2 of any profile: by protection class, as every stage acts on it
            if entry.protection not in PERSONAL_CLASSES:
                continue
            # a catalog written before evidence was kept still has its reason
            evidence = [e.model_dump() for e in entry.evidence] or [
                {"kind": entry.source or "reason", "detail": entry.reason}
            ]
            rows.append(
                {
                    "table": table,
                    "column": column,
                    "entity": entry.entity,
                    "tier": entry.tier,
                    "protection": entry.protection.value,
                    "confidence": entry.confidence,
                    "evidence": evidence[:TOP_EVIDENCE],
                }
            )
    return rows


def _inventory_by_tier(rows: list[dict] | None) -> dict[str, dict[str, int]] | None:
    """Columns by tier × protection from marts.field_inventory (one row per source column)."""
    if not rows:
        return None
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for r in rows:
        seen[(r.get("source_name"), r.get("column_name"))] = (
            str(r.get("tier")),
            str(r.get("protection")),
        )
    by_tier: dict[str, dict[str, int]] = {}
    for tier, protection in seen.values():
        by_tier.setdefault(tier, {})
        by_tier[tier][protection] = by_tier[tier].get(protection, 0) + 1
    return by_tier


def numeric_column(rows: list[dict] | None, patterns: list[str], exclude: str) -> str | None:
    """The first column (by pattern order) whose name matches and whose values are numbers.

    The rule models are another stage's contract (interfaces §5 fixes their flags, not every
    evidence column's name), so the report finds its measure by meaning rather than one spelling.
    """
    if not rows:
        return None
    names = list(rows[0])
    for pattern in patterns:
        for name in names:
            if re.search(pattern, name) and not re.search(exclude, name):
                values = [r[name] for r in rows if r[name] is not None]
                if values and all(isinstance(v, int | float) for v in values):
                    return name
    return None


def _distribution(rows: list[dict] | None, column: str | None) -> dict | None:
    if rows is None or column is None:
        return None
    values = [float(r[column]) for r in rows if r[column] is not None]
    return {"column": column, "values": values, "rows": len(rows)}


def _cross_border(rows: list[dict] | None) -> dict | None:
    if not rows:
        return None
    year = next((c for c in rows[0] if re.search(r"year", c)), None)
    country = next((c for c in rows[0] if re.search(r"country", c)), None)
    sensitive = numeric_column(rows, [r"sensitive.*(individuals|count)"], r"^$")
    ordinary = numeric_column(
        rows, [r"ordinary.*(individuals|count)", r"^individuals", r"individuals"], r"sensitive"
    )
    flag = "violates_data_04" if "violates_data_04" in rows[0] else None
    points = [
        {
            "label": f"{r.get(year, '')}:{r.get(country, '')}",
            "ordinary": r.get(ordinary) if ordinary else None,
            "sensitive": r.get(sensitive) if sensitive else None,
            "violates": bool(r.get(flag)) if flag else None,
        }
        for r in rows
    ]
    points.sort(key=lambda p: p["label"])
    return {"points": points, "ordinary_column": ordinary, "sensitive_column": sensitive}


def _c1_accesses(marts: MartReader) -> list[dict[str, Any]] | None:
    """FIN-01: clear C1 accesses (unmask reveals) per purpose and approver, from the published
    ``access_review`` mart (one row per access; approvers a comma list)."""
    if marts.con is None or "access_review" not in marts.tables:
        return None
    cur = marts.con.execute(
        f"""
        with accesses as (
            select purpose, subject, violates_fin_01,
                unnest(string_split(coalesce(approvers, '—'), ',')) as approver
            from {marts.catalog}.main.access_review
            where event = 'unmask_reveal'
        )
        select coalesce(purpose, '—') as purpose, approver, count(distinct subject) as accesses,
            count(distinct subject) filter (where violates_fin_01) as findings
        from accesses group by all order by all
        """
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def gather(batch_date: str, run_id: str | None = None) -> dict[str, Any]:
    """Everything the report shows for ``batch_date`` (run: the given one, else the latest)."""
    lay = layout()
    rules = compliance_rules()
    org = organisation()
    con = connect(lay.warehouse_db)
    try:
        ensure_tables(con)
        run_id = run_id or latest_run(con, batch_date)
        summary = {
            r["rule_id"]: r
            for r in _rows(
                con,
                "select rule_id, evaluated_count, finding_count, status"
                " from governance.rule_summary_history where run_id = ? and batch_date = ?::date",
                [run_id, batch_date],
            )
        }
        findings = _rows(
            con,
            "select rule_id, subject_type, subject, evidence, count(*) over (partition by rule_id)"
            " as n from governance.findings_history where run_id = ? and batch_date = ?::date"
            " qualify row_number() over (partition by rule_id order by subject) <= ?"
            " order by rule_id, subject",
            [run_id, batch_date, SAMPLE_FINDINGS],
        )
        trend = _trend(con)
        publish = _rows(
            con,
            "select published, attempted_at, failed_expectations, catalog_sha256, policy_sha256,"
            " rules_sha256, git_commit from governance.publish_log where run_id = ?"
            " and batch_date = ?::date order by attempted_at desc limit 1",
            [run_id, batch_date],
        )
        validation = _validation(con, run_id)
        # columns classified otherwise than in the previous batch (crmguard.classification_drift)
        drift = _rows(
            con,
            "select source_name, column_name, previous_batch_date, change"
            " from governance.classification_drift where batch_date = ?::date"
            " order by source_name, column_name",
            [batch_date],
        )
        marts = MartReader.open(con, lay.marts_db)
        try:
            dsr = marts.frame("dsr_sla")
            complaints = marts.frame("complaint_sla")
            exposure = marts.frame("cross_border_exposure")
            inventory = marts.frame("field_inventory")
            accesses = _c1_accesses(marts)
        finally:
            marts.close()
    finally:
        con.close()

    sections = []
    for rule_id, rule in rules.rules.items():
        row = summary.get(rule_id)
        evaluated_count = row["evaluated_count"] if row else None
        sample = [f for f in findings if f["rule_id"] == rule_id]
        finding_count = row["finding_count"] if row else (sample[0]["n"] if sample else None)
        status = rule_status(rule.evaluated, evaluated_count, finding_count)
        sections.append(
            {
                "rule_id": rule_id,
                "rule": rule,
                "status": status,
                "evaluated_count": evaluated_count,
                "finding_count": finding_count if status != NOT_EVALUATED else None,
                "trend": [p for p in trend.get(rule_id, []) if p[0] <= batch_date]
                if rule.evaluated
                else [],
                "samples": sample if status == "findings" else [],
                "policy": "policy" in rule.basis,
            }
        )

    catalog = _catalog(lay.catalog)
    tiers = catalog["by_tier"] if catalog else _inventory_by_tier(inventory)
    dsr_days = numeric_column(
        dsr,
        [r"working_days.*(complet|taken|elapsed|to_)", r"working_days"],
        r"deadline|limit|due|allowed",
    )
    dsr_calendar = numeric_column(
        dsr, [r"^days_to", r"(calendar_)?days.*(complet|taken|elapsed)"], r"working|deadline|limit"
    )
    first_response = numeric_column(
        complaints,
        [r"first_response.*hours", r"hours.*first_response", r"response_hours"],
        r"limit|deadline|allowed|due",
    )
    return {
        "batch_date": batch_date,
        "run_id": run_id,
        "organisation": org.name,
        "pack_version": rules.pack_version,
        "catalog": catalog,
        "publish": publish[0] if publish else None,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sections": sections,
        "validation": validation,
        "classification_drift": drift,
        "tiers": tiers,
        "tiers_source": "catalog.json" if catalog else ("marts.field_inventory" if tiers else None),
        "dsr_working": _distribution(dsr, dsr_days),
        "dsr_calendar": _distribution(dsr, dsr_calendar),
        "dsr_deadline": rules.parameters.data_05.deadline_working_days,
        "dsr_present": dsr is not None,
        "complaint_response": _distribution(complaints, first_response),
        "complaint_limits": rules.parameters.cus_01.first_response_hours,
        "complaint_present": complaints is not None,
        "cross_border": _cross_border(exposure),
        "cross_border_present": exposure is not None,
        "data_04": rules.parameters.data_04,
        "data_docs": (lay.reports / "data_docs" / "index.html").is_file(),
        "c1_accesses": accesses,
    }
