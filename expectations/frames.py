"""The batches GX validates: pandas DataFrames read from DuckDB through Arrow, one per suite.

GX's SQL datasource cannot run over duckdb-engine here, so every check that needs a join or an
aggregate is prepared in DuckDB (the warehouse build, the governance schema, the lake's Parquet
of the batch) and handed to GX as a DataFrame whose rows are the units the expectation counts.
The protected lake's vault columns are read column-wise from Parquet (see ``vault_columns``).
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import duckdb
import pandas as pd

from classification.policy import UNCLASSIFIED
from crmguard.batch_date import parse_batch_date
from crmguard.config import compliance_rules, organisation
from crmguard.dbt_meta import consent_channels
from crmguard.paths import layout
from crmguard.stage_contracts import (
    PERSONAL_CLASSES,
    PROTECTION_JSON,
    Catalog,
    ProtectionClass,
    ProtectionManifest,
    ProtectiveForm,
    read_protection_manifest,
)
from crmguard.warehouse import sql_string
from expectations.suites.protected_vault import VaultColumn


def to_pandas(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    """A query's result as pandas, through Arrow (no row-by-row Python conversion)."""
    with warnings.catch_warnings():
        # DuckDB suggests con.sql() to spare one copy, but a relation refuses to run while an
        # earlier execute() result on the same connection is unfinished; frames are small
        warnings.simplefilter("ignore", UserWarning)
        table = con.execute(sql, params or []).to_arrow_table()
    return table.to_pandas()


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables"
            " where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def partition_glob(zone: str, source: str, batch_date: str) -> str | None:
    """``<zone>/<source>/batch_date=D/*.parquet`` when the partition has files, else None."""
    lay = layout()
    folder = {
        "raw": lay.raw_partition,
        "protected": lay.protected_partition,
        "restricted": lay.restricted_partition,
    }[zone](source, batch_date)
    return str(folder / "*.parquet") if any(folder.glob("*.parquet")) else None


def batch_end_sql(batch_date: str) -> str:
    """The instant the batch date ends in the business time zone (midnight after it)."""
    tz = organisation().timezone
    day = parse_batch_date(batch_date) + dt.timedelta(days=1)
    return f"timezone({sql_string(tz)}, timestamp '{day.isoformat()} 00:00:00')"


# -- analyst marts ------------------------------------------------------------------------------


def mart_text_columns(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> dict[str, list]:
    """Text columns of every table of ``schema`` in the build: {table: [column, ...]}."""
    rows = con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ?"
        " and data_type in ('VARCHAR') order by table_name, ordinal_position",
        [schema],
    ).fetchall()
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = current_database() and table_schema = ? order by 1",
            [schema],
        ).fetchall()
    ]
    out: dict[str, list] = {t: [] for t in tables}
    for table, column in rows:
        out[table].append(column)
    return out


