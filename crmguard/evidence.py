"""Evidence packs for auditors: one zip per batch with a SHA-256 manifest, and its verification.

``crmguard evidence --batch-date D`` bundles the auditor's report, the batch's validation results
(governance rows as JSON, GX result files), the catalog and the ingestion reconciliation, and
lists every file with its SHA-256 in ``MANIFEST.sha256`` (``sha256sum`` format, so
``sha256sum -c`` works on an unpacked copy too). ``crmguard evidence --verify ZIP`` recomputes
every entry and names each tampered, missing or extra file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path, PurePosixPath

from crmguard.batch_date import batch_date_arg
from crmguard.governance_log import TABLES, ensure_tables
from crmguard.paths import SHARED_DIR_MODE, SHARED_FILE_MODE, ensure_dir, layout
from crmguard.warehouse import connect

MANIFEST = "MANIFEST.sha256"


def sha256_hex(data: bytes) -> str:
    """The one content hash of evidence packs, access packages, certificates and the access log."""
    return hashlib.sha256(data).hexdigest()


_sha256 = sha256_hex


def _governance_export(batch_date: str) -> tuple[bytes, list[str]]:
    """Every governance run table's rows for the batch as JSON, and the batch's run ids."""
    con = connect(layout().warehouse_db)
    try:
        ensure_tables(con)
        export: dict[str, list[dict]] = {}
        for table in TABLES:
            cur = con.execute(
                f"select * from governance.{table} where batch_date = ?::date order by all",
                [batch_date],
            )
            cols = [d[0] for d in cur.description]
            export[table] = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
    run_ids = sorted({r["run_id"] for rows in export.values() for r in rows})
    doc = {"batch_date": batch_date, "run_ids": run_ids, "tables": export}
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str).encode(), run_ids


def _gx_results(run_ids: list[str]) -> dict[str, bytes]:
    """GX validation result files of the batch's runs (the store keeps one folder per run name)."""
    store = layout().home / "gx" / "uncommitted" / "validations"
    if not store.is_dir():
        return {}
    wanted = set(run_ids)
    return {
        f"validation/gx/{path.relative_to(store).as_posix()}": path.read_bytes()
        for path in sorted(store.rglob("*.json"))
        if wanted.intersection(path.relative_to(store).parts)
    }


def build_evidence(batch_date: str, out: Path | None = None) -> Path:
    """Write the evidence zip of ``batch_date`` (default reports/evidence/) and return its path."""
    from crmguard.report import build_report

    lay = layout()
    dt.date.fromisoformat(batch_date)  # a malformed date must not name files
    files: dict[str, bytes] = {}
    missing: list[str] = []
    files["report/compliance_report.html"] = build_report(batch_date).read_bytes()
    governance, run_ids = _governance_export(batch_date)
    files["validation/governance_runs.json"] = governance
    files.update(_gx_results(run_ids))
    for name, path in (
        ("catalog/catalog.json", lay.catalog),
        (
            "reconciliation/reconciliation.json",
            lay.ingest_reports / f"batch_date={batch_date}" / "reconciliation.json",
        ),
    ):
        if path.is_file():
            files[name] = path.read_bytes()
        else:
            missing.append(f"{name} (no {path.relative_to(lay.home)})")
    files["README.txt"] = (
        f"CRM Guard evidence pack, batch {batch_date}, run(s): {', '.join(run_ids) or 'none'}\n"
        f"created {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n"
        f"check: crmguard evidence --verify <this zip>  (or unzip and sha256sum -c {MANIFEST})\n"
        + "".join(f"not available: {m}\n" for m in missing)
    ).encode()
    target = out or lay.reports / "evidence" / f"evidence_{batch_date}.zip"
    if out is None:
        ensure_dir(lay.reports, SHARED_DIR_MODE)
        ensure_dir(target.parent, SHARED_DIR_MODE)  # auditors read reports/
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    return write_manifest_zip(files, target, SHARED_FILE_MODE)


def write_manifest_zip(files: dict[str, bytes], target: Path, mode: int) -> Path:
    """Write ``files`` and their ``MANIFEST.sha256`` into the zip ``target`` (atomically, with
    file mode ``mode``); :func:`verify_evidence` checks any zip written here."""
    manifest = "".join(f"{sha256_hex(files[name])}  {name}\n" for name in sorted(files))
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            zf.writestr(name, files[name])
        zf.writestr(MANIFEST, manifest)
    os.chmod(tmp, mode)
    tmp.replace(target)
    return target


def verify_evidence(path: Path) -> list[str]:
    """Problems found in an evidence zip (empty when every entry matches its manifest line)."""
    problems: list[str] = []
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable zip ({exc})"]
    with zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        if MANIFEST not in names:
            return [f"{MANIFEST}: missing"]
        listed: dict[str, str] = {}
        for number, line in enumerate(zf.read(MANIFEST).decode().splitlines(), 1):
            digest, sep, name = line.partition("  ")
            pure = PurePosixPath(name)
            if not sep or len(digest) != 64 or pure.is_absolute() or ".." in pure.parts:
                problems.append(f"{MANIFEST}: line {number} malformed: {line!r}")
            elif name in listed:
                problems.append(f"{MANIFEST}: {name} listed twice")
            else:
                listed[name] = digest
        for name, digest in listed.items():
            if name not in names:
                problems.append(f"{name}: missing from the zip")
            elif _sha256(zf.read(name)) != digest:
                problems.append(f"{name}: SHA-256 differs from the manifest (modified)")
        for name in names:
            if name != MANIFEST and name not in listed:
                problems.append(f"{name}: extra file, not in the manifest")
        if len(names) != len(set(names)):
            problems.append("zip holds duplicate entry names")
    return problems


def _run(args: argparse.Namespace) -> int:
    if args.verify:
        problems = verify_evidence(Path(args.verify))
        for problem in problems:
            print(f"FAILED {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"OK {args.verify}: every file matches {MANIFEST}")
        return 0
    path = build_evidence(args.batch_date, Path(args.out) if args.out else None)
    print(f"evidence: {path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evidence", help="write a batch's evidence zip (SHA-256 manifest) or verify one"
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--batch-date", type=batch_date_arg, help="YYYY-MM-DD: write the evidence zip of this batch"
    )
    what.add_argument(
        "--verify", metavar="ZIP", help="check every file of ZIP against its manifest"
    )
    parser.add_argument("--out", help="zip path (default reports/evidence/evidence_<date>.zip)")
    parser.set_defaults(func=_run)
