"""The bad-input corpus: builders of hostile or careless CRM exports, and the test's own ledger.

Every case is generated here as bytes (nothing is checked in). The ledger counts what a file
delivers and what the lake holds by its own method: a regular expression for each source's key
shape over the bytes (latin-1, so no decoder decides anything) and over the quarantine's raw text,
never through the ingest's parser, so a parser that draws the wrong record boundaries cannot agree
with it by construction.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

BATCH = "2026-11-20"

# the generator's key shapes: prefix + digits, planted bad rows prefix + X + 6 digits (checked
# against its manifest by test_ledger_agrees_with_the_generators_manifest)
_KEYS = {
    "customers": ("customer_id", "C", 8),
    "consents": ("consent_id", "CS", 9),
    "campaigns": ("campaign_id", "CP", 4),
    "marketing_messages": ("message_id", "M", 10),
    "orders": ("order_id", "O", 9),
    "complaints": ("complaint_id", "TS", 7),
    "contract_templates": ("template_id", "T", 3),
    "contracts": ("contract_id", "HT", 8),
    "visit_expenses": ("expense_id", "VE", 6),
    "reviews": ("review_id", "R", 9),
    "dsr_requests": ("request_id", "DSR", 7),
    "data_transfers": ("transfer_id", "DT", 5),
    "security_incidents": ("incident_id", "SI", 4),
}
KEY_SHAPES = {
    source: (key, f"{prefix}(?:[0-9]{{{digits}}}|X[0-9]{{6}})")
    for source, (key, prefix, digits) in _KEYS.items()
}


def key_pattern(source: str) -> re.Pattern[str]:
    shape = KEY_SHAPES[source][1]
    return re.compile(rf"(?<![A-Za-z0-9]){shape}(?![A-Za-z0-9])")


def delivered_keys(source: str, data: bytes) -> Counter[str]:
    """Keys a file delivers, by key shape over its bytes (NFKC: full-width keys count too)."""
    text = unicodedata.normalize("NFKC", data.decode("utf-8", errors="replace"))
    return Counter(key_pattern(source).findall(text))


# -- what the lake holds -------------------------------------------------------------------------


@dataclass
class Stored:
    raw: Counter[str]
    quarantined: Counter[str]
    raw_rows: list[dict]
    quarantine_rows: list[dict]


def stored_keys(home: Path, source: str) -> Stored:
    """Keys in raw (a glob over every partition) and in quarantine (found in its raw text)."""
    key = KEY_SHAPES[source][0]
    pattern = key_pattern(source)
    con = duckdb.connect()
    raw_rows: list[dict] = []
    q_rows: list[dict] = []
    raw_glob = home / "lake" / "raw" / source / "*" / "*.parquet"
    q_glob = home / "lake" / "quarantine" / source / "*" / "*.parquet"
    if list(raw_glob.parent.parent.glob("*/*.parquet")):
        cur = con.execute("select * from read_parquet(?, union_by_name = true)", [str(raw_glob)])
        names = [d[0] for d in cur.description]
        raw_rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if list(q_glob.parent.parent.glob("*/*.parquet")):
        cur = con.execute("select * from read_parquet(?)", [str(q_glob)])
        names = [d[0] for d in cur.description]
        q_rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    con.close()
    raw = Counter(str(r[key]) for r in raw_rows if r[key] is not None)
    quarantined: Counter[str] = Counter()
    for row in q_rows:
        found = pattern.findall(unicodedata.normalize("NFKC", row["raw_text"] or ""))
        if not found and row["record_key"]:
            found = [row["record_key"]]
        # one record's text may name its key twice (e.g. a swallowed quote): count lines once
        quarantined.update(found if len(set(found)) > 1 else found[:1])
    return Stored(raw, quarantined, raw_rows, q_rows)


def account(home: Path, source: str, delivered: Counter[str]) -> list[str]:
    """Problems with delivered = loaded + quarantined, key by key, and with duplicates in raw."""
    got = stored_keys(home, source)
    problems = []
    dupes = sorted(k for k, n in got.raw.items() if n > 1)
    if dupes:
        problems.append(f"{source}: keys twice in a glob of raw: {dupes[:5]} ({len(dupes)})")
    lost = delivered - (got.raw + got.quarantined)
    invented = (got.raw + got.quarantined) - delivered
    if lost:
        problems.append(f"{source}: {lost.total()} delivered keys nowhere: {list(lost)[:5]}")
    if invented:
        problems.append(f"{source}: {invented.total()} keys not delivered: {list(invented)[:5]}")
    return problems


def mode_problems(home: Path) -> list[str]:
    """Every file under raw, quarantine and ingest reports 0600, every folder 0700."""
    bad = []
    for zone in ("raw", "quarantine", "ingest", ".staging"):
        root = home / "lake" / zone
        if not root.exists():
            continue
        for folder, dirs, files in os.walk(root):
            for name in dirs:
                path = Path(folder) / name
                if stat.S_IMODE(path.stat().st_mode) != 0o700:
                    bad.append(f"{path}: {oct(stat.S_IMODE(path.stat().st_mode))}")
            for name in files:
                path = Path(folder) / name
                if stat.S_IMODE(path.lstat().st_mode) != 0o600:
                    bad.append(f"{path}: {oct(stat.S_IMODE(path.lstat().st_mode))}")
        if stat.S_IMODE(root.stat().st_mode) != 0o700:
            bad.append(f"{root}: {oct(stat.S_IMODE(root.stat().st_mode))}")
    return bad


def leftovers(home: Path) -> list[str]:
    """Temp files a run left: anything in staging, hidden folders or non-Parquet in the zones,
    any plaintext decoded copy anywhere under the lake."""
    found = []
    staging = home / "lake" / ".staging"
    if staging.exists():
        found += [str(p) for p in staging.iterdir()]
    for zone in ("raw", "quarantine"):
        root = home / "lake" / zone
        if root.exists():
            found += [
                str(p)
                for p in root.rglob("*")
                if p.name.startswith(".") or (p.is_file() and p.name != "part-0.parquet")
            ]
    found += [str(p) for p in (home / "lake").rglob("decoded*")] if (home / "lake").exists() else []
    return found


# -- building exports ----------------------------------------------------------------------------

MESSAGE_HEADER = [
    "message_id",
    "customer_id",
    "campaign_id",
    "channel",
    "content",
    "sent_at",
    "delivery_status",
    "clicked_at",
    "has_unsubscribe_link",
    "storage_region",
]


def message_key(n: int) -> str:
    return f"M{n:010d}"


def message_row(n: int, content: str | None = None) -> list[str]:
    text = content if content is not None else f"【示例零售】尊敬的客户, 第{n}号活动开始了"
    return [
        message_key(n),
        f"C{n:08d}",
        "CP0001",
        "sms",
        text,
        "2026-11-19T10:00:00",
        "delivered",
        "",
        "true",
        "cn-north-1",
    ]


def csv_text(rows: list[list[str]], header: list[str] = MESSAGE_HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def messages(n: int, start: int = 1) -> list[list[str]]:
    return [message_row(i) for i in range(start, start + n)]


@dataclass
class RecordCase:
    """One landing file and what its ingest must show."""

    name: str
    source: str
    file: str
    data: bytes
    # keys that must end in quarantine (None: any split is fine as long as the ledger balances)
    quarantined: Counter[str] | None = None
    refused: str | None = None  # the file is refused as a whole, the error naming this
    xfail: str | None = None
    delivered: Counter[str] | None = None  # default: by key shape over the bytes
    checks: list = field(default_factory=list)  # callables (Stored) -> problem or None

    def expected_keys(self) -> Counter[str]:
        return (
            self.delivered if self.delivered is not None else delivered_keys(self.source, self.data)
        )