def mart_text_frame(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pd.DataFrame:
    cols = ", ".join(f'"{c}"' for c in columns) or "1 as no_text_column"
    return to_pandas(con, f'select {cols} from marts."{table}"')


# -- ingestion ----------------------------------------------------------------------------------


def ingestion_frame(con: duckdb.DuckDBPyConnection, batch_date: str) -> pd.DataFrame:
    """One row per file the batch must account for, with its recomputed reconciliation."""
    from crmguard.ingest.batch import discover_batch

    lay = layout()
    expected: set[str] = set()
    if lay.landing_batch(batch_date).is_dir():
        expected |= {f["source"] for f in discover_batch(str(lay.landing), batch_date)}
    if lay.raw.is_dir():
        expected |= {p.name for p in lay.raw.iterdir() if partition_glob("raw", p.name, batch_date)}
    recon: dict[str, tuple] = {}
    if relation_exists(con, "governance", "reconciliation"):
        for source, file, counted, loaded, quarantined in con.execute(
            "select source, file, rows_counted, rows_loaded, rows_quarantined"
            " from governance.reconciliation where batch_date = ?",
            [parse_batch_date(batch_date)],
        ).fetchall():
            recon[source] = (file, counted, loaded, quarantined)
    if relation_exists(con, "governance", "ingest_refusals"):  # a refused file fails closed too
        expected |= {
            source
            for (source,) in con.execute(
                "select source from governance.ingest_refusals"
                " where batch_date = ? and source is not null",
                [parse_batch_date(batch_date)],
            ).fetchall()
        }
    rows = []
    for source in sorted(expected | set(recon)):
        raw = partition_glob("raw", source, batch_date)
        raw_rows = (
            con.execute(f"select count(*) from read_parquet({sql_string(raw)})").fetchone()[0]
            if raw
            else 0
        )
        if source in recon:
            file, counted, loaded, quarantined = recon[source]
            rows.append(
                {
                    "source": source,
                    "file": file,
                    "has_reconciliation_row": True,
                    "difference": int(counted) - int(loaded) - int(quarantined),
                    "raw_rows_match": int(loaded) == raw_rows,
                    "quarantine_rate": (quarantined / counted) if counted else 0.0,
                }
            )
        else:
            rows.append(
                {
                    "source": source,
                    "file": None,
                    "has_reconciliation_row": False,
                    "difference": None,
                    "raw_rows_match": False,
                    "quarantine_rate": None,
                }
            )
    columns = [
        "source",
        "file",
        "has_reconciliation_row",
        "difference",
        "raw_rows_match",
        "quarantine_rate",
    ]
    return pd.DataFrame(rows, columns=columns).astype(
        {"difference": "Int64", "quarantine_rate": "Float64"}
    )


# -- compliance ---------------------------------------------------------------------------------


def rule_checks_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every evaluated unit with whether it violates and lacks its finding."""
    columns = ["rule_id", "subject_type", "subject", "is_violation", "missing_finding"]
    if not (
        relation_exists(con, "marts", "compliance_rule_checks")
        and relation_exists(con, "marts", "compliance_findings")
    ):
        return pd.DataFrame(columns=columns)
    return to_pandas(
        con,
        """
        with violating_units as (
            select distinct rule_id, subject
            from marts.compliance_findings
        )

        select
            checks.rule_id,
            checks.subject_type,
            checks.subject,
            coalesce(checks.is_violation, false) as is_violation,
            coalesce(checks.is_violation, false) and findings.rule_id is null as missing_finding,
        from marts.compliance_rule_checks as checks
        left join violating_units as findings
            on checks.rule_id = findings.rule_id and checks.subject = findings.subject
        """,
    )


def rule_models_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per rule evaluated by a model with a ``violates_<rule>`` flag: model vs checks counts."""
    rows = []
    have_checks = relation_exists(con, "marts", "compliance_rule_checks")
    for rule_id, rule in sorted(compliance_rules().rules.items()):
        flag = "violates_" + rule_id.lower().replace("-", "_")
        if not rule.model or not relation_exists(con, "marts", rule.model):
            continue
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns"
                " where table_catalog = current_database() and table_schema = 'marts'"
                " and table_name = ?",
                [rule.model],
            ).fetchall()
        }
        if flag not in columns:
            continue
        model_violations = con.execute(
            f'select count(*) from marts."{rule.model}" where "{flag}"'
        ).fetchone()[0]
        check_violations = (
            con.execute(
                "select count(distinct subject) from marts.compliance_rule_checks"
                " where rule_id = ? and is_violation",
                [rule_id],
            ).fetchone()[0]
            if have_checks
            else 0
        )
        rows.append(
            {
                "rule_id": rule_id,
                "model": rule.model,
                "model_violations": model_violations,
                "check_violations": check_violations,
                "model_has_violations": model_violations > 0,
                "checks_have_violations": check_violations > 0,
            }
        )
    columns = ["rule_id", "model", "model_violations", "check_violations"]
    return pd.DataFrame(rows, columns=[*columns, "model_has_violations", "checks_have_violations"])


# -- marketing audience -------------------------------------------------------------------------


def audience_frame(con: duckdb.DuckDBPyConnection, batch_date: str) -> pd.DataFrame:
    """Each audience row with whether a protected consent backs it at the batch end."""
    consents = partition_glob("protected", "consents", batch_date)
    purposes = ", ".join(
        f"({sql_string(channel)}, {sql_string(purpose)})"
        for channel, purpose in consent_channels().channels.items()
    )
    valid = "false"
    join = ""
    if consents:
        end = batch_end_sql(batch_date)
        join = f"""
        left join read_parquet({sql_string(consents)}) as consents
            on audience.consent_id = consents.consent_id
            and audience.customer_token = consents.customer_token
        left join (values {purposes}) as channel_purposes(channel, purpose)
            on audience.channel = channel_purposes.channel
        """
        valid = f"""coalesce(
            consents.purpose = channel_purposes.purpose
            and consents.notice_version is not distinct from audience.notice_version
            and consents.granted_at < {end}
            and (consents.withdrawn_at is null or consents.withdrawn_at >= {end}),
            false)"""
    return to_pandas(
        con,
        f"""
        select
            audience.customer_token,
            audience.channel,
            audience.consent_id,
            audience.notice_version,
            {valid} as consent_valid_at_batch_end,
        from marts.marketing_audience as audience
        {join}
        """,
    )


# -- mart columns vs the catalog ----------------------------------------------------------------


