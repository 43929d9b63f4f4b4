"""Classification drift: columns whose entity, tier, protection class or form changed since the
previous batch, recorded in ``governance.classification_drift`` and logged, never a failed build.

A customer's exports change: a column that held names starts holding employee numbers, a free
text field starts holding codes, a column appears or goes away. The classifier follows the data
and staging follows the catalog (``macros/stage_source.sql``), so the build still runs; what an
auditor needs is to see that the classification moved. The previous state is the catalog history
(``governance.catalog_history``, written by the classify task) of the latest earlier batch, with
each layer's form from that batch's ``_protection.json`` while its partition is in the lake (a
form is compared only when both batches' manifests are there). Recorded when a build is
prepared, after protect wrote the batch's manifests.
"""

from __future__ import annotations

import datetime as dt
import logging

import duckdb

from crmguard.dbt_meta import LAYERS, read_protection
from crmguard.governance_log import ensure_tables
from crmguard.warehouse import connect

log = logging.getLogger(__name__)

TABLE = "governance.classification_drift"  # defined in crmguard.governance_log

# one row per column of either batch that changed; `change` says what, in catalog words
_DRIFT_SQL = """
with previous_columns as (
    select * from governance.catalog_history where batch_date = $previous
),
current_columns as (
    select * from governance.catalog_history where batch_date = $batch
),
paired as (
    select
        coalesce(c.table_name, p.table_name) as source_name,
        coalesce(c.column_name, p.column_name) as column_name,
        p.column_name is not null as was_there,
        c.column_name is not null as is_there,
        p.entity as previous_entity, c.entity,
        p.tier as previous_tier, c.tier,
        p.protection as previous_protection, c.protection,
        pf.protected_form as previous_protected_form, cf.protected_form,
        pf.restricted_form as previous_restricted_form, cf.restricted_form
    from current_columns as c
    full join previous_columns as p
        on c.table_name = p.table_name and c.column_name = p.column_name
    left join forms as cf
        on cf.batch_date = $batch
        and cf.source_name = coalesce(c.table_name, p.table_name)
        and cf.column_name = coalesce(c.column_name, p.column_name)
    left join forms as pf
        on pf.batch_date = $previous
        and pf.source_name = coalesce(c.table_name, p.table_name)
        and pf.column_name = coalesce(c.column_name, p.column_name)
),
described as (
    select
        *,
        case
            when not was_there then 'new column: ' || entity || '/' || tier || '/' || protection
            when not is_there then 'no longer in the batch (was ' || previous_entity || '/'
                || previous_tier || '/' || previous_protection || ')'
            else concat_ws('; ',
                case when entity is distinct from previous_entity
                    then 'entity ' || previous_entity || ' -> ' || entity end,
                case when tier is distinct from previous_tier
                    then 'tier ' || previous_tier || ' -> ' || tier end,
                case when protection is distinct from previous_protection
                    then 'protection ' || previous_protection || ' -> ' || protection end,
                case when protected_form <> previous_protected_form
                    then 'protected form ' || previous_protected_form || ' -> ' || protected_form
                end,
                case when restricted_form <> previous_restricted_form
                    then 'restricted form ' || previous_restricted_form || ' -> '
                        || restricted_form
                end)
        end as change
    from paired
)
select
    $batch::date, $previous::date, source_name, column_name,
    previous_entity, entity, previous_tier, tier, previous_protection, protection,
    previous_protected_form, protected_form, previous_restricted_form, restricted_form,
    change, $now::timestamptz
from described
where change <> ''
order by source_name, column_name
"""


def _forms(batch_dates: list[str], sources: list[str]) -> list[tuple]:
    """(batch_date, source, column, protected form, restricted form) from the manifests."""
    rows = []
    for batch_date in batch_dates:
        for source in sources:
            manifests = {layer: read_protection(layer, source, batch_date) for layer in LAYERS}
            columns = set().union(*((m or {}).get("columns", {}) for m in manifests.values()))
            for column in sorted(columns):
                forms = [
                    (m or {}).get("columns", {}).get(column, {}).get("form")
                    for m in manifests.values()
                ]
                rows.append((batch_date, source, column, *forms))
    return rows


def record_drift(batch_date: str, con: duckdb.DuckDBPyConnection | None = None) -> list[dict]:
    """Replace the batch's rows of ``governance.classification_drift``; one log line per column.

    Nothing to compare (first batch, or no catalog history yet) records nothing.
    """
    own = con is None
    con = con or connect()
    try:
        ensure_tables(con)
        con.execute(f"delete from {TABLE} where batch_date = ?", [batch_date])
        history = con.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'governance' and table_name = 'catalog_history'"
        ).fetchone()
        if not history or not history[0]:
            return []
        found = con.execute(
            "select max(batch_date)::varchar from governance.catalog_history"
            " where batch_date < ?::date",
            [batch_date],
        ).fetchone()
        previous = found[0] if found else None
        if previous is None:
            return []
        sources = [
            r[0]
            for r in con.execute(
                "select distinct table_name from governance.catalog_history"
                " where batch_date in (?::date, ?::date) order by 1",
                [batch_date, previous],
            ).fetchall()
        ]
        con.execute(
            "create or replace temp table forms (batch_date date, source_name varchar,"
            " column_name varchar, protected_form varchar, restricted_form varchar)"
        )
        forms = _forms([batch_date, previous], sources)
        if forms:
            con.executemany("insert into forms values (?, ?, ?, ?, ?)", forms)
        params = {"batch": batch_date, "previous": previous, "now": dt.datetime.now(dt.UTC)}
        con.execute(f"insert into {TABLE} {_DRIFT_SQL}", params)
        cur = con.execute(
            f"select * from {TABLE} where batch_date = ? order by source_name, column_name",
            [batch_date],
        )
        names = [d[0] for d in cur.description]
        drift = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        if own:
            con.close()
    for row in drift:
        log.warning(
            "classification drift in batch %s since %s: %s.%s %s",
            batch_date,
            previous,
            row["source_name"],
            row["column_name"],
            row["change"],
        )
    return drift
