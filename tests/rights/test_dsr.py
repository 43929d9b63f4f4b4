"""Data-subject requests on the hand-made lake: intake and deadline, the state machine, the
erasure (every cell scanned independently, other customers intact, legal minimums kept
unlinkable, signed certificate, idempotent) and the access package (every row counted)."""

from __future__ import annotations

import datetime as dt
import json
import stat
import zipfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from crmguard import key_store
from crmguard.cli import main
from crmguard.evidence import verify_evidence
from crmguard.paths import layout
from crmguard.rights import access_log, certificate, dsr, fulfil
from crmguard.rights.erasure import erase_lake
from crmguard.rights.locate import Subject
from crmguard.rights.policy import rights_policy
from tests.rights.lake_fixture import BATCH, CONTRACTS, CUSTOMERS, MESSAGES, ORDERS

AS_OF = dt.date(2026, 11, 21)


def _tokens(customer_id: str) -> str:
    return key_store.token_for(customer_id, "CUSTOMER_ID")


def _needles(customer: tuple) -> set[str]:
    cid, _, id_number, mobile = customer[:4]
    return {
        cid,
        _tokens(cid),
        id_number,
        mobile,
        key_store.token_for(id_number, "CN_RESIDENT_ID"),
        key_store.token_for(mobile, "CN_MOBILE"),
    }


def _cells_holding(needles: set[str]) -> list[str]:
    """Every cell of every Parquet file under lake/ and every warehouse table, in Python
    (independent of the product's scan): where does any needle appear?"""
    hits = []
    lay = layout()
    for path in sorted(lay.lake.rglob("*.parquet")):
        table = pq.read_table(path)
        for name in table.column_names:
            for cell in table.column(name).to_pylist():
                text = str(cell) if cell is not None else ""
                if any(n == text or (len(n) >= 8 and n in text) for n in needles):
                    hits.append(f"{path.relative_to(lay.home)}:{name}={text}")
    for db in (lay.warehouse_db, lay.marts_db, lay.restricted_db):
        if not db.is_file():
            continue
        con = duckdb.connect(str(db), read_only=True)
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema <> 'governance'"
        ).fetchall()
        for schema, name in tables:
            for row in con.execute(f'select * from "{schema}"."{name}"').fetchall():
                for cell in row:
                    if str(cell) in needles:
                        hits.append(f"{db.name}:{schema}.{name}={cell}")
        con.close()
    return hits


def _count(zone: str, source: str, where: str) -> int:
    folder = getattr(layout(), f"{zone}_partition")(source, BATCH)
    con = duckdb.connect()
    n = con.execute(f"select count(*) from read_parquet('{folder}/*.parquet') where {where}")
    result = n.fetchall()[0][0]
    con.close()
    return result


def test_intake_deadline_and_states(lake: Path) -> None:
    assert dsr.intake_landing(BATCH) == 2
    assert dsr.intake_landing(BATCH) == 0  # idempotent
    r1 = dsr.get("R1")
    assert r1["status"] == "received" and r1["customer_token"] == _tokens("C001")
    # received Wed 2026-11-18 10:00 Shanghai: three working days later is Mon 2026-11-23
    assert r1["deadline_date"] == dt.date(2026, 11, 23)
    with pytest.raises(dsr.DsrError, match="identity not verified"):
        fulfil.execute("R1", "ops.li")
    with pytest.raises(dsr.DsrError, match="cannot go from received to completed"):
        dsr.transition("R1", "completed", "ops.li")
    with pytest.raises(dsr.DsrError, match="needs a reason"):
        dsr.transition("R2", "rejected", "ops.li", "  ")
    dsr.transition("R2", "rejected", "ops.li", "identity could not be verified")
    assert dsr.get("R2")["customer_id"] is None  # closed: the token only
    with pytest.raises(dsr.DsrError, match="closed"):
        dsr.transition("R2", "verified", "ops.li")
    assert [e[:2] for e in dsr.events("R2")] == [(None, "received"), ("received", "rejected")]
    # a CLI request over the 2026 National Day holiday: 30 Sep + 3 working days = 10 Oct
    # (1-7 Oct off, 8 Oct Thu and 9 Oct Fri work, 10 Oct a make-up Saturday)
    rid = dsr.intake_cli("C003", "access", "ops.li", dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC))
    assert dsr.get(rid)["deadline_date"] == dt.date(2026, 10, 10)


