"""The ``expected.json`` manifest: what the generator wrote and planted, for ingestion tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from crmguard.demo_data.export_file import ExportFile
from crmguard.demo_data.profile import REJECT_KINDS, TRICKY_KINDS

MANIFEST_NAME = "expected.json"
GENERATOR_VERSION = 1


def _by_kind(kinds: tuple[str, ...], rows: list) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for kind in kinds:
        picked = [
            {"file": r.file, "key": r.key, "line": r.line}
            for r in sorted(rows, key=lambda r: (r.file, r.line))
            if r.kind == kind
        ]
        out[kind] = {"count": len(picked), "rows": picked}
    return out


def build_manifest(
    files: list[ExportFile], customers: int, seed: int, batch_date: str, violations: str
) -> dict[str, object]:
    return {
        "generator": {
            "version": GENERATOR_VERSION,
            "customers": customers,
            "seed": seed,
            "batch_date": batch_date,
            "violations": violations,
        },
        "files": {f.name: f.manifest_entry() for f in files},
        "bad_rows": _by_kind(REJECT_KINDS, [r for f in files for r in f.bad]),
        "tricky_valid": _by_kind(TRICKY_KINDS, [r for f in files for r in f.tricky]),
    }


def write_manifest(folder: Path, manifest: dict[str, object]) -> Path:
    path = folder / MANIFEST_NAME
    tmp = path.with_name(MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