def _protected_manifest(source: str, batch_date: str) -> ProtectionManifest | None:
    """The protect stage's manifest of a protected partition (None when it has none)."""
    path = layout().protected_partition(source, batch_date) / PROTECTION_JSON
    return read_protection_manifest(path) if path.is_file() else None


def _outputs(manifest: ProtectionManifest | None, column: str) -> list[str]:
    return manifest.outputs_of(column) if manifest is not None else []


def mart_columns_frame(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, batch_date: str
) -> pd.DataFrame:
    """One row per (mart column, source column it derives from or is named after)."""
    entries: dict[tuple[str, str], dict] = {}
    for source, columns in catalog.tables.items():
        manifest = _protected_manifest(source, batch_date)
        for column, entry in columns.items():
            dropped = entry.protection == ProtectionClass.DROP or (
                manifest is not None and manifest.form_of(column) == ProtectiveForm.DROPPED
            )
            entries[(source, column)] = {
                "entity": entry.entity,
                # the customer key is tokenised whatever its score (as the protect stage does)
                "confidence": 1.0
                if entry.protection == ProtectionClass.TOKEN_KEY
                else entry.confidence,
                "dropped": dropped,
            }
    kept_names = {c for (_, c), e in entries.items() if not e["dropped"]}
    dropped_names = {c for (_, c), e in entries.items() if e["dropped"]} - kept_names
    mart_columns = con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() and table_schema = 'marts'"
    ).fetchall()
    lineage: dict[tuple[str, str], set[tuple[str, str]]] = {}
    if relation_exists(con, "marts", "field_inventory"):
        for source, column, mart, mart_column in con.execute(
            "select source_name, column_name, mart_name, mart_column from marts.field_inventory"
            " where mart_name is not null"
        ).fetchall():
            lineage.setdefault((mart, mart_column), set()).add((source, column))
    rows = []
    for table, column in mart_columns:
        origins = set(lineage.get((table, column), set()))
        if column in dropped_names:
            origins |= {(s, c) for (s, c) in entries if c == column}
        if not origins:
            rows.append((table, column, None, None, None, None, False))
        for source, source_column in sorted(origins):
            e = entries.get((source, source_column))
            if e is None:  # lineage to a column the catalog does not know: unclassified
                rows.append((table, column, source, source_column, UNCLASSIFIED, 0.0, True))
                continue
            rows.append(
                (table, column, source, source_column, e["entity"], e["confidence"], e["dropped"])
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "mart_table",
            "mart_column",
            "source_name",
            "source_column",
            "source_entity",
            "source_confidence",
            "source_dropped",
        ],
    )
    return frame.astype({"source_confidence": "Float64", "source_dropped": bool})


# -- warnings -----------------------------------------------------------------------------------


def retention_coverage_frame(con: duckdb.DuckDBPyConnection, batch_date: str) -> pd.DataFrame:
    """One row: per retained source, days of its retention window missing from the extract."""
    org = organisation()
    dated = {"marketing_messages": "sent_at", "orders": "ordered_at", "contracts": "signed_at"}
    day = parse_batch_date(batch_date)
    row: dict[str, int] = {}
    for source, years in retention_years().items():
        # the window starts n years back, never before the organisation went live
        start = max(org.go_live_date, _years_before(day, years))
        path = partition_glob("protected", source, batch_date)
        oldest = None
        if path:
            oldest = con.execute(
                f"select min(cast(timezone({sql_string(org.timezone)}, {dated[source]}) as date))"
                f" from read_parquet({sql_string(path)})"
            ).fetchone()[0]
        reach = oldest if oldest is not None else day
        row[f"{source}_days_missing"] = max(0, (reach - start).days)
    return pd.DataFrame([row])


