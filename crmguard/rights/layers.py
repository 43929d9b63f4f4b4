"""Where one customer's data sits in the lake: partitions per zone and the customer's vault rows.

Per-request work (one customer): DuckDB filters the Parquet files, so only that customer's rows
reach Python, where the vault rows are decrypted with the keyring (``crmguard.key_store``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from crmguard import key_store
from crmguard.paths import layout

ZONES = ("raw", "restricted", "protected", "quarantine", "vault")


@dataclass(frozen=True)
class Partition:
    zone: str
    source: str
    batch_date: str
    path: Path

    @property
    def files(self) -> list[Path]:
        return sorted(self.path.glob("*.parquet"))

    @property
    def label(self) -> str:
        return f"{self.zone}/{self.source}/batch_date={self.batch_date}"


def zone_root(zone: str) -> Path:
    return getattr(layout(), zone)


def partitions(zone: str, source: str | None = None) -> list[Partition]:
    """Every ``<zone>/<source>/batch_date=…`` folder holding Parquet, sorted."""
    root = zone_root(zone)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.glob("*/batch_date=*")):
        wanted = source is None or folder.parent.name == source
        if wanted and folder.is_dir() and any(folder.glob("*.parquet")):
            found.append(Partition(zone, folder.parent.name, folder.name.split("=", 1)[1], folder))
    return found


def columns_of(con: duckdb.DuckDBPyConnection, part: Partition) -> dict[str, str]:
    """Column name -> DuckDB type of a partition."""
    rows = con.execute(
        "select column_name, column_type from (describe select * from read_parquet(?))",
        [[str(f) for f in part.files]],
    ).fetchall()
    return dict(rows)


def vault_rows(customer_token: str, con: duckdb.DuckDBPyConnection | None = None) -> list[dict]:
    """The customer's encrypted vault rows (source, batch_date, key_version, cipher, columns,
    ciphertext), newest batch first."""
    parts = partitions("vault")
    if not parts:
        return []
    own = con is None
    con = con or duckdb.connect()
    try:
        rows = []
        for part in parts:
            cur = con.execute(
                "select source, key_version, cipher, columns, ciphertext "
                "from read_parquet(?) where customer_token = ?",
                [[str(f) for f in part.files], customer_token],
            )
            names = [d[0] for d in cur.description]
            rows += [
                {**dict(zip(names, r, strict=True)), "batch_date": part.batch_date}
                for r in cur.fetchall()
            ]
    finally:
        if own:
            con.close()
    return sorted(rows, key=lambda r: r["batch_date"], reverse=True)


def decrypt_rows(customer_token: str, rows: list[dict]) -> list[dict]:
    """Each vault row decrypted: ``{source, batch_date, values: {column: clear}}``. Raises
    :class:`crmguard.key_store.ShreddedError` when the customer's salt is gone."""
    return [
        {
            "source": r["source"],
            "batch_date": r["batch_date"],
            "values": key_store.decrypt_vault_row(
                customer_token, bytes(r["ciphertext"]), r["cipher"], r["key_version"]
            ),
        }
        for r in rows
    ]


def customer_known(customer_token: str) -> bool:
    """True when the customer is in the vault or the restricted customers extract."""
    if vault_rows(customer_token):
        return True
    con = duckdb.connect()
    try:
        for part in partitions("restricted", "customers"):
            found = con.execute(
                "select count(*) from read_parquet(?) where customer_token = ?",
                [[str(f) for f in part.files], customer_token],
            ).fetchall()[0][0]
            if found:
                return True
    finally:
        con.close()
    return False