def test_deletion_leaves_nothing_and_certifies(lake: Path, capsys: pytest.CaptureFixture) -> None:
    others = {
        (zone, source): _count(zone, source, f"customer_token <> '{_tokens('C001')}'")
        for zone in ("restricted", "protected")
        for source in ("customers", "orders", "marketing_messages", "contracts")
    }
    others_raw = _count("raw", "orders", "order_id in ('O3', 'O4')")
    dsr.intake_landing(BATCH)
    dsr.transition("R1", "verified", "ops.li", "ID card checked at the counter")
    done = fulfil.execute("R1", "ops.li", as_of=AS_OF)
    assert done["status"] == "completed" and done["customer_id"] is None

    # no cell of any layer holds C001's id, tokens or C1 values
    assert _cells_holding(_needles(CUSTOMERS[0])) == []
    # other customers intact
    for (zone, source), n in others.items():
        assert _count(zone, source, "customer_token is null or customer_token <> ''") >= n
        assert _count(zone, source, f"customer_token <> '{_tokens('C001')}'") == n
    assert _count("raw", "orders", "order_id in ('O3', 'O4')") == others_raw
    assert _count("raw", "customers", "true") == 2
    # legal minimums: rows inside them stay, unlinked; older ones go
    assert _count("raw", "orders", "true") == len(ORDERS) - 1  # O1 (2019) gone, O2 kept
    assert _count("raw", "orders", "order_id = 'O2' and customer_id is null") == 1
    assert _count("protected", "orders", "order_id = 'O2' and customer_token is null") == 1
    assert _count("raw", "marketing_messages", "message_id in ('M1')") == 0
    assert _count("restricted", "marketing_messages", "message_id = 'M2'") == 1
    assert _count("raw", "contracts", "contract_id = 'K1'") == 0
    assert _count("raw", "contracts", "contract_id = 'K2' and customer_id is null") == 1
    assert _count("raw", "contracts", "true") == len(CONTRACTS) - 1
    assert len(MESSAGES) - 1 == _count("raw", "marketing_messages", "true")
    # quarantine: C001's line gone, the other kept; vault salt and rows gone
    assert _count("quarantine", "customers", "record_key = 'C999'") == 1
    assert _count("quarantine", "customers", "true") == 1
    assert _tokens("C001") not in key_store.read_salts()
    assert _tokens("C002") in key_store.read_salts()
    mode = stat.S_IMODE(layout().restricted_partition("orders", BATCH).stat().st_mode)
    assert mode == 0o700
    assert (layout().protected_partition("customers", BATCH) / "_protection.json").is_file()

    cert = Path(done["certificate_path"])
    doc = json.loads(cert.read_text())
    by_location = {loc["location"]: loc for loc in doc["locations"]}
    assert by_location[f"raw/orders/batch_date={BATCH}"]["rows_removed"] == 1
    assert by_location[f"raw/orders/batch_date={BATCH}"]["rows_unlinked"] == 1
    assert by_location[f"vault/customers/batch_date={BATCH}"]["rows_removed"] == 1
    assert by_location["marts.duckdb:main.customer_360"]["rows_removed"] == 1
    assert {k["location"] for k in doc["legally_kept"]} >= {
        f"raw/orders/batch_date={BATCH}",
        f"raw/contracts/batch_date={BATCH}",
        f"raw/marketing_messages/batch_date={BATCH}",
    }
    assert certificate.verify(cert) == []
    assert main(["dsr", "verify", str(cert)]) == 0
    assert "OK" in capsys.readouterr().out

    # the next build's access-log table keeps the log's entries but not the erased token
    from crmguard.rights.access_review import export_access_log

    export_access_log(BATCH)
    assert _cells_holding(_needles(CUSTOMERS[0])) == []

    # idempotent: again changes nothing (status, files, certificate)
    before = {p: p.read_bytes() for p in layout().lake.rglob("*.parquet")}
    assert fulfil.execute("R1", "ops.li", as_of=AS_OF)["status"] == "completed"
    con = duckdb.connect()
    again, _ = erase_lake(con, Subject.for_customer("C001"), rights_policy().retention, AS_OF)
    con.close()
    assert {loc["action"] for loc in again} == {"none"}
    assert {p: p.read_bytes() for p in layout().lake.rglob("*.parquet")} == before

    # an edited certificate fails
    doc["locations"][0]["rows_removed"] += 1
    cert.write_text(json.dumps(doc))
    assert certificate.verify(cert)
    assert main(["dsr", "verify", str(cert)]) == 1
    assert "edited" in capsys.readouterr().err


