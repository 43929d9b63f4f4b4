"""The protect job end to end on a tiny batch: outputs, fail-closed drops, leak scan, vault,
crypto-shredding and no key bytes in plans or event logs."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from pyspark.sql import SparkSession

from crmguard import key_store
from crmguard.paths import layout
from crmguard.stage_contracts import read_protection_manifest
from spark_jobs.protect import io, main, transforms
from tests.spark_jobs.conftest import BATCH, CUSTOMERS

pytestmark = pytest.mark.spark

C1_COLUMNS = {"id_number": 2, "mobile": 3, "gps_location": 7}


def _rows(spark: SparkSession, path: Path) -> list[dict]:
    return [r.asDict() for r in spark.read.parquet(str(path)).collect()]


def test_run_writes_three_zones_and_fails_closed(spark: SparkSession, batch_home: Path) -> None:
    summary = main.run(BATCH, "seed", spark=spark)
    lay = layout()
    assert summary["tables"] == ["customers", "orders"]
    assert summary["rows_in"] == summary["rows_protected"] == 6
    assert sorted(summary["dropped_columns"]) == ["customers.secret_note", "orders.remark"]

    protected = spark.read.parquet(str(lay.protected_partition("customers", BATCH)))
    assert set(protected.columns) == {
        "customer_token",
        "name_masked",
        "id_number_token",
        "id_number_mask",
        "mobile_token",
        "mobile_mask",
        "email_masked",
        "address_region",
        "birth_year",
        "gps_location_token",
        "gps_location_mask",
        "credit_score_band",
        "annual_income_band",
        "_batch_date",
        "_key_version",
    }
    restricted = spark.read.parquet(str(lay.restricted_partition("customers", BATCH)))
    assert {"name", "email", "address", "birth_date", "birth_date_from_id"} <= set(
        restricted.columns
    )
    assert not {"customer_id", "id_number", "mobile", "secret_note"} & set(restricted.columns)
    first = protected.where("name_masked = '张*'").first()
    assert first["id_number_mask"] == "110101********1234"
    assert first["mobile_mask"] == "138****8000"
    assert first["address_region"] == "广东省深圳市"
    assert first["customer_token"] == key_store.token_for("C001", "CUSTOMER_ID")

    # marts join on tokens: the order of "Ｃ００１" carries the same token as customer C001
    orders = spark.read.parquet(str(lay.protected_partition("orders", BATCH)))
    assert "remark" not in orders.columns
    assert orders.where(f"customer_token = '{first['customer_token']}'").count() == 2

    manifest = json.loads(
        (lay.protected_partition("customers", BATCH) / io.PROTECTION_JSON).read_text()
    )
    assert manifest["columns"]["mobile"] == {
        "outputs": ["mobile_token", "mobile_mask"],
        "form": "token",
        "entity": "CN_MOBILE",
        "tier": "C1",
        "protection": "vault_token_mask",
    }
    assert manifest["columns"]["secret_note"]["form"] == "dropped"
    assert manifest["columns"]["credit_score"]["outputs"] == ["credit_score_band"]
    # every manifest written reads through the one reader, and says where it lies
    written = sorted(lay.protected.parent.rglob(io.PROTECTION_JSON))
    assert len(written) >= 4
    for path in written:
        typed = read_protection_manifest(path)
        zone, source = path.parent.parent.parent.name, path.parent.parent.name
        assert (typed.zone, typed.source, typed.batch_date) == (zone, source, BATCH)
    # owner-only permissions outside protected
    for private in (lay.restricted, lay.vault):
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
    # the analysts' zone is readable: the written partition, its files and the folders above
    part = lay.protected_partition("customers", BATCH)
    for path in (lay.protected, part.parent, part, *part.iterdir()):
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path


def test_leak_scan_no_raw_c1_value_in_protected(spark: SparkSession, batch_home: Path) -> None:
    main.run(BATCH, "seed", spark=spark)
    raw_values = {str(r[i]) for r in CUSTOMERS for i in C1_COLUMNS.values() if r[i] is not None}
    raw_values |= {key_store.normalise(v, "CN_MOBILE") for v in raw_values}
    raw_values |= {r[0] for r in CUSTOMERS}  # the clear customer_id never leaves raw
    for part in layout().protected.rglob("*.parquet"):
        text = " ".join(str(v) for row in spark.read.parquet(str(part)).collect() for v in row)
        leaked = [v for v in raw_values if v in text]
        assert not leaked, f"{part}: {leaked}"
        assert not any(v.encode() in part.read_bytes() for v in raw_values)


def _expected_vault() -> dict[str, dict[str, str]]:
    """customer_token -> {C1 column: clear value} of the test batch (nulls absent)."""
    return {
        key_store.token_for(r[0], "CUSTOMER_ID"): {
            col: str(r[i]) for col, i in C1_COLUMNS.items() if r[i] is not None
        }
        for r in CUSTOMERS
    }


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "sm4-gcm"])
def test_vault_round_trip_and_crypto_shredding(
    spark: SparkSession, batch_home: Path, cipher: str
) -> None:
    summary = main.run(BATCH, "seed", spark=spark, vault_cipher=cipher)
    vault = _rows(spark, layout().vault / "customers" / f"batch_date={BATCH}")
    # one ciphertext per source row, holding all of that row's C1 values
    assert summary["vault_entries"] == len(vault) == len(CUSTOMERS)
    assert {v["cipher"] for v in vault} == {cipher}
    assert {v["source"] for v in vault} == {"customers"}
    assert all(v["columns"] == list(C1_COLUMNS) for v in vault)
    assert {v["key_version"] for v in vault} == {1}
    decrypted = {
        v["customer_token"]: key_store.decrypt_vault_row(
            v["customer_token"], v["ciphertext"], cipher
        )
        for v in vault
    }
    assert decrypted == _expected_vault()
    # fresh nonce per value: same-length plaintexts never share the first 12 bytes
    assert len({v["ciphertext"][:12] for v in vault}) == len(vault)
    # the wrong cipher does not decrypt (GCM authenticates)
    other = "sm4-gcm" if cipher == "aes-256-gcm" else "aes-256-gcm"
    with pytest.raises(InvalidTag):
        key_store.decrypt_vault_row(vault[0]["customer_token"], vault[0]["ciphertext"], other)

    victim = key_store.token_for("C002", "CUSTOMER_ID")
    key_store.shred_customer(victim)
    for v in vault:
        if v["customer_token"] == victim:
            with pytest.raises(key_store.ShreddedError):
                key_store.decrypt_vault_row(v["customer_token"], v["ciphertext"], cipher)
        else:
            assert key_store.decrypt_vault_row(v["customer_token"], v["ciphertext"], cipher)
    # a re-run keeps everyone else's salt (their old vault entries still decrypt)
    main.run(BATCH, "seed", spark=spark, vault_cipher=cipher)
    other_row = next(v for v in vault if v["customer_token"] != victim)
    assert (
        key_store.decrypt_vault_row(other_row["customer_token"], other_row["ciphertext"], cipher)
        == _expected_vault()[other_row["customer_token"]]
    )


def test_no_key_bytes_in_plans_or_event_logs(
    spark: SparkSession, batch_home: Path, event_log_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    main.run(BATCH, "seed", spark=spark)
    keys = key_store.key_version()
    doc = json.loads(key_store.key_file().read_text())
    secrets_hex = [doc["keys"]["1"]["master"], doc["salt_index"]] + [
        k.hex() for k in (keys.token_key, keys.vault_key, keys.salt_index_key)
    ]
    secrets_hex += [
        p.hex() for k in (keys.token_key, keys.vault_key) for p in key_store.hmac_pads(k)
    ]
    raw = io.read_raw(spark, "customers", BATCH)
    plan = transforms.plan_table(
        raw.columns,
        {"mobile": {"entity": "CN_MOBILE", "confidence": 1.0}},
        main.load_policy("seed"),
    )
    protected, _ = transforms.apply_plan(raw, io.key_pads(spark), plan)
    protected.explain(mode="extended")
    plan_text = capsys.readouterr().out
    assert "mobile_token" in plan_text  # the plan was printed
    protected.count()  # an execution, so the event log has a SQLExecution entry
    # the listener bus writes the event log asynchronously: on a busy machine it lags
    deadline = time.monotonic() + 30
    while True:
        logs = " ".join(
            p.read_text(errors="ignore") for p in event_log_dir.rglob("*") if p.is_file()
        )
        if "SQLExecution" in logs or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "SQLExecution" in logs  # the event log was written
    for secret in secrets_hex:
        for variant in (secret, secret.upper()):
            assert variant not in plan_text
            assert variant not in logs
    assert repr(keys) == "KeyVersion(version=1, keys=<redacted>)"


def test_dev_keyring_is_private_and_never_overwritten(batch_home: Path) -> None:
    path = key_store.ensure_dev_keyring()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    key_store.ensure_dev_keyring()
    assert path.read_bytes() == before


def test_rotation_changes_tokens_and_keeps_salts(spark: SparkSession, batch_home: Path) -> None:
    main.run(BATCH, "seed", spark=spark)
    old = key_store.token_for("C001", "CUSTOMER_ID")
    assert key_store.rotate() == 2
    summary = main.run(BATCH, "seed", spark=spark)
    new = key_store.token_for("C001", "CUSTOMER_ID")
    assert new != old and summary["vault_entries"] == len(CUSTOMERS)
    protected = spark.read.parquet(str(layout().protected_partition("customers", BATCH)))
    assert {r["_key_version"] for r in protected.collect()} == {2}
    assert protected.where(f"customer_token = '{new}'").count() == 1
    salts = key_store.read_salts()
    assert salts[old] == salts[new]  # one salt per customer across key versions
    vault = _rows(spark, layout().vault / "customers" / f"batch_date={BATCH}")
    entry = next(v for v in vault if v["customer_token"] == new)
    assert key_store.decrypt_vault_row(new, entry["ciphertext"], version=2) == {
        "id_number": CUSTOMERS[0][2],
        "mobile": CUSTOMERS[0][3],
        "gps_location": CUSTOMERS[0][7],
    }
    # shredding by the new token also removes the salt indexed under the old one
    key_store.shred_customer(new)
    assert old not in key_store.read_salts()


def test_missing_catalog_is_a_clear_error(spark: SparkSession, batch_home: Path) -> None:
    layout().catalog.unlink()
    with pytest.raises(io.ProtectInputError, match=r"catalog\.json: catalog not found"):
        main.run(BATCH, "seed", spark=spark)


def test_zone_files_are_zstd_without_dictionary_or_statistics_on_tokens(
    spark: SparkSession, batch_home: Path
) -> None:
    import pyarrow.parquet as pq

    main.run(BATCH, "seed", spark=spark)
    lay = layout()
    for path in (
        lay.restricted_partition("customers", BATCH),
        lay.protected_partition("customers", BATCH),
        lay.vault / "customers" / f"batch_date={BATCH}",
    ):
        for part in sorted(path.glob("*.parquet")):
            group = pq.ParquetFile(part).metadata.row_group(0)
            for i in range(group.num_columns):
                column = group.column(i)
                name = column.path_in_schema
                assert column.compression == "ZSTD", (part, name)
                unique = name.endswith(("_token", "ciphertext"))
                if unique:
                    assert not any("DICTIONARY" in e for e in column.encodings), (part, name)
                    assert column.statistics is None, (part, name)
                elif name == "_batch_date":  # other columns keep their min/max statistics
                    assert column.statistics is not None and column.statistics.has_min_max


def test_sources_protect_a_subset_and_unknown_ones_are_named(
    spark: SparkSession, batch_home: Path
) -> None:
    summary = main.run(BATCH, "seed", spark=spark, sources=["orders"])
    assert summary["tables"] == ["orders"] and list(summary["table_s"]) == ["orders"]
    lay = layout()
    assert lay.protected_partition("orders", BATCH).is_dir()
    assert not lay.protected_partition("customers", BATCH).exists()
    with pytest.raises(io.ProtectInputError, match=rf"no raw partition of {BATCH} for: contracts"):
        main.run(BATCH, "seed", spark=spark, sources=["orders", "contracts"])


def test_quarantined_system_keys_reach_restricted_for_retention(
    spark: SparkSession, batch_home: Path
) -> None:
    """Rows delivered but quarantined keep their key: the job lists system-id keys (orders) in
    restricted/quarantined_keys so retention rules do not read them as deleted; a customer id
    (a token key) is never written there, and the table exists even when nothing was kept."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from crmguard.ingest.load import QUARANTINE_SCHEMA

    lay = layout()
    rows = {
        "orders": [("O9", "type_error"), (None, "ragged_row")],
        "customers": [("C9", "type_error")],
    }
    for source, entries in rows.items():
        folder = lay.quarantine_partition(source, BATCH)
        folder.mkdir(parents=True, exist_ok=True)
        n = len(entries)
        table = pa.table(
            {
                "source": [source] * n,
                "file": [f"{source}.csv"] * n,
                "line": list(range(2, 2 + n)),
                "raw_text": ["…"] * n,
                "reason": ["fixture"] * n,
                "kind": [kind for _, kind in entries],
                "record_key": [key for key, _ in entries],
                "batch_date": [dt.date.fromisoformat(BATCH)] * n,
                "raw_bytes_b64": [None] * n,
            },
            schema=QUARANTINE_SCHEMA,
        )
        pq.write_table(table, folder / "part-0.parquet")
    summary = main.run(BATCH, "seed", spark=spark)
    target = lay.restricted_partition(main.QUARANTINED_KEYS, BATCH)
    assert _rows(spark, target) == [{"source_name": "orders", "record_key": "O9"}]
    assert summary["quarantined_keys"] == 1
    manifest = json.loads((target / io.PROTECTION_JSON).read_text(encoding="utf-8"))
    assert set(manifest["columns"]) == {"source_name", "record_key"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
