"""The access / copy package of a data-subject request (PIPL Art. 44-45): one zip per request.

Every layer that holds the customer contributes its rows: raw, restricted, protected,
quarantine, the vault (decrypted for this package only) and the mart tables. The zip holds
``package.json`` (everything), one UTF-8 CSV per location, a bilingual ``COVER.md`` (sources,
purposes, recipients, retention) and ``MANIFEST.sha256`` (``crmguard evidence --verify`` checks
it). It is written to ``lake/rights/packages/`` (0600) and its creation is logged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import duckdb

from crmguard import key_store
from crmguard.config import field_purposes
from crmguard.evidence import write_manifest_zip
from crmguard.paths import PRIVATE_FILE_MODE, ensure_private_dir, layout
from crmguard.rights import access_log
from crmguard.rights.erasure import _token_tables, _warehouse_files
from crmguard.rights.layers import decrypt_rows, partitions, vault_rows
from crmguard.rights.locate import Locator, Subject
from crmguard.rights.policy import RightsPolicy


def _cell(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)


def collect(subject: Subject) -> dict[str, dict]:
    """location -> {source, columns, rows} of every layer holding the subject."""
    found: dict[str, dict] = {}
    con = duckdb.connect()
    try:
        locator = Locator(con, subject)
        for zone in ("raw", "restricted", "protected", "quarantine"):
            for part in partitions(zone):
                names, rows = locator.rows(part)
                if rows:
                    found[part.label] = {
                        "source": part.source,
                        "columns": names,
                        "rows": [[_cell(v) for v in r] for r in rows],
                    }
        decrypted: dict[str, list[dict]] = {}
        for token in subject.tokens:
            for row in decrypt_rows(token, vault_rows(token, con)):
                label = f"vault/{row['source']}/batch_date={row['batch_date']}"
                decrypted.setdefault(label, []).append(row["values"])
        for label, values in decrypted.items():
            columns = sorted({c for v in values for c in v})
            found[label] = {
                "source": label.split("/")[1],
                "columns": columns,
                "rows": [[v.get(c) for c in columns] for v in values],
                "decrypted": True,
            }
    finally:
        con.close()
    for db in _warehouse_files():
        con = duckdb.connect(str(db), read_only=True)
        try:
            for schema, table, column in _token_tables(con):
                cur = con.execute(
                    f'select * from "{schema}"."{table}" where "{column}" '
                    "in (select unnest(?::varchar[]))",
                    [subject.tokens],
                )
                rows = cur.fetchall()
                if rows:
                    found[f"{db.name}:{schema}.{table}"] = {
                        "source": f"mart {table}",
                        "columns": [d[0] for d in cur.description],
                        "rows": [[_cell(v) for v in r] for r in rows],
                    }
        finally:
            con.close()
    return found


def _cover(request: dict, found: dict[str, dict], policy: RightsPolicy) -> tuple[dict, str]:
    purposes = field_purposes()
    sources = sorted({e["source"] for e in found.values() if not e["source"].startswith("mart ")})
    by_source = {}
    for source in sources:
        columns = {c for e in found.values() if e["source"] == source for c in e["columns"]}
        declared = sorted({p for c in columns for p in purposes.purposes(source, c)})
        rule = policy.retention.sources.get(source)
        retention = (
            {
                "minimum_years": rule.minimum_years(),
                "maximum_years": rule.max_years,
                "law_zh": rule.law.zh,
                "law_en": rule.law.en,
            }
            if rule
            else {"law_zh": "个人信息保护法第19条：目的所必需的最短时间", "law_en": "PIPL Art. 19"}
        )
        by_source[source] = {"purposes": declared, "retention": retention}
    cover = {
        "request_id": request["request_id"],
        "request_type": request["request_type"],
        "customer_token": request["customer_token"],
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sources": by_source,
        "recipients": [r.model_dump() for r in policy.dsr.recipients],
        "locations": {k: len(v["rows"]) for k, v in sorted(found.items())},
    }
    lines = [
        f"# 个人信息副本 / Copy of your personal information — {request['request_id']}",
        "",
        "依据《个人信息保护法》第44-45条，本包含有我们各数据层中与您相关的全部记录。",
        "Under PIPL Art. 44-45 this package holds every record about you in each of our layers.",
        "",
        "## 来源与处理目的 / Sources and purposes",
    ]
    for source, info in by_source.items():
        ret = info["retention"]
        period = (
            f"{ret['minimum_years']}–{ret['maximum_years']} 年 / years"
            if "maximum_years" in ret
            else "目的所需 / as the purpose needs"
        )
        lines += [
            f"- **{source}**: 目的 / purposes: {', '.join(info['purposes']) or '—'}; "
            f"保存期限 / retention: {period} ({ret['law_zh']}; {ret['law_en']})"
        ]
    lines += ["", "## 接收方 / Recipients"]
    lines += [f"- {r.zh} / {r.en}" for r in policy.dsr.recipients]
    lines += ["", "## 数据层与记录数 / Layers and record counts"]
    lines += [f"- {k}: {n}" for k, n in cover["locations"].items()]
    lines += ["", "文件 / Files: package.json (全部 / everything), data/*.csv (UTF-8)."]
    return cover, "\n".join(lines) + "\n"


def _csv(entry: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(entry["columns"])
    writer.writerows(entry["rows"])
    return buffer.getvalue().encode("utf-8")


def build_package(request: dict, actor: str, policy: RightsPolicy) -> Path:
    """Write the request's package zip and log the export; returns the zip path."""
    subject = Subject.for_customer(request["customer_id"])
    try:
        found = collect(subject)
    except key_store.ShreddedError as exc:
        raise ValueError(f"request {request['request_id']}: vault shredded ({exc})") from None
    cover, cover_md = _cover(request, found, policy)
    files = {
        "COVER.md": cover_md.encode("utf-8"),
        "package.json": json.dumps(
            {"cover": cover, "layers": found}, ensure_ascii=False, indent=2
        ).encode("utf-8"),
    }
    for label, entry in found.items():
        safe = label.replace("/", "__").replace(":", "__").replace("=", "-")
        files[f"data/{safe}.csv"] = _csv(entry)
    folder = ensure_private_dir(layout().rights / "packages")
    path = write_manifest_zip(files, folder / f"{request['request_id']}.zip", PRIVATE_FILE_MODE)
    access_log.append(
        "dsr_export",
        actor=actor,
        purpose="data_subject_request",
        subject=request["customer_token"],
        details={
            "request_id": request["request_id"],
            "basis": "PIPL Art. 45",
            "c1_clear": any(e.get("decrypted") for e in found.values()),
            "rows": cover["locations"],
        },
    )
    return path
