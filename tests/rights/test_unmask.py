"""Approved unmasking: two distinct roles sign, then the vault is decrypted and the reveal logged;
every refusal (unknown customer, one approver twice, forged or edited approval, expired grant,
shredded customer, tampered log) decrypts nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crmguard import key_store
from crmguard.rights import access_log, unmask
from crmguard.rights.policy import RightsPolicy
from tests.rights.lake_fixture import CUSTOMERS

T0 = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)


def _approved(policy: RightsPolicy, keys: dict[str, Path]) -> str:
    request = unmask.request_unmask(
        "C001", ["mobile"], "fraud_investigation", "analyst.wu", policy, now=T0
    )
    rid = request["request_id"]
    unmask.approve(rid, "chen.compliance", keys["chen.compliance"], policy, now=T0)
    unmask.approve(rid, "liu.lead", keys["liu.lead"], policy, now=T0 + dt.timedelta(hours=1))
    return rid


def _reveals() -> int:
    return sum(e["event"] == "unmask_reveal" for e in access_log.entries())


def test_two_roles_then_reveal_logged(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    rid = _approved(policy, approver_keys)
    result = unmask.reveal(rid, policy=policy, now=T0 + dt.timedelta(hours=2))
    assert result["rows"] == [
        {"source": "customers", "batch_date": "2026-11-20", "values": {"mobile": CUSTOMERS[0][3]}}
    ]
    last = access_log.entries()[-1]
    assert last["event"] == "unmask_reveal" and last["purpose"] == "fraud_investigation"
    assert sorted(a["role"] for a in last["details"]["approvers"]) == [
        "compliance",
        "division_lead",
    ]
    assert CUSTOMERS[0][3] not in access_log.log_path().read_text(encoding="utf-8")


def test_one_approval_is_not_enough(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    request = unmask.request_unmask("C001", ["mobile"], "litigation", "analyst.wu", policy, T0)
    rid = request["request_id"]
    unmask.approve(rid, "chen.compliance", approver_keys["chen.compliance"], policy, now=T0)
    # a second compliance officer does not stand in for the division lead
    unmask.approve(rid, "he.compliance", approver_keys["he.compliance"], policy, now=T0)
    with pytest.raises(unmask.UnmaskError, match="missing role"):
        unmask.reveal(rid, policy=policy, now=T0)
    assert _reveals() == 0


def test_one_approver_twice_refused(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    request = unmask.request_unmask("C001", ["mobile"], "litigation", "analyst.wu", policy, T0)
    rid = request["request_id"]
    unmask.approve(rid, "chen.compliance", approver_keys["chen.compliance"], policy, now=T0)
    with pytest.raises(unmask.UnmaskError, match="already approved"):
        unmask.approve(rid, "chen.compliance", approver_keys["chen.compliance"], policy, now=T0)
    # copying the approval into the file under the same name is caught at reveal
    path = lake / "lake" / "rights" / "unmask" / f"{rid}.json"
    record = json.loads(path.read_text())
    record["approvals"].append(dict(record["approvals"][0]))
    path.write_text(json.dumps(record))
    with pytest.raises(unmask.UnmaskError, match="approved twice"):
        unmask.reveal(rid, policy=policy, now=T0)
    assert _reveals() == 0


def test_wrong_key_and_forged_approval(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    request = unmask.request_unmask("C001", ["mobile"], "litigation", "analyst.wu", policy, T0)
    rid = request["request_id"]
    with pytest.raises(unmask.UnmaskError, match=r"does not belong to approver liu\.lead"):
        unmask.approve(rid, "liu.lead", approver_keys["chen.compliance"], policy, now=T0)
    unmask.approve(rid, "chen.compliance", approver_keys["chen.compliance"], policy, now=T0)
    path = lake / "lake" / "rights" / "unmask" / f"{rid}.json"
    record = json.loads(path.read_text())
    forged = dict(record["approvals"][0], approver="liu.lead", role="division_lead")
    record["approvals"].append(forged)
    path.write_text(json.dumps(record))
    with pytest.raises(unmask.UnmaskError, match=r"approval by liu\.lead does not verify"):
        unmask.reveal(rid, policy=policy, now=T0)
    assert _reveals() == 0


def test_edited_request_breaks_signatures(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    rid = _approved(policy, approver_keys)
    path = lake / "lake" / "rights" / "unmask" / f"{rid}.json"
    record = json.loads(path.read_text())
    record["request"]["columns"] = ["id_number", "mobile"]
    path.write_text(json.dumps(record))
    with pytest.raises(unmask.UnmaskError, match="does not verify"):
        unmask.reveal(rid, policy=policy, now=T0 + dt.timedelta(hours=2))
    assert _reveals() == 0


def test_expired_grant(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    rid = _approved(policy, approver_keys)
    late = T0 + dt.timedelta(hours=1 + policy.unmask.grant_hours, seconds=1)
    with pytest.raises(unmask.UnmaskError, match="grant expired"):
        unmask.reveal(rid, policy=policy, now=late)
    assert _reveals() == 0


def test_future_dated_approval_refused(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    # signing "tomorrow" would stretch the grant: refused until then, and nothing decrypted
    request = unmask.request_unmask("C001", ["mobile"], "litigation", "analyst.wu", policy, T0)
    rid = request["request_id"]
    unmask.approve(rid, "chen.compliance", approver_keys["chen.compliance"], policy, now=T0)
    later = T0 + dt.timedelta(days=1)
    unmask.approve(rid, "liu.lead", approver_keys["liu.lead"], policy, now=later)
    with pytest.raises(unmask.UnmaskError, match="dated in the future"):
        unmask.reveal(rid, policy=policy, now=T0 + dt.timedelta(hours=1))
    assert _reveals() == 0


def test_unknown_customer_and_column(lake: Path, policy: RightsPolicy) -> None:
    with pytest.raises(unmask.UnmaskError, match="unknown"):
        unmask.request_unmask("C404", ["mobile"], "litigation", "analyst.wu", policy, T0)
    with pytest.raises(unmask.UnmaskError, match="not vaulted"):
        unmask.request_unmask("C001", ["email"], "litigation", "analyst.wu", policy, T0)
    with pytest.raises(unmask.UnmaskError, match="purpose"):
        unmask.request_unmask("C001", ["mobile"], "curiosity", "analyst.wu", policy, T0)


def test_shredded_customer(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    rid = _approved(policy, approver_keys)
    key_store.shred_customer(key_store.token_for("C001", "CUSTOMER_ID"))
    with pytest.raises(unmask.UnmaskError, match="shredded"):
        unmask.reveal(rid, policy=policy, now=T0 + dt.timedelta(hours=2))
    assert _reveals() == 0


def test_tampered_log_refuses(lake: Path, policy: RightsPolicy, approver_keys) -> None:
    rid = _approved(policy, approver_keys)
    log = access_log.log_path()
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(unmask.UnmaskError, match="access log broken"):
        unmask.reveal(rid, policy=policy, now=T0 + dt.timedelta(hours=2))
    assert "unmask_reveal" not in log.read_text()


def test_cli_refuses_with_clear_error(lake: Path, capsys: pytest.CaptureFixture) -> None:
    from crmguard.cli import main

    code = main(
        [
            "unmask", "request", "--customer", "C404", "--columns", "mobile",
            "--purpose", "litigation", "--requester", "analyst.wu",
        ]
    )  # fmt: skip
    assert code == 2
    assert "C404: unknown" in capsys.readouterr().err
