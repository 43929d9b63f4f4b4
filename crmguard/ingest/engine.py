"""The ingest record pipeline as DuckDB set operations, SQL built from the landing contract.

One place turns the contract (config/landing_contract.yaml) and the formats
(config/ingest_formats.yaml) into SQL: NFKC + trim for everything but free text (NFKC by
pyarrow's utf8proc as a vectorised Arrow UDF, only for values that are not plain ASCII), enum
folding, ISO dates, ISO-8601 timestamps (naive ones in the contract's zone, by ICU), decimals and
integers checked as text before they are cast, booleans from the configured spellings. Each
rejected value gets the reason text the per-record caster used to give, so reasons stay
comparable across releases. Duplicate keys are resolved by a window over the duplicated keys
only; losers and every other rejected record form the quarantine, written with raw by COPY.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crmguard.config import ContractColumn, SourceContract
from crmguard.ingest import parse
from crmguard.ingest.formats import IngestEngine, IngestFormats
from crmguard.ingest.scan import PreparedFile

# reject kind per column type when a value does not cast
KIND_BY_TYPE = {
    "date": "invalid_date",
    "timestamp": "invalid_timestamp",
    "enum": "invalid_enum",
    "decimal": "cast_error",
    "integer": "cast_error",
    "boolean": "cast_error",
}
SQL_TYPE = {
    "identifier": "varchar",
    "enum": "varchar",
    "text": "varchar",
    "date": "date",
    "timestamp": "timestamptz",
    "integer": "bigint",
    "boolean": "boolean",
}
# what Python's str.strip() removes (the old caster's trim): every Unicode whitespace character
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_TIMESTAMP = (
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2})(?::([0-9]{2})(?::([0-9]{2})"
    r"(?:[.,]([0-9]{1,6}))?)?)?)?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
_JSON_TYPES = {
    "ARRAY": "list",
    "VARCHAR": "str",
    "BIGINT": "int",
    "UBIGINT": "int",
    "DOUBLE": "float",
    "BOOLEAN": "bool",
    "NULL": "NoneType",
}


def strip(expr: str) -> str:
    """SQL for Python's str.strip(): the full Unicode whitespace trim only when the value starts
    or ends with whitespace (trim with a long character set is slow per value)."""
    codes = ", ".join(str(ord(c)) for c in _WHITESPACE)
    return (
        f"(case when unicode({expr}) in ({codes}) or unicode(right({expr}, 1)) in ({codes}) "
        f"then trim({expr}, {lit(_WHITESPACE)}) else {expr} end)"
    )


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def py_repr(expr: str) -> str:
    """SQL for Python's repr() of a str value (quotes chosen as Python does; \\ \\n \\r \\t)."""
    esc = (
        f"replace(replace(replace(replace({expr}, '\\', '\\\\'), chr(10), '\\n'), "
        f"chr(13), '\\r'), chr(9), '\\t')"
    )
    return (
        f"(case when contains({expr}, '''') and not contains({expr}, '\"') "
        f"then '\"' || {esc} || '\"' else '''' || replace({esc}, '''', '\\''') || '''' end)"
    )


def _py_list(values: list[str]) -> str:
    return str(list(values))


# placeholders in a column's SQL for the columns of the layer below (each computed once a row)
TYPED, PARTS = "\x00typed\x00", "\x00parts\x00"


@dataclass(frozen=True)
class ColumnSql:
    """SQL of one contract column over its delivered text ``v`` and normalised text ``n``."""

    typed: str  # the typed value (NULL when empty or not castable)
    reason: str  # why it is rejected, or NULL (refers to the typed value as TYPED)
    parts: str | None = None  # a value parsed once before typing (referred to as PARTS)


