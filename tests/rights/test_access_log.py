"""The access log's chain: a clean log verifies; an edited, removed, swapped or cut-off entry,
or a chain rewritten without the key, fails and is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmguard import key_store
from crmguard.cli import main
from crmguard.rights import access_log


@pytest.fixture
def log(crmguard_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(key_store.KEY_FILE_ENV, raising=False)
    key_store.ensure_dev_keyring()
    for n in range(1, 6):
        access_log.append(
            "unmask_reveal",
            actor=f"analyst{n}",
            purpose="fraud_review",
            subject="ab" * 32,
            details={"columns": ["mobile"], "n": n},
        )
    return access_log.log_path()


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_clean_log_verifies(log: Path, capsys: pytest.CaptureFixture) -> None:
    assert access_log.verify() == []
    assert [e["seq"] for e in access_log.entries()] == [1, 2, 3, 4, 5]
    assert main(["audit", "verify"]) == 0
    assert "5 entries" in capsys.readouterr().out
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_edited_entry_is_named(log: Path, capsys: pytest.CaptureFixture) -> None:
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[2])
    entry["purpose"] = "marketing"
    lines[2] = json.dumps(entry)
    _rewrite(log, lines)
    problems = access_log.verify()
    assert problems and problems[0].startswith("entry seq 3 ") and "edited" in problems[0]
    assert main(["audit", "verify"]) == 1
    assert "entry seq 3" in capsys.readouterr().err


def test_edited_entry_with_recomputed_hash_fails_on_mac(log: Path) -> None:
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["actor"] = "someone_else"
    body = {k: entry[k] for k in access_log.FIELDS}
    entry["hash"] = access_log.sha256_hex(access_log.canonical(body))
    lines[1] = json.dumps(entry)
    _rewrite(log, lines)
    problems = access_log.verify()
    assert problems[0].startswith("entry seq 2 ") and "MAC" in problems[0]


def test_deleted_entry_is_named(log: Path) -> None:
    lines = log.read_text(encoding="utf-8").splitlines()
    del lines[3]
    _rewrite(log, lines)
    problems = access_log.verify()
    assert problems[0].startswith("entry seq 4 removed")


def test_swapped_entries_are_named(log: Path) -> None:
    lines = log.read_text(encoding="utf-8").splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    _rewrite(log, lines)
    problems = access_log.verify()
    assert problems[0].startswith("entry seq 3 ") and "reordered" in problems[0]


def test_entry_cut_off_the_end_is_named(log: Path) -> None:
    lines = log.read_text(encoding="utf-8").splitlines()
    _rewrite(log, lines[:-1])
    problems = access_log.verify()
    assert problems[0].startswith("entry seq 5 removed")


def test_append_refuses_a_broken_log(log: Path) -> None:
    lines = log.read_text(encoding="utf-8").splitlines()
    _rewrite(log, lines[1:])
    with pytest.raises(access_log.AccessLogTampered, match="entry seq 1 removed"):
        access_log.append("dsr_export", actor="x", purpose=None, subject=None)
    assert len(log.read_text(encoding="utf-8").splitlines()) == 4  # nothing appended
