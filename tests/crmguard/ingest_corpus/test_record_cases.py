"""Record-level corpus: each hostile file ingested alone; the ledger balances key by key."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from crmguard.ingest import LandingFileError, ingest_file
from tests.crmguard.ingest_corpus.corpus import (
    BATCH,
    RecordCase,
    account,
    leftovers,
    mode_problems,
    stored_keys,
)
from tests.crmguard.ingest_corpus.record_cases import cases

CASES = cases()


def _param(case: RecordCase):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture
def loose_umask():
    """The ingest must set its own umask: start from the usual 022."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_record_case(case: RecordCase, crmguard_home: Path, loose_umask: None) -> None:
    folder = crmguard_home / "landing" / BATCH
    folder.mkdir(parents=True)
    (folder / case.file).write_bytes(case.data)
    landing = str(crmguard_home / "landing")
    if case.refused:
        with pytest.raises(LandingFileError) as err:
            ingest_file(landing, BATCH, case.file)
        message = str(err.value)
        assert message.startswith(str(folder / case.file)), message  # names the file
        assert case.refused in message and "\n" not in message
        assert stored_keys(crmguard_home, case.source).raw == Counter()  # nothing half-loaded
        return
    result = ingest_file(landing, BATCH, case.file)
    delivered = case.expected_keys()
    assert account(crmguard_home, case.source, delivered) == []
    stored = stored_keys(crmguard_home, case.source)
    if case.quarantined is not None:
        assert stored.quarantined == case.quarantined
    for q in stored.quarantine_rows:  # every quarantined row says where and why
        assert q["file"] == case.file and q["line"] >= 1 and q["reason"], q
    problems = [p for check in case.checks if (p := check(stored))]
    assert problems == []
    assert result["rows_loaded"] == sum(stored.raw.values())
    assert mode_problems(crmguard_home) == []
    assert leftovers(crmguard_home) == []


def test_cases_are_distinct() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len({(c.file, c.data) for c in CASES}) == len(CASES)