class ContractSql:
    """The casts and checks of one source, as SQL expressions."""

    def __init__(self, contract: SourceContract, timezone: str, formats: IngestFormats) -> None:
        self.contract = contract
        self.timezone = timezone
        self.formats = formats

    @staticmethod
    def folded(column: ContractColumn, v: str) -> str | None:
        """NFKC of the delivered text (free text: None, kept as delivered); plain ASCII is
        NFKC-invariant, so only other values reach the Arrow UDF."""
        if column.type == "text":
            return None
        return f"(case when strlen({v}) = length({v}) then {v} else crmguard_nfkc({v}) end)"

    @staticmethod
    def normalised(f: str) -> str:
        """Trimmed as Python's strip(), empty -> NULL (``f``: the folded or delivered text)."""
        return f"nullif({strip(f)}, '')"

    def column(self, name: str, column: ContractColumn, v: str, n: str) -> ColumnSql:
        said = f"'column {name}: value ' || {py_repr(v)}"
        fmt = self.formats
        match column.type:
            case "identifier" | "text":
                return ColumnSql(n, "null")
            case "enum":
                folded = f"upper({n})" if column.case == "upper" else f"lower({n})"
                values = ", ".join(lit(x) for x in column.values or [])
                typed = f"(case when {folded} in ({values}) then {folded} end)"
                why = f"{said} || {lit(' is not one of ' + _py_list(column.values or []))}"
                return ColumnSql(typed, f"(case when {n} is not null and {TYPED} is null "
                                        f"then {why} end)")  # fmt: skip
            case "date":
                typed = (
                    f"(case when regexp_full_match({n}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                    f"then try_strptime({n}, '%Y-%m-%d')::date end)"
                )
                why = f"{said} || ' is not a date (expected YYYY-MM-DD)'"
                return ColumnSql(typed, f"(case when {n} is not null and {TYPED} is null "
                                        f"then {why} end)")  # fmt: skip
            case "timestamp":
                return self._timestamp(n, said)
            case "decimal":
                return self._decimal(n, said, fmt)
            case "integer":
                return self._integer(column, n, said)
            case "boolean":
                true = ", ".join(lit(x) for x in self._folded(fmt.boolean_true))
                false = ", ".join(lit(x) for x in self._folded(fmt.boolean_false))
                typed = (
                    f"(case when lower({n}) in ({true}) then true "
                    f"when lower({n}) in ({false}) then false end)"
                )
                expected = _py_list(fmt.boolean_true + fmt.boolean_false)
                why = f"{said} || {lit(' is not a boolean (expected one of ' + expected + ')')}"
                return ColumnSql(typed, f"(case when {n} is not null and {TYPED} is null "
                                        f"then {why} end)")  # fmt: skip
        raise ValueError(f"unknown column type {column.type!r}")

    @staticmethod
    def _folded(values: list[str]) -> list[str]:
        import unicodedata  # spellings from config, folded once when the SQL is built

        return [unicodedata.normalize("NFKC", v).lower() for v in values]

    def _timestamp(self, n: str, said: str) -> ColumnSql:
        # the shapes CRM exports use (YYYY-MM-DD[T ]HH:MM:SS, optionally +HH:MM) are checked by
        # position and cast directly; any other ISO-8601 form goes through the full pattern
        shape = (
            f"substr({n}, 5, 1) = '-' and substr({n}, 8, 1) = '-' "
            f"and substr({n}, 11, 1) in ('T', ' ') and substr({n}, 14, 1) = ':' "
            f"and substr({n}, 17, 1) = ':' and substr({n}, 12, 2) < '24'"
        )
        naive_fast = f"(length({n}) = 19 and {shape})"
        offset_fast = (
            f"(length({n}) = 25 and {shape} and substr({n}, 20, 1) in ('+', '-') "
            f"and substr({n}, 23, 1) = ':')"
        )
        fast = f"({naive_fast} or {offset_fast})"
        parts = (
            f"(case when not {fast} then regexp_extract({n}, {lit(_TIMESTAMP)}, "
            "['yy','mo','dd','hh','mi','ss','ff','zz']) end)"
        )
        p = PARTS
        text = (
            f"{p}.yy || '-' || {p}.mo || '-' || {p}.dd || ' ' || "
            f"coalesce(nullif({p}.hh, ''), '00') || ':' || coalesce(nullif({p}.mi, ''), '00') "
            f"|| ':' || coalesce(nullif({p}.ss, ''), '00') || '.' || rpad({p}.ff, 6, '0')"
        )
        naive = f"try_cast({text} as timestamp)"
        zz = f"{p}.zz"
        minutes = (
            f"(case when left({zz}, 1) = '-' then -1 else 1 end) * "
            f"(cast(substr({zz}, 2, 2) as integer) * 60 + "
            f"coalesce(try_cast(right(replace({zz}, ':', ''), 2) as integer) "
            f"* (length(replace({zz}, ':', '')) = 5)::integer, 0))"
        )
        zone = lit(self.timezone)
        typed = (
            f"(case when {naive_fast} then timezone({zone}, try_cast({n} as timestamp)) "
            f"when {offset_fast} then try_cast({n} as timestamptz) "
            f"when regexp_full_match({n}, {lit(_TIMESTAMP)}) then "
            f"(case when {zz} = '' then timezone({zone}, {naive}) "
            f"when {zz} = 'Z' then timezone('UTC', {naive}) "
            f"else timezone('UTC', {naive} - to_minutes({minutes})) end) end)"
        )
        why = f"{said} || ' is not an ISO-8601 timestamp'"
        return ColumnSql(
            typed, f"(case when {n} is not null and {TYPED} is null then {why} end)", parts
        )

    def _decimal(self, n: str, said: str, fmt: IngestFormats) -> ColumnSql:
        p, s = fmt.decimal_precision, fmt.decimal_scale
        shape = f"regexp_full_match({n}, '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)')"
        whole = f"length(ltrim(regexp_extract({n}, '^[+-]?([0-9]*)', 1), '0'))"
        frac = f"length(rtrim(regexp_extract({n}, '\\.([0-9]*)$', 1), '0'))"
        typed = (
            f"(case when {shape} and {whole} <= {p - s} and {frac} <= {s} "
            f"then cast({n} as decimal({p}, {s})) end)"
        )
        why = (
            f"(case when not {shape} then {said} || ' is not a decimal' "
            f"when {whole} > {p - s} then {said} || ' does not fit DECIMAL({p},{s})' "
            f"else {said} || ' has more than {s} decimal places' end)"
        )
        return ColumnSql(typed, f"(case when {n} is not null and {TYPED} is null then {why} end)")

    def _integer(self, column: ContractColumn, n: str, said: str) -> ColumnSql:
        shape = f"regexp_full_match({n}, '[+-]?[0-9]+')"
        value = f"try_cast({n} as bigint)"
        checks = [
            f"when not {shape} or {value} is null then {said} || ' is not an integer'",
        ]
        ok = [f"{shape}", f"{value} is not null"]
        if column.min is not None:
            checks.append(f"when {value} < {column.min} then {said} || "
                          f"' is below the minimum {column.min}'")  # fmt: skip
            ok.append(f"{value} >= {column.min}")
        if column.max is not None:
            checks.append(f"when {value} > {column.max} then {said} || "
                          f"' is above the maximum {column.max}'")  # fmt: skip
            ok.append(f"{value} <= {column.max}")
        typed = f"(case when {' and '.join(ok)} then {value} end)"
        why = f"(case {' '.join(checks)} end)"
        return ColumnSql(typed, f"(case when {n} is not null then {why} end)")

    def sql_type(self, column: ContractColumn) -> str:
        if column.type == "decimal":
            return f"decimal({self.formats.decimal_precision}, {self.formats.decimal_scale})"
        return SQL_TYPE[column.type]

    def typed_query(self, source: str, delivered: dict[str, str], unknown: list[str]) -> str:
        """A query over ``source`` (``delivered``: canonical name -> its text column) giving the
        typed contract columns, the unknown columns as text, ``_reason``, ``_kind``,
        ``_key_raw``. Built in layers so each normalised value, parse and cast is computed once
        per row however often the checks refer to it."""
        folded, normal, parts, typed, reasons, out = [], [], [], [], [], []
        reason_cols, kind_cols = [], []
        for i, (name, column) in enumerate(self.contract.columns.items()):
            v = delivered.get(name)
            if v is None:
                out.append(f"cast(null as {self.sql_type(column)}) as {ident(name)}")
                if column.required:
                    reason_cols.append(lit(f"column {name}: required, empty"))
                    kind_cols.append("'missing_required'")
                continue
            f, n, p, t, r = f"_f{i}", f"_n{i}", f"_p{i}", f"_t{i}", f"_r{i}"
            fold = self.folded(column, v)
            if fold is not None:
                folded.append(f"{fold} as {f}")
            normal.append(f"{self.normalised(f if fold is not None else v)} as {n}")
            sql = self.column(name, column, v, n)
            if sql.parts:
                parts.append(f"{sql.parts} as {p}")
            typed.append(f"{sql.typed.replace(PARTS, p)} as {t}")
            out.append(f"{t} as {ident(name)}")
            reason = sql.reason.replace(TYPED, t).replace(PARTS, p)
            kind = lit(KIND_BY_TYPE[column.type]) if sql.reason != "null" else "null"
            if column.required:
                missing = lit(f"column {name}: required, empty")
                reason = f"coalesce({reason}, case when {t} is null then {missing} end)"
                kind = (
                    f"(case when {r} is not null and {t} is null and {r} <> {missing} "
                    f"then {kind} when {t} is null then 'missing_required' end)"
                    if sql.reason != "null"
                    else f"(case when {t} is null then 'missing_required' end)"
                )
            elif sql.reason != "null":
                kind = f"(case when {r} is not null then {kind} end)"
            else:
                continue
            reasons.append(f"{reason} as {r}")
            reason_cols.append(r)
            kind_cols.append(kind)
        for name in unknown:
            out.append(f"nullif({delivered[name]}, '') as {ident(name)}")
        reason_sql = (
            f"nullif(concat_ws('; ', {', '.join(reason_cols)}), '')" if reason_cols else "null"
        )
        kind_sql = f"coalesce({', '.join(kind_cols)})" if kind_cols else "null"
        key = delivered.get(self.contract.key)
        key_raw = f"nullif({strip(key)}, '')" if key else "null"
        layers = [folded, normal, parts, typed, reasons]
        query = source
        for n_layer, layer in enumerate(layers):
            if layer:
                query = f"(select *, {', '.join(layer)} from {query}) as _l{n_layer}"
        select = ", ".join(
            ["_line_n", "_span_ok", "_pre_reason", *out,
             f"{reason_sql} as _reason", f"{kind_sql} as _kind", f"{key_raw} as _key_raw"]
        )  # fmt: skip
        return f"select {select} from {query}"


