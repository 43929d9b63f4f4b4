"""Rights on a batch the real protect job wrote (Spark vault format): approved unmasking
decrypts Spark's AES-GCM rows, and an erasure leaves no cell with the customer's id, tokens or
C1 values in any layer while the other customers' rows stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from pyspark.sql import SparkSession

from crmguard import key_store
from crmguard.paths import layout
from crmguard.rights import certificate, dsr, fulfil, unmask
from crmguard.rights.policy import RightsPolicy
from spark_jobs.protect import main
from tests.rights.test_dsr import _cells_holding
from tests.spark_jobs.conftest import BATCH, CUSTOMERS, write_batch

pytestmark = pytest.mark.spark

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def protected(crmguard_home: Path, spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    write_batch(spark, crmguard_home)
    main.run(BATCH, "seed", spark=spark)
    return crmguard_home


def _count(zone: str, source: str, where: str = "true") -> int:
    folder = getattr(layout(), f"{zone}_partition")(source, BATCH)
    con = duckdb.connect()
    try:
        return con.execute(
            f"select count(*) from read_parquet('{folder}/*.parquet') where {where}"
        ).fetchall()[0][0]
    finally:
        con.close()


def test_unmask_and_erasure_on_spark_output(
    protected: Path, policy: RightsPolicy, approver_keys: dict[str, Path]
) -> None:
    request = unmask.request_unmask("C002", ["mobile", "id_number"], "litigation", "wu", policy, T0)
    rid = request["request_id"]
    unmask.approve(rid, "chen.compliance", approver_keys["chen.compliance"], policy, now=T0)
    unmask.approve(rid, "liu.lead", approver_keys["liu.lead"], policy, now=T0)
    shown = unmask.reveal(rid, policy=policy, now=T0)["rows"]
    assert shown == [
        {
            "source": "customers",
            "batch_date": BATCH,
            "values": {"id_number": CUSTOMERS[1][2], "mobile": CUSTOMERS[1][3]},
        }
    ]

    c001 = CUSTOMERS[0]
    needles = {
        c001[0],
        key_store.token_for(c001[0], "CUSTOMER_ID"),
        c001[2],
        c001[3],
        c001[7],
        key_store.token_for(c001[2], "CN_RESIDENT_ID"),
        key_store.token_for(c001[3], "CN_MOBILE"),
        key_store.token_for(c001[7], "GEO_LOCATION"),
    }
    assert _cells_holding(needles)  # the batch holds them before
    token = key_store.token_for(c001[0], "CUSTOMER_ID")
    others = _count("protected", "customers", f"customer_token <> '{token}'")
    rid = dsr.intake_cli("C001", "delete", "ops.li", T0)
    dsr.transition(rid, "verified", "ops.li")
    done = fulfil.execute(rid, "ops.li", as_of=dt.date(2026, 3, 2))
    assert done["status"] == "completed"
    assert _cells_holding(needles) == []
    assert _count("raw", "customers") == _count("protected", "customers") == len(CUSTOMERS) - 1
    assert _count("protected", "customers") == others == len(CUSTOMERS) - 1
    # orders are kept under their legal minimum (no order date here: never deleted early),
    # unlinked, and the mobile quoted in O1's remark is scrubbed
    assert _count("raw", "orders") == 3
    assert _count("raw", "orders", "customer_id is null") == 2
    assert _count("raw", "orders", "remark = '请联系***送货'") == 1
    assert _count("protected", "orders", "customer_token is null") == 2
    assert certificate.verify(Path(done["certificate_path"])) == []
    # C002's vault still decrypts after C001's shred and partition rewrite
    assert unmask.reveal(request["request_id"], policy=policy, now=T0)["rows"] == shown