def test_access_package_holds_every_row(lake: Path) -> None:
    dsr.intake_landing(BATCH)
    dsr.transition("R2", "verified", "ops.li")
    done = fulfil.execute("R2", "ops.li")
    path = Path(done["package_path"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert verify_evidence(path) == []
    with zipfile.ZipFile(path) as zf:
        package = json.loads(zf.read("package.json"))
        cover = zf.read("COVER.md").decode("utf-8")
        names = zf.namelist()
    token = _tokens("C002")
    layers = package["layers"]
    counted = {}
    for zone in ("raw", "restricted", "protected"):
        for source in ("customers", "orders", "marketing_messages", "contracts"):
            where = "customer_id = 'C002'" if zone == "raw" else f"customer_token = '{token}'"
            counted[f"{zone}/{source}/batch_date={BATCH}"] = _count(zone, source, where)
    counted[f"raw/dsr_requests/batch_date={BATCH}"] = _count(
        "raw", "dsr_requests", "customer_id = 'C002'"
    )
    for location, n in counted.items():
        assert len(layers[location]["rows"]) == n, location
    assert sum(counted.values()) == 13  # one row per source and zone, and its own request
    lake_layers = {k for k in layers if not k.startswith("vault/") and ".duckdb:" not in k}
    assert lake_layers == {k for k, n in counted.items() if n}
    vault = layers[f"vault/customers/batch_date={BATCH}"]
    assert vault["rows"] == [[CUSTOMERS[1][2], CUSTOMERS[1][3]]]  # id_number, mobile decrypted
    assert {k for k in layers if ".duckdb:" in k} == {
        "crm.duckdb:marts.customer_360",
        "marts.duckdb:main.customer_360",
        "restricted.duckdb:main.customer_360",
    }
    assert not any(k.startswith("quarantine/") for k in layers)
    assert "接收方 / Recipients" in cover and "E-Commerce Law Art. 31" in cover
    assert f"data/raw__orders__batch_date-{BATCH}.csv" in names
    export = access_log.entries()[-1]
    assert export["event"] == "dsr_export" and export["details"]["c1_clear"] is True


def test_suppression_of_a_redelivered_customer(lake: Path) -> None:
    dsr.intake_landing(BATCH)
    dsr.transition("R1", "verified", "ops.li")
    fulfil.execute("R1", "ops.li", as_of=AS_OF)
    # the next batch's extract delivers C001 again (the source has not deleted it yet)
    from tests.rights import lake_fixture

    later = "2026-11-21"
    original = lake_fixture.BATCH
    lake_fixture.BATCH = later
    try:
        lake_fixture._customer_source("orders", ORDERS, "order_id", "ordered_at", "charged_price")
    finally:
        lake_fixture.BATCH = original
    assert len(fulfil.suppress_batch(later)) == 3  # raw, restricted, protected orders
    folder = layout().raw_partition("orders", later)
    con = duckdb.connect()
    left = con.execute(f"select order_id from read_parquet('{folder}/*.parquet') order by 1")
    assert [r[0] for r in left.fetchall()] == ["O2", "O3", "O4"]  # O2 kept (minimum), unlinked
    con.close()


def test_scan_finds_the_customer_before_erasure(lake: Path) -> None:
    from crmguard.rights.erasure import scan

    subject = Subject.for_customer("C001")
    subject.c1_values = [CUSTOMERS[0][3]]  # the mobile, quoted inside a quarantined line
    found = {(h["location"], h["column"]) for h in scan(subject)}
    assert (f"quarantine/customers/batch_date={BATCH}", "raw_text") in found
    assert (f"restricted/orders/batch_date={BATCH}", "customer_token") in found
    assert (f"raw/customers/batch_date={BATCH}", "customer_id") in found
    assert ("marts.duckdb:main.customer_360", "customer_token") in found
    assert not any("C002" in h for h in map(str, found))