def _nfkc(values: pa.Array) -> pa.Array:
    return pc.utf8_normalize(values, "NFKC")


def connect(work: Path, engine: IngestEngine) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session, bounded, spilling to the private work folder (an in-memory
    table is offloaded there under memory pressure; a database file would be written through
    and checkpointed, three times slower here)."""
    con = duckdb.connect()
    spill = work / "spill"
    spill.mkdir(mode=0o700, exist_ok=True)
    con.execute(f"set memory_limit = {lit(engine.memory_limit)}")
    con.execute(f"set temp_directory = {lit(str(spill))}")
    con.execute(f"set threads = {int(engine.threads)}")
    con.execute("set preserve_insertion_order = false")
    con.execute("set timezone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    con.create_function(
        "crmguard_nfkc",
        _nfkc,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
    )
    return con


@dataclass
class EngineResult:
    names: list[str]  # canonical names of the delivered columns
    unknown: list[str]
    loaded_sql: str  # select of the rows to load (raw schema order)
    quarantine_sql: str  # select of the quarantine rows (quarantine schema order)
    rows_loaded: int
    rows_quarantined: int
    by_kind: dict[str, int]


def _rejects(
    con: duckdb.DuckDBPyConnection, prepared: PreparedFile, rejects_table: str, fmt: str
) -> None:
    """Map the parser's rejects to records by byte position (numpy, over the few rejects)."""
    got = con.sql(
        f"select line_byte_position, error_type::varchar, error_message from {rejects_table} "
        "order by line_byte_position"
    ).to_arrow_table()
    pos = got.column(0).to_numpy(zero_copy_only=False).astype(np.int64)
    idx = np.searchsorted(prepared.rec_pstart, pos, side="right") - 1
    idx = np.clip(idx, 0, max(prepared.rec_line.size - 1, 0))
    lines = prepared.rec_line[idx] if prepared.rec_line.size else pos
    table = pa.table(
        {"line": pa.array(lines, pa.int64()), "error_type": got.column(1),
         "message": got.column(2)}
    )  # fmt: skip
    con.register("rejects_found", table)
    shift = 1 if fmt == "jsonl" else 2  # the prefix columns the scan added
    message = (
        "regexp_replace(message, 'Expected Number of Columns: [0-9]+ Found: [0-9]+', "
        "'Expected Number of Columns: ' || "
        f"(cast(regexp_extract(message, 'Columns: ([0-9]+)', 1) as bigint) - {shift}) || "
        f"' Found: ' || (cast(regexp_extract(message, 'Found: ([0-9]+)', 1) as bigint) - {shift}))"
    )
    if fmt == "jsonl":
        kind, reason = "'malformed_json'", "'malformed JSON: control character U+0001 in line'"
    else:
        kind = (
            "case when contains(error_type, 'COLUMNS') then 'ragged_row' else 'malformed_csv' end"
        )
        reason = (
            f"lower(error_type) || ': ' || case when regexp_matches(message, "
            f"'Expected Number of Columns: [0-9]+ Found: [0-9]+') then {message} "
            "else message end"
        )
    con.execute(
        "create temp table rejected as select line, "
        f"{kind} as kind, {reason} as reason from rejects_found "
        "qualify row_number() over (partition by line order by line) = 1"
    )


