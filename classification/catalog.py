"""The classification catalog: sample tables with DuckDB, classify columns, apply overrides,
record history.

``classify_batch`` is the pipeline's classify task (raw Parquet of one batch ->
lake/catalog/catalog.json
+ governance.catalog_history); ``classify_paths`` serves ``crmguard classify PATH...``.
Columns under the policy's confidence floor or UNCLASSIFIED get protection ``drop`` (fail closed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict

from classification.column_classifier import ColumnDecision, decide
from classification.policy import NONE, UNCLASSIFIED, Policy, load_policy
from classification.settings import ClassificationSettings, classification_settings
from crmguard.config import config_path, landing_contract, load
from crmguard.paths import SHARED_DIR_MODE, SHARED_FILE_MODE, TRAVERSE_DIR_MODE, ensure_dir, layout
from crmguard.stage_contracts import Catalog, ProtectionClass
from crmguard.stage_contracts import read_catalog as read_catalog_file
from crmguard.stage_contracts import write_catalog as write_catalog_file
from crmguard.warehouse import connect


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entity: str
    who: str
    why: str


class Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    overrides: dict[str, Override]  # "table.column" -> override


def load_overrides() -> Overrides:
    return load("overrides.yaml", Overrides)


def _kind(duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith(("VARCHAR", "TEXT", "STRING")):
        return "string"
    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "integer"
    if t.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return "decimal"
    if t.startswith(("DATE", "TIMESTAMP", "TIME")):
        return "date"
    if t == "BOOLEAN":
        return "boolean"
    return "other"


def _relation_sql(path: Path) -> str:
    """A DuckDB table function reading a Parquet/CSV file or a folder of Parquet parts."""
    p = str(path).replace("'", "''")
    if path.is_dir():
        return f"read_parquet('{p}/**/*.parquet', hive_partitioning = false)"
    if path.suffix.lower() == ".csv":
        return f"read_csv('{p}', all_varchar = true, header = true)"
    if path.suffix.lower() == ".parquet":
        return f"read_parquet('{p}')"
    raise ValueError(f"{path}: not a Parquet or CSV file or a folder of Parquet parts")


def table_name(path: Path) -> str:
    return path.name if path.is_dir() else path.stem


def sample_table(
    path: Path, settings: ClassificationSettings
) -> tuple[dict[str, str], dict[str, list[str]], dict[str, bool | None]]:
    """Column types, a seeded non-null sample of each column as text, and lat/lng bounds checks."""
    con = duckdb.connect()
    try:
        rel = _relation_sql(path)
        try:
            described = con.execute(f"describe select * from {rel}").fetchall()
        except duckdb.Error as exc:
            raise ValueError(f"{path}: cannot read table: {exc}") from exc
        types = {name: typ for name, typ, *_ in described if name not in settings.lineage_columns}
        k = settings.sample_size
        samples: dict[str, list[str]] = {}
        in_bounds: dict[str, bool | None] = {}
        bounds = settings.recognizers.china_bounds
        for col, typ in types.items():
            q = '"' + col.replace('"', '""') + '"'
            # reservoir sample of non-null values, seeded: the same data gives the same sample
            rows = con.execute(
                f"select cast({q} as varchar) from (select {q} from {rel} where {q} is not null) "
                f"using sample reservoir({k} rows) repeatable ({settings.sample_seed})"
            ).fetchall()
            samples[col] = [r[0] for r in rows]
            in_bounds[col] = None
            if _kind(typ) == "decimal" and samples[col]:
                lo = min(bounds.lat_min, bounds.lng_min)
                hi = max(bounds.lat_max, bounds.lng_max)
                nums = [float(v) for v in samples[col]]
                in_bounds[col] = all(lo <= x <= hi for x in nums)
        return types, samples, in_bounds
    finally:
        con.close()


def _entry(decision: ColumnDecision, policy: Policy, *, in_contract: bool, new: bool) -> dict:
    entity = decision.entity if decision.entity in policy.entities else UNCLASSIFIED
    protection = policy.protection_of(entity)
    if entity == UNCLASSIFIED or decision.confidence < policy.confidence_floor:
        protection = ProtectionClass.DROP
    return {
        "entity": entity,
        "tier": policy.tier_of(entity),
        "protection": protection,
        "confidence": round(float(decision.confidence), 3),
        "masked": decision.masked,
        "sample_size": decision.sample_size,
        "match_ratio": decision.match_ratio,
        "reason": decision.reason
        + (
            f" (confidence under floor {policy.confidence_floor}: dropped)"
            if protection == ProtectionClass.DROP and entity != UNCLASSIFIED
            else ""
        ),
        "source": decision.source,
        "new": new,
        "pipl_sensitive": policy.entity(entity).pipl_sensitive,
        "in_contract": in_contract,
        # what decided it, most telling first (header match, value share, checksum, shape)
        "evidence": decision.evidence or [{"kind": decision.source, "detail": decision.reason}],
    }


def _override_entry(entry: dict, ov: Override, policy: Policy) -> dict:
    out = dict(entry)
    out.update(
        entity=ov.entity,
        tier=policy.tier_of(ov.entity),
        protection=policy.protection_of(ov.entity),
        confidence=1.0,
        source="override",
        pipl_sensitive=policy.entity(ov.entity).pipl_sensitive,
        reason=f"override by {ov.who}: {ov.why} (classifier said {entry.get('entity')})",
        evidence=[
            {"kind": "override", "detail": f"{ov.who}: {ov.why}"},
            *entry.get("evidence", []),
        ],
    )
    return out


def classify_tables(
    tables: dict[str, Path],
    policy: Policy,
    previous: Catalog | None = None,
    contract_columns: dict[str, set[str]] | None = None,
    record_keys: dict[str, str] | None = None,
) -> dict:
    """Classify every column of every table; reuse previous entries when a schema is unchanged.

    A source's record key in the landing contract (message_id, order_id, …) is a system
    identifier, not personal data, whatever its values look like: "M0000000001" has the shape
    of a Macao travel permit. customer_id is the exception, tokenised as a key (settings).
    """
    settings = classification_settings()
    overrides = load_overrides().overrides
    prev_tables = previous.as_json()["tables"] if previous else {}
    reusable = (
        previous is not None
        and previous.policy_sha256 == policy.sha256
        and previous.classifier_sha256 == classifier_sha256()
    )
    out: dict[str, dict] = {}
    for table, path in sorted(tables.items()):
        types, samples, in_bounds = sample_table(path, settings)
        prev = prev_tables.get(table, {})
        same_schema = (
            reusable
            and set(prev) == set(types)
            and all(
                # never reuse a fail-closed or empty-sample decision: new data may settle it
                prev[c]["entity"] != UNCLASSIFIED and prev[c].get("sample_size", 0) > 0
                for c in prev
            )
        )
        contract = (contract_columns or {}).get(table)
        columns: dict[str, dict] = {}
        for col, typ in types.items():
            in_contract = contract is None or col in contract
            new = bool(previous) and col not in prev
            if same_schema and prev[col].get("source") != "override":
                entry = dict(prev[col], new=False)
                entry["reason"] = entry["reason"].removeprefix("reused: ")
                entry["reason"] = "reused: " + entry["reason"]
            elif (record_keys or {}).get(table) == col and col not in settings.key_columns:
                decision = ColumnDecision(
                    NONE,
                    1.0,
                    False,
                    len(samples[col] or []),
                    0.0,
                    f"record key of source {table} in the landing contract (system identifier)",
                    "key",
                )
                entry = _entry(decision, policy, in_contract=in_contract, new=new)
            else:
                decision = decide(col, samples[col], _kind(typ), settings, in_bounds[col])
                entry = _entry(decision, policy, in_contract=in_contract, new=new)
            key = f"{table}.{col}"
            if key in overrides:
                entry = _override_entry(entry, overrides[key], policy)
            columns[col] = entry
        out[table] = columns
    return out


def classifier_sha256() -> str:
    """Hash of what decides a column besides the policy: thresholds, lexicon, recognizer registry.

    A catalog made under other settings is never reused (a fixed threshold must reclassify).
    """
    digest = hashlib.sha256()
    for name in ("classification.yaml", "overrides.yaml"):
        digest.update(config_path(name).read_bytes())
    digest.update((Path(__file__).parent / "conf" / "recognizers.yaml").read_bytes())
    return digest.hexdigest()


def catalog_document(tables: dict, policy: Policy, batch_date: str | None) -> Catalog:
    """The catalog of ``tables`` (checked against the contract here, when it is made)."""
    doc = {
        "profile": policy.profile,
        "policy_version": policy.policy_version,
        "policy_sha256": policy.sha256,
        "classifier_sha256": classifier_sha256(),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "batch_date": batch_date,
        "tables": tables,
    }
    return Catalog.model_validate(doc)


def write_catalog(doc: Catalog | dict, path: Path) -> Path:
    """Atomic write (readers never see a half-written catalog), readable by all (layout.md)."""
    catalog = doc if isinstance(doc, Catalog) else Catalog.model_validate(doc)
    if path == layout().catalog:
        ensure_dir(path.parent.parent, TRAVERSE_DIR_MODE)  # lake/: pass through to catalog/
    ensure_dir(path.parent, SHARED_DIR_MODE)
    return write_catalog_file(catalog, path, SHARED_FILE_MODE)


def read_catalog(path: Path | None = None) -> Catalog | None:
    """The catalog (default: the lake's), None when there is none yet; malformed is an error."""
    path = path or layout().catalog
    if not path.is_file():
        return None
    return read_catalog_file(path)


def record_history(doc: Catalog) -> int:
    """Replace this batch's rows in governance.catalog_history (idempotent per batch_date)."""
    rows = [
        (
            doc.batch_date,
            table,
            col,
            e.entity,
            e.tier,
            e.protection.value,
            e.confidence,
            e.masked,
            e.match_ratio,
            e.source,
            e.new,
            e.reason,
            doc.profile,
            doc.policy_version,
            doc.policy_sha256,
            doc.generated_at,
        )
        for table, cols in doc.tables.items()
        for col, e in cols.items()
    ]
    con = connect()
    try:
        con.execute(
            "create table if not exists governance.catalog_history ("
            "batch_date date, table_name varchar, column_name varchar, entity varchar, "
            "tier varchar, protection varchar, confidence double, masked boolean, "
            "match_ratio double, source varchar, is_new boolean, reason varchar, "
            "profile varchar, policy_version varchar, policy_sha256 varchar, "
            "generated_at timestamptz)"
        )
        con.execute("begin")
        con.execute("delete from governance.catalog_history where batch_date = ?", [doc.batch_date])
        if rows:
            con.executemany(
                "insert into governance.catalog_history values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        con.execute("commit")
    finally:
        con.close()
    return len(rows)


def summarise(doc: Catalog, previous: Catalog | None, path: Path) -> dict:
    by_tier: dict[str, int] = {}
    by_protection: dict[str, int] = {}
    new_columns: list[str] = []
    n = 0
    for table, cols in doc.tables.items():
        for col, e in cols.items():
            n += 1
            by_tier[e.tier] = by_tier.get(e.tier, 0) + 1
            by_protection[e.protection.value] = by_protection.get(e.protection.value, 0) + 1
            if e.new:
                new_columns.append(f"{table}.{col}")
    dropped = [
        f"{t}.{c}"
        for t, cols in doc.tables.items()
        for c, e in cols.items()
        if e.protection == ProtectionClass.DROP
    ]
    return {
        "tables": len(doc.tables),
        "columns": n,
        "by_tier": by_tier,
        "by_protection": by_protection,
        "new_columns": new_columns,
        "dropped": dropped,
        "catalog_path": str(path),
    }


def classify_batch(batch_date: str, policy_profile: str = "seed") -> dict:
    """The pipeline's classify task for one batch: raw Parquet -> catalog.json + history rows."""
    lay = layout()
    policy = load_policy(policy_profile)
    contract = landing_contract()
    tables: dict[str, Path] = {}
    if lay.raw.is_dir():
        for source_dir in sorted(p for p in lay.raw.iterdir() if p.is_dir()):
            part = lay.raw_partition(source_dir.name, batch_date)
            if part.is_dir() and any(part.rglob("*.parquet")):
                tables[source_dir.name] = part
    if not tables:
        raise FileNotFoundError(f"{lay.raw}: no raw Parquet partitions for batch_date={batch_date}")
    previous = read_catalog(lay.catalog)
    contract_columns = {s: set(c.columns) for s, c in contract.sources.items()}
    record_keys = {s: c.key for s, c in contract.sources.items()}
    doc = catalog_document(
        classify_tables(tables, policy, previous, contract_columns, record_keys),
        policy,
        batch_date,
    )
    write_catalog(doc, lay.catalog)
    record_history(doc)
    return summarise(doc, previous, lay.catalog)


def classify_paths(paths: list[str], policy_profile: str = "seed") -> dict:
    """The catalog of Parquet/CSV files or folders of Parquet parts (a table per path), as JSON
    types (checked by the Catalog model)."""
    policy = load_policy(policy_profile)
    tables: dict[str, Path] = {}
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        if p.is_dir() and not any(p.rglob("*.parquet")):
            raise ValueError(f"{p}: folder holds no Parquet parts")
        tables[table_name(p)] = p
    # a file named after a contract source is checked against the contract's columns
    contract = landing_contract()
    contract_columns = {s: set(c.columns) for s, c in contract.sources.items()}
    record_keys = {s: c.key for s, c in contract.sources.items()}
    tables_doc = classify_tables(tables, policy, None, contract_columns, record_keys)
    return catalog_document(tables_doc, policy, None).as_json()
