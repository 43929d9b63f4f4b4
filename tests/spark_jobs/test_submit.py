"""The spark-submit spec Airflow logs: paths and settings only, never key bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmguard import key_store
from spark_jobs.protect.submit import spark_submit_command, submit_spec


def test_submit_spec_shape_and_no_key_bytes(
    crmguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_path = crmguard_home / "vault-keys" / "key_store.json"
    monkeypatch.setenv(key_store.KEY_FILE_ENV, str(key_path))
    key_store.ensure_dev_keyring()
    spec = submit_spec("2026-03-01", "jrt0171")
    assert Path(spec["application"]).is_file() and spec["application"].endswith("main.py")
    assert spec["application_args"] == ["--batch-date", "2026-03-01", "--policy", "jrt0171"]
    assert spec["driver_memory"] == "2g" and spec["name"] == "crmguard-protect"
    assert spec["env_vars"][key_store.KEY_FILE_ENV] == str(key_path)  # the path, not the key
    assert spec["conf"]["spark.sql.redaction.string.regex"]
    doc = json.loads(key_path.read_text())
    keys = key_store.key_version()
    secrets = [doc["keys"]["1"]["master"], doc["salt_index"], keys.token_key.hex()]
    argv, _ = spark_submit_command("2026-03-01", "local[2]")
    logged = json.dumps(spec) + " ".join(argv)
    assert not [s for s in secrets if s in logged or s.upper() in logged]