def run(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedFile,
    contract: SourceContract,
    timezone: str,
    formats: IngestFormats,
    file_name: str,
    day: dt.date,
    source: str,
) -> EngineResult:
    """Parse, cast, deduplicate and classify; the caller COPYs ``loaded_sql`` and
    ``quarantine_sql`` once reconciliation holds."""
    sql = ContractSql(contract, timezone, formats)
    con.register("bad_records", prepared.bad_records)
    con.register("line_rows", prepared.line_rows)
    if prepared.fmt == "csv":
        names, delivered, checks = _csv_delivered(con, prepared, contract, formats)
    else:
        names, delivered, checks = _jsonl_delivered(con, prepared, contract, formats)
    unknown = [n for n in dict.fromkeys(names) if n not in contract.columns]
    con.execute(f"create table typed as {sql.typed_query('delivered_rows', delivered, unknown)}")
    _rejects(con, prepared, "ingest_rejects", prepared.fmt)  # filled by the read above
    # a record is classified once: rows the scan and the parser split differently, then the
    # parser's rejects, then undecodable bytes, then values that do not cast, then duplicates
    con.execute(
        f"""
        create temp table flagged as
        select _line_n as line, {checks["kind"]} as kind, _pre_reason as reason,
            null::varchar as record_key, null::varchar as raw_bytes_b64, 1 as priority
        from typed
        where _line_n is not null and _pre_reason is not null
        union all
        select line, kind, reason, null, null, 2 from rejected
        union all
        select line, kind, reason, null, raw_bytes_b64, 3 from bad_records
        union all
        select _line_n, _kind, _reason, _key_raw, null, 4 from typed
        where _line_n is not null and _pre_reason is null and _reason is not null
        """
    )
    key, order_by = ident(contract.key), contract.order_by
    basis = f"latest {order_by}" if order_by else "last in file"
    rank = ("(c.ob is not null) desc, c.ob desc, " if order_by else "") + "c._line_n desc"
    con.execute(
        f"""
        create temp table candidates as
        select t._line_n, t.{key} as k, {ident(order_by) if order_by else "null"} as ob
        from typed t anti join flagged f on f.line = t._line_n
        where t._line_n is not null and t._pre_reason is null and t._reason is null
        """
    )
    con.execute(
        f"""
        insert into flagged
        with duplicated as (select k from candidates group by k having count(*) > 1),
        ranked as (
            select c._line_n, c.k,
                row_number() over w as rn,
                first_value(c._line_n) over w as winner
            from candidates c semi join duplicated d on c.k is not distinct from d.k
            window w as (partition by c.k order by {rank})
        )
        select _line_n, 'duplicate_key',
            {lit(f"duplicate {contract.key} ")} || {py_repr("k")} || ': superseded by line '
                || winner || {lit(f" ({basis})")},
            nullif({strip("k")}, ''), null, 5
        from ranked where rn > 1
        """
    )
    con.execute(
        "create temp table quarantined as select line, kind, reason, record_key, raw_bytes_b64 "
        "from flagged qualify row_number() over (partition by line order by priority) = 1"
    )
    lines = (
        con.sql("select line from quarantined order by line").to_arrow_table().column(0).to_numpy()
    )
    con.register(
        "quarantined_text",
        pa.table({"line": pa.array(lines, pa.int64()), "raw_text": prepared.raw_text(lines)}),
    )
    columns = [ident(c) for c in (*contract.columns, *unknown)]
    loaded_sql = (
        f"select {', '.join(columns)}, {lit(file_name)} as _source_file, "
        f"_line_n as _source_line, {lit(day.isoformat())}::date as _batch_date "
        "from typed t anti join quarantined q on q.line = t._line_n "
        "where t._line_n is not null and t._pre_reason is null and t._reason is null"
    )
    quarantine_sql = f"""
        select {lit(source)} as source, {lit(file_name)} as file, line, raw_text, reason, kind,
            record_key, {lit(day.isoformat())}::date as batch_date, raw_bytes_b64
        from (
            select q.line, x.raw_text, q.reason, q.kind, q.record_key, q.raw_bytes_b64
            from quarantined q join quarantined_text x using (line)
            union all
            select line, raw_text, reason, kind, null, null from line_rows
        )
        order by line
    """
    (rows_loaded,) = con.execute(f"select count(*) from ({loaded_sql})").fetchone()
    by_kind = dict(
        con.execute(
            f"select kind, count(*) from ({quarantine_sql}) group by kind order by kind"
        ).fetchall()
    )
    return EngineResult(
        names=names,
        unknown=unknown,
        loaded_sql=loaded_sql,
        quarantine_sql=quarantine_sql,
        rows_loaded=int(rows_loaded),
        rows_quarantined=int(sum(by_kind.values())),
        by_kind={str(k): int(v) for k, v in by_kind.items()},
    )