def retention_years() -> dict[str, int]:
    rules = compliance_rules()
    return {
        "marketing_messages": rules.parameters.mkt_04.message_retention_years,
        "orders": rules.parameters.mkt_04.order_retention_years,
        "contracts": rules.parameters.con_03.retention_years,
    }


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def closed_customers_frame(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, batch_date: str
) -> pd.DataFrame:
    """Closed customers still holding personal data, days closed, and legal holds on them."""
    columns = ["customer_token", "days_closed", "days_closed_without_legal_hold"]
    customers = partition_glob("protected", "customers", batch_date)
    if not customers:
        return pd.DataFrame(columns=columns)
    manifest = _protected_manifest("customers", batch_date)
    personal = sorted(
        {
            out
            for column, entry in catalog.columns_of("customers").items()
            if entry.protection in PERSONAL_CLASSES
            for out in _outputs(manifest, column)
        }
    )
    present = {
        r[0]
        for r in con.execute(
            f"describe select * from read_parquet({sql_string(customers)})"
        ).fetchall()
    }
    personal = [c for c in personal if c in present]
    holds = " or ".join(f'"{c}" is not null' for c in personal) or "false"
    rules = compliance_rules()
    tz = organisation().timezone
    day = f"date '{batch_date}'"
    legal = []
    orders = partition_glob("protected", "orders", batch_date)
    if orders:
        legal.append(
            f"""select customer_token from read_parquet({sql_string(orders)})
            where cast(timezone({sql_string(tz)}, coalesce(delivered_at, ordered_at)) as date)
                + to_years({rules.parameters.mkt_04.order_retention_years}) > {day}"""
        )
    contracts = partition_glob("protected", "contracts", batch_date)
    if contracts:
        legal.append(
            f"""select customer_token from read_parquet({sql_string(contracts)})
            where cast(timezone({sql_string(tz)}, signed_at) as date)
                + to_years({rules.parameters.con_03.retention_years}) > {day}"""
        )
    legal_sql = " union ".join(legal) or "select null::varchar as customer_token where false"
    return to_pandas(
        con,
        f"""
        with closed_holding_personal_data as (
            select
                customer_token,
                {day} - cast(timezone({sql_string(tz)}, closed_at) as date) as days_closed,
            from read_parquet({sql_string(customers)})
            where status = 'closed' and closed_at is not null and ({holds})
        ),

        under_legal_retention as ({legal_sql})

        select
            closed.customer_token,
            closed.days_closed,
            case when held.customer_token is null then closed.days_closed end
                as days_closed_without_legal_hold,
        from closed_holding_personal_data as closed
        left join (select distinct customer_token from under_legal_retention) as held
            on closed.customer_token = held.customer_token
        """,
    ).astype({"days_closed": "Int64", "days_closed_without_legal_hold": "Int64"})


def localisation_frame(
    con: duckdb.DuckDBPyConnection, batch_date: str
) -> tuple[pd.DataFrame, bool]:
    """One row of counts: offshore records per source; over-threshold cross-border exposure."""
    from expectations.suites.localisation import STORED_SOURCES

    regions = ", ".join(sql_string(r) for r in organisation().mainland_regions)
    row: dict[str, int] = {}
    for source in STORED_SOURCES:
        path = partition_glob("protected", source, batch_date)
        row[f"{source}_offshore_records"] = (
            con.execute(
                f"select count(*) from read_parquet({sql_string(path)})"
                f" where storage_region is not null and storage_region not in ({regions})"
            ).fetchone()[0]
            if path
            else 0
        )
    with_cross_border = False
    if relation_exists(con, "marts", "cross_border_exposure"):
        has_flag = con.execute(
            "select count(*) from information_schema.columns"
            " where table_catalog = current_database() and table_schema = 'marts'"
            " and table_name = 'cross_border_exposure'"
            " and column_name = 'violates_data_04'"
        ).fetchone()[0]
        if has_flag:
            with_cross_border = True
            row["cross_border_over_threshold"] = con.execute(
                "select count(*) from marts.cross_border_exposure where violates_data_04"
            ).fetchone()[0]
    return pd.DataFrame([row]), with_cross_border


def message_log_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return to_pandas(
        con,
        "select message_id, coalesce(is_consent_authorised, false) as is_consent_authorised"
        " from marts.marketing_message_log",
    )


# -- protected lake (Parquet) --------------------------------------------------------------------


def vault_columns(catalog: Catalog, batch_date: str) -> dict[str, tuple[Path, list[VaultColumn]]]:
    """Per source with vault_token_mask columns: its protected partition and columns to check."""
    lay = layout()
    out: dict[str, tuple[Path, list[VaultColumn]]] = {}
    for source, columns in sorted(catalog.tables.items()):
        vaulted = {
            c: e for c, e in columns.items() if e.protection == ProtectionClass.VAULT_TOKEN_MASK
        }
        folder = lay.protected_partition(source, batch_date)
        if not vaulted or not any(folder.glob("*.parquet")):
            continue
        manifest = _protected_manifest(source, batch_date)
        present = set(
            duckdb.sql(
                f"describe select * from read_parquet({sql_string(folder / '*.parquet')})"
            ).df()["column_name"]
        )
        checks: list[VaultColumn] = []
        for column, entry in sorted(vaulted.items()):
            outputs = _outputs(manifest, column) or [
                f"{column}_token",
                f"{column}_mask",
            ]
            for out_col in outputs:
                if out_col in present:
                    role = "token" if out_col.endswith("_token") else "mask"
                    checks.append(VaultColumn(out_col, column, entry.entity, role))
            if column in present and column not in outputs:
                checks.append(VaultColumn(column, column, entry.entity, "clear_name"))
        if checks:
            out[source] = (folder, checks)
    return out
