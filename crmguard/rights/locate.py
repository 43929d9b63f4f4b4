"""Find one data subject's rows in every layer, as SQL predicates over each partition.

A customer is found by token in restricted, protected and vault (``customer_token``, under
every key version of the keyring), by the source lines those restricted rows came from in raw
(``_source_file``/``_source_line`` lineage, so a customer id delivered as ``Ｃ００１`` is found
too) or by its exact id, and in quarantine by record key or by a raw line that mentions the id
or a C1 value. The subject's values live in temporary tables of one DuckDB connection: no value
is ever spliced into SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from crmguard import key_store
from crmguard.rights.layers import Partition, columns_of, partitions

_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LINEAGE = ("_source_file", "_source_line")


@dataclass
class Subject:
    """Who is looked for: tokens (always), the customer id and C1 values (while known)."""

    tokens: list[str]
    customer_id: str | None = None
    c1_values: list[str] = field(default_factory=list)
    c1_tokens: list[str] = field(default_factory=list)

    @classmethod
    def for_customer(cls, customer_id: str) -> Subject:
        versions = key_store.key_versions()
        tokens = sorted({key_store.token_for(customer_id, "CUSTOMER_ID", v) for v in versions})
        return cls(tokens=tokens, customer_id=customer_id)


def _lit(text: str) -> str:
    if not (_NAME.match(text) or _DATE.match(text)):
        raise ValueError(f"unexpected partition name {text!r}")
    return f"'{text}'"


def _files(part: Partition) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in part.files) + "]"


class Locator:
    """Predicates selecting the subject's rows, per partition (one connection, temp tables)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, subject: Subject) -> None:
        self.con = con
        self.subject = subject
        con.execute("create or replace temp table subject_tokens (v varchar)")
        con.execute("insert into subject_tokens select unnest(?::varchar[])", [subject.tokens])
        con.execute("create or replace temp table subject_id (v varchar)")
        if subject.customer_id:
            con.execute("insert into subject_id values (?)", [subject.customer_id])
        # quarantine lines: the id as a whole field, or any C1 value or token inside the text
        patterns = []
        if subject.customer_id:
            boundary = "[^0-9A-Za-z]"
            patterns.append(f"(^|{boundary}){re.escape(subject.customer_id)}({boundary}|$)")
        patterns += [re.escape(v) for v in subject.c1_values if v]
        patterns += [re.escape(t) for t in subject.tokens]
        con.execute("create or replace temp table subject_patterns (p varchar)")
        con.execute("insert into subject_patterns select unnest(?::varchar[])", [patterns])
        con.execute(
            "create or replace temp table subject_lineage "
            "(source varchar, batch_date varchar, f varchar, line bigint)"
        )
        for part in partitions("restricted"):
            cols = columns_of(con, part)
            if "customer_token" in cols and all(c in cols for c in LINEAGE):
                con.execute(
                    f"insert into subject_lineage select {_lit(part.source)}, "
                    f"{_lit(part.batch_date)}, _source_file, _source_line "
                    f"from read_parquet({_files(part)}) "
                    "where customer_token in (select v from subject_tokens)"
                )

    def columns(self, part: Partition) -> dict[str, str]:
        return columns_of(self.con, part)

    def predicate(self, part: Partition) -> str | None:
        """SQL selecting the subject's rows of ``part`` (None: the partition cannot hold them)."""
        cols = self.columns(part)
        if part.zone in ("restricted", "protected", "vault"):
            if "customer_token" not in cols:
                return None
            return "customer_token in (select v from subject_tokens)"
        if part.zone == "raw":
            terms = []
            if "customer_id" in cols:
                terms.append("customer_id in (select v from subject_id)")
            if all(c in cols for c in LINEAGE):
                terms.append(
                    "exists (select 1 from subject_lineage l where l.source = "
                    f"{_lit(part.source)} and l.batch_date = {_lit(part.batch_date)} "
                    "and l.f = _source_file and l.line = _source_line)"
                )
            return " or ".join(f"({t})" for t in terms) or None
        if part.zone == "quarantine":
            terms = ["record_key in (select v from subject_id)"] if "record_key" in cols else []
            if "raw_text" in cols:
                terms.append(
                    "exists (select 1 from subject_patterns s where regexp_matches(raw_text, s.p))"
                )
            return " or ".join(f"({t})" for t in terms) or None
        raise ValueError(f"unknown zone {part.zone}")

    def rows(self, part: Partition) -> tuple[list[str], list[tuple]]:
        """(column names, the subject's rows) of ``part``."""
        where = self.predicate(part)
        if where is None:
            return [], []
        cur = self.con.execute(f"select * from read_parquet({_files(part)}) where {where}")
        return [d[0] for d in cur.description], cur.fetchall()

    def count(self, part: Partition, where: str | None = None) -> int:
        where = where or self.predicate(part)
        if where is None:
            return 0
        return self.con.execute(
            f"select count(*) from read_parquet({_files(part)}) where {where}"
        ).fetchall()[0][0]


def files_sql(part: Partition) -> str:
    return _files(part)