def csv_names(header: list[str], contract: SourceContract) -> list[str]:
    """Canonical column names of a CSV header; an empty cell (a trailing comma) still names its
    column in raw."""
    return [contract.canonical(h) if h.strip() else f"unnamed_{i}" for i, h in enumerate(header, 1)]


def _csv_delivered(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedFile,
    contract: SourceContract,
    formats: IngestFormats,
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    header = prepared.header
    names = csv_names(header, contract)
    fields = [f"c{i}" for i in range(1, len(header) + 1)]
    source = parse.read_csv_duckdb(
        prepared.path, len(header), formats.csv, formats.engine.max_line_bytes, "ingest_rejects"
    )
    newline_in = " or ".join(f"contains({f}, chr(10))" for f in fields) or "false"
    newlines = (
        " + ".join(f"coalesce(length({f}) - length(replace({f}, chr(10), '')), 0)" for f in fields)
        or "0"
    )
    span_ok = (
        f"(case when _span = '1' and not ({newline_in}) then true "
        f"else try_cast(_span as bigint) = 1 + {newlines} end)"
    )
    con.execute(
        f"""
        create temp view delivered_rows as
        select * exclude (_span),
            case when not _span_ok then
                'the parser and the line scan disagree on where this record ends (scan: '
                || _span || ' physical lines); quarantined as delivered'
            end as _pre_reason
        from (
            select try_cast(_line as bigint) as _line_n, {span_ok} as _span_ok,
                * exclude (_line)
            from {source}
        )
        """
    )
    delivered = {}
    for name, f in zip(names, fields, strict=True):
        delivered.setdefault(name, f)
    return names, delivered, {"kind": "'malformed_csv'"}


def _jsonl_delivered(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedFile,
    contract: SourceContract,
    formats: IngestFormats,
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    source = parse.read_jsonl_duckdb(prepared.path, formats.engine.max_line_bytes, "ingest_rejects")
    types = ", ".join(f"({lit(k)}, {lit(v)})" for k, v in _JSON_TYPES.items())
    con.execute(
        f"""
        create temp table json_lines as
        with lines as (select try_cast(_line as bigint) as _line_n, doc from {source}),
        typed as (
            select *, case when json_valid(doc) then json_type(doc) end as jtype from lines
        )
        select _line_n, doc, true as _span_ok,
            case
                when jtype is null then 'malformed JSON: not a valid JSON text'
                when jtype <> 'OBJECT' then 'JSON line is a '
                    || coalesce(t.py, lower(jtype)) || ', not an object'
            end as _pre_reason
        from typed left join (values {types}) t(jt, py) on t.jt = typed.jtype
        """
    )
    keys = [
        k
        for (k,) in con.execute(
            """
            select k from (
                select unnest(keys) as k, generate_subscripts(keys, 1) as i, _line_n
                from (
                    select _line_n, case when _pre_reason is null then json_keys(doc) end as keys
                    from json_lines
                )
            ) group by k order by min(_line_n * 1000000 + i)
            """
        ).fetchall()
    ]
    delivered_keys: dict[str, list[str]] = {}
    for k in keys:
        delivered_keys.setdefault(contract.canonical(k), []).append(k)
    names = list(delivered_keys)
    delivered = {}
    cols = []
    for i, (name, ks) in enumerate(delivered_keys.items()):
        paths = [
            f"json_extract_string(doc, {lit(chr(36) + '.' + chr(34) + k.replace(chr(34), chr(92) + chr(34)) + chr(34))})"  # noqa: E501
            for k in ks
        ]
        cols.append(f"case when _pre_reason is null then coalesce({', '.join(paths)}) end as j{i}")
        delivered[name] = f"j{i}"
    select = ", ".join(["_line_n", "_span_ok", "_pre_reason", *cols])
    con.execute(f"create temp view delivered_rows as select {select} from json_lines")
    return names, delivered, {"kind": "'malformed_json'"}
