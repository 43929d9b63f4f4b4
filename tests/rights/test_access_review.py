"""FIN-01's input: the access log exported as a restricted table (dual approval and chain trust
per entry), and clear C1 accesses per purpose and approver."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from crmguard.cli import main
from crmguard.paths import layout
from crmguard.rights import access_log, access_review, unmask
from crmguard.rights.policy import RightsPolicy

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
BATCH = "2026-11-20"


def _exported() -> list[tuple]:
    target = access_review.export_access_log(BATCH)
    assert (target / "_protection.json").is_file()
    con = duckdb.connect()
    try:
        return con.execute(
            f"select seq, event, c1_clear, approvers, approver_roles, dual_approved, chain_ok "
            f"from read_parquet('{target}/*.parquet') order by seq"
        ).fetchall()
    finally:
        con.close()


def test_export_judges_dual_approval_and_chain(
    lake: Path, policy: RightsPolicy, approver_keys: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    request = unmask.request_unmask("C001", ["mobile"], "litigation", "analyst.wu", policy, T0)
    rid = request["request_id"]
    unmask.approve(rid, "chen.compliance", approver_keys["chen.compliance"], policy, now=T0)
    unmask.approve(rid, "liu.lead", approver_keys["liu.lead"], policy, now=T0)
    unmask.reveal(rid, policy=policy, now=T0)
    # an access logged by some other path with one approver only: FIN-01 must flag it
    access_log.append(
        "unmask_reveal",
        actor="analyst.wu",
        purpose="litigation",
        subject=request["customer_token"],
        details={
            "c1_clear": True,
            "approvers": [{"approver": "chen.compliance", "role": "compliance"}],
        },
    )
    rows = _exported()
    assert [r[1] for r in rows] == [
        "unmask_request", "unmask_approve", "unmask_approve", "unmask_reveal", "unmask_reveal"
    ]  # fmt: skip
    assert rows[3][2:6] == (True, "chen.compliance,liu.lead", "compliance,division_lead", True)
    assert rows[4][5] is False  # one approver: not dual
    assert all(r[6] for r in rows)  # chain intact
    assert stat_mode(layout().restricted_partition("access_log", BATCH)) == 0o700

    assert main(["audit", "report"]) == 0
    out = capsys.readouterr().out
    assert "litigation" in out and "liu.lead" in out and "chen.compliance" in out

    # edit entry 2: from there on the chain no longer vouches for the entries
    log = access_log.log_path()
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["actor"] = "someone"
    lines[1] = json.dumps(entry)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [r[6] for r in _exported()] == [True, False, False, False, False]


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
