"""Evidence packs: the zip verifies, and a modified, missing or extra file is named and fails."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from crmguard.cli import main
from crmguard.evidence import MANIFEST, build_evidence, verify_evidence
from crmguard.paths import layout
from tests.report.governance_fixture import BATCH, RUN, RUN_OLD, populate

REPORT = "report/compliance_report.html"


@pytest.fixture
def pack(crmguard_home: Path) -> Path:
    populate(crmguard_home)
    recon = layout().ingest_reports / f"batch_date={BATCH}" / "reconciliation.json"
    recon.parent.mkdir(parents=True)
    recon.write_text('{"files": [{"source": "customers", "reconciled": true}]}')
    gx = crmguard_home / "gx" / "uncommitted" / "validations" / "retention_coverage"
    for run in (RUN, "run-of-another-batch"):
        (gx / run / "20261121T010000Z").mkdir(parents=True)
        (gx / run / "20261121T010000Z" / "crmguard_pandas-retention_coverage.json").write_text(
            json.dumps({"run": run})
        )
    return build_evidence(BATCH)


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    """Copy the zip, replacing (bytes), dropping (None) or adding entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in change:
                continue
            zout.writestr(info.filename, zin.read(info.filename))
        for name, data in change.items():
            if data is not None:
                zout.writestr(name, data)
    return dst


def test_pack_contents_and_manifest(pack: Path) -> None:
    assert pack == layout().reports / "evidence" / f"evidence_{BATCH}.zip"
    with zipfile.ZipFile(pack) as zf:
        names = set(zf.namelist())
        lines = zf.read(MANIFEST).decode().splitlines()
        listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
        for name, digest in listed.items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
        governance = json.loads(zf.read("validation/governance_runs.json"))
    assert names - {MANIFEST} == set(listed)
    assert {REPORT, "catalog/catalog.json", "reconciliation/reconciliation.json"} <= names
    gx = [n for n in names if n.startswith("validation/gx/")]
    assert gx == [
        f"validation/gx/retention_coverage/{RUN}/20261121T010000Z/"
        "crmguard_pandas-retention_coverage.json"
    ]
    assert governance["run_ids"] == sorted([RUN, RUN_OLD])
    assert {r["batch_date"] for r in governance["tables"]["findings_history"]} == {BATCH}
    assert governance["tables"]["publish_log"]


def test_pack_verifies(pack: Path) -> None:
    assert verify_evidence(pack) == []
    assert main(["evidence", "--verify", str(pack)]) == 0


def test_modified_file_fails(pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with zipfile.ZipFile(pack) as zf:
        html = zf.read(REPORT).replace(b"findings", b"pass", 1)
    bad = _rewrite(pack, tmp_path / "modified.zip", {REPORT: html})
    assert verify_evidence(bad) == [f"{REPORT}: SHA-256 differs from the manifest (modified)"]
    assert main(["evidence", "--verify", str(bad)]) == 1
    assert REPORT in capsys.readouterr().err


def test_missing_file_fails(pack: Path, tmp_path: Path) -> None:
    bad = _rewrite(pack, tmp_path / "missing.zip", {"catalog/catalog.json": None})
    assert verify_evidence(bad) == ["catalog/catalog.json: missing from the zip"]
    assert main(["evidence", "--verify", str(bad)]) == 1


def test_extra_file_fails(pack: Path, tmp_path: Path) -> None:
    bad = _rewrite(pack, tmp_path / "extra.zip", {"report/note.txt": b"trust me"})
    assert verify_evidence(bad) == ["report/note.txt: extra file, not in the manifest"]
    assert main(["evidence", "--verify", str(bad)]) == 1


def test_missing_manifest_fails(pack: Path, tmp_path: Path) -> None:
    bad = _rewrite(pack, tmp_path / "nomanifest.zip", {MANIFEST: None})
    assert verify_evidence(bad) == [f"{MANIFEST}: missing"]


def test_cli_writes_to_out(crmguard_home: Path, tmp_path: Path) -> None:
    populate(crmguard_home)
    out = tmp_path / "pack.zip"
    assert main(["evidence", "--batch-date", BATCH, "--out", str(out)]) == 0
    assert verify_evidence(out) == []
    with zipfile.ZipFile(out) as zf:
        # no reconciliation in this home: said in the README, not silently skipped
        assert "not available: reconciliation/reconciliation.json" in zf.read("README.txt").decode()
