"""A correction: before/after only in the restricted zone, the corrected value wins in later
batches' raw (hence restricted, protected, marts) until the source delivers it; an erasure of
the customer removes the correction record too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from crmguard.paths import layout
from crmguard.rights import correction, dsr
from crmguard.rights.layers import partitions
from crmguard.warehouse import connect
from tests.rights.lake_fixture import BATCH


def _next_batch(day: str, email_of_c002: str | None = None) -> None:
    """The source's next full extract (as delivered, optionally with C002's e-mail changed)."""
    src = layout().raw_partition("customers", BATCH)
    dst = layout().raw_partition("customers", day)
    dst.mkdir(parents=True)
    con = duckdb.connect()
    change = (
        f"case when customer_id = 'C002' then '{email_of_c002}' else email end"
        if email_of_c002
        else "email"
    )
    con.execute(
        f"copy (select * replace ({change} as email, date '{day}' as _batch_date) "
        f"from read_parquet('{src}/*.parquet')) to '{dst}/part-0.parquet' (format parquet)"
    )
    con.close()


def _emails(day: str) -> dict[str, str]:
    folder = layout().raw_partition("customers", day)
    con = duckdb.connect()
    rows = con.execute(f"select customer_id, email from read_parquet('{folder}/*.parquet')")
    result = dict(rows.fetchall())
    con.close()
    return result


def test_correction_wins_until_the_source_delivers_it(lake: Path) -> None:
    rid = dsr.intake_cli("C002", "correct", "ops.li", dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC))
    dsr.transition(rid, "verified", "ops.li")
    record = correction.record_correction(rid, "customers", "email", "lisi@example.cn", "ops.li")
    assert (record["before_value"], record["after_value"]) == ("ls@163.com", "lisi@example.cn")
    assert dsr.get(rid)["status"] == "completed"
    # values only in the restricted zone; governance knows where, not what
    (part,) = partitions("restricted", "corrections")
    assert oct(part.path.stat().st_mode & 0o777) == "0o700"
    con = connect()
    gov = con.execute("select * from governance.dsr_corrections").fetchall()
    con.close()
    assert "lisi@example.cn" not in str(gov) and "ls@163.com" not in str(gov)

    _next_batch("2026-11-21")  # the source still delivers the old address
    assert correction.apply_corrections("2026-11-21")[0]["rows_corrected"] == 1
    emails = _emails("2026-11-21")
    assert emails["C002"] == "lisi@example.cn" and emails["C001"] == "zs@qq.com"

    _next_batch("2026-11-22", "lisi@example.cn")  # the source has caught up
    assert {"delivered": [record["correction_id"]]} in correction.apply_corrections("2026-11-22")
    _next_batch("2026-11-23", "li.si@new.cn")  # a later change at the source is not overridden
    assert correction.apply_corrections("2026-11-23") == []
    assert _emails("2026-11-23")["C002"] == "li.si@new.cn"


def test_erasure_removes_the_correction(lake: Path) -> None:
    from crmguard.rights import fulfil

    rid = dsr.intake_cli("C001", "correct", "ops.li")
    dsr.transition(rid, "verified", "ops.li")
    correction.record_correction(rid, "customers", "email", "new@qq.com", "ops.li")
    dsr.intake_landing(BATCH)
    dsr.transition("R1", "verified", "ops.li")
    fulfil.execute("R1", "ops.li", as_of=dt.date(2026, 11, 21))
    (part,) = partitions("restricted", "corrections")
    con = duckdb.connect()
    left = con.execute(f"select count(*) from read_parquet('{part.path}/*.parquet')")
    assert left.fetchall()[0][0] == 0
    con.close()
    con = connect()
    assert con.execute("select count(*) from governance.dsr_corrections").fetchall()[0][0] == 0
    con.close()
