"""Planting bad rows (rejected at ingestion) and tricky rows (loaded) into a landing file.

Which rows and how many is decided up-front from the configured rates, with a seeded generator,
so the manifest can record exactly what was planted without running any pipeline code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from crmguard.config import SourceContract
from crmguard.demo_data.export_file import ChunkPlan, ExportFile, RejectBuilder, csv_quote
from crmguard.demo_data.profile import REJECT_KINDS, DemoDataProfile

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# preferred free-text columns for embedded newlines and Chinese punctuation
_FREE_TEXT = ("content", "address", "clause_text", "resolution")


class FilePlan:
    """Planted rows of one file by global row position, split into chunk plans on demand."""

    def __init__(self) -> None:
        self.tricky: dict[int, list[str]] = {}
        self.rejects: dict[int, list[str]] = {}

    def chunk(self, start: int, stop: int) -> ChunkPlan:
        return ChunkPlan(
            tricky={p - start: k for p, k in self.tricky.items() if start <= p < stop},
            rejects={p - start: k for p, k in self.rejects.items() if start <= p < stop},
        )


def plan_file(
    source: str, rows: int, profile: DemoDataProfile, rng: np.random.Generator
) -> FilePlan:
    """Choose the positions of every kind planted in ``source`` (a file of ``rows`` rows)."""
    plan = FilePlan()
    if rows == 0:
        return plan
    counts = {
        kind: max(profile.minimum_per_file, round(spec.rate * rows))
        for kind, spec in profile.planted.items()
        if source in spec.sources
    }
    # rows whose fields change (tricky kinds, duplicate hosts) are distinct rows
    exclusive = [k for k in counts if k not in REJECT_KINDS or k == "duplicate_key"]
    # a tiny batch may have fewer rows than planted kinds want: plant as many as fit
    need = min(rows, sum(counts[k] for k in exclusive))
    positions = rng.choice(rows, size=need, replace=False).tolist()
    for kind in exclusive:
        for _ in range(counts[kind]):
            if not positions:
                break
            target = plan.rejects if kind == "duplicate_key" else plan.tricky
            target.setdefault(positions.pop(), []).append(kind)
    for kind, n in counts.items():
        if kind in exclusive:
            continue
        for pos in rng.integers(0, rows, size=n).tolist():
            plan.rejects.setdefault(pos, []).append(kind)
    return plan


def _first(contract: SourceContract, kind: str, exclude: tuple[str, ...] = ()) -> str:
    for name, col in contract.columns.items():
        if col.type == kind and name != contract.key and name not in exclude:
            return name
    raise ValueError(f"no {kind} column to plant into")


def _free_text(contract: SourceContract) -> str:
    for name in _FREE_TEXT:
        if name in contract.columns:
            return name
    return _first(contract, "text")


def trick_applier(contract: SourceContract) -> Callable[[str, dict[str, str]], None]:
    """Field changes for loaded-but-tricky kinds in one source."""

    def apply(kind: str, row: dict[str, str]) -> None:
        text_column = _free_text(contract)
        if kind == "embedded_newline":
            row[text_column] = row[text_column] + "\n补充说明: 见附件"
        elif kind == "chinese_comma_or_quote":
            row[text_column] = row[text_column] + "，客户说＂尽快处理＂"
        elif kind == "fullwidth_digits":
            for column in ("mobile", "id_number"):
                if column in row:
                    row[column] = row[column].translate(_FULLWIDTH)
        else:
            raise ValueError(f"unknown tricky kind {kind}")

    return apply


def reject_builder(export: ExportFile, contract: SourceContract, key_prefix: str) -> RejectBuilder:
    """Raw records for rejected kinds, built from a host row; each gets a fresh key."""
    counter = iter(range(1, 10**9))
    ragged = iter(range(10**9))  # alternates too many / too few fields
    order_by = contract.order_by

    def build(kind: str, host: dict[str, str]) -> tuple[str, str | None]:
        row = dict(host)
        if kind == "duplicate_key":
            # the loser: older `order_by` value if the source has one, else earlier in the file
            if order_by:
                row[order_by] = _older(row[order_by])
            return export.format_record(row), row[contract.key]
        seq = next(counter)
        key = f"{key_prefix}X{seq:06d}"
        row[contract.key] = key
        if kind == "ragged_row":
            values = [csv_quote(row[c]) for c in export.columns]
            values = [*values, "多余字段"] if next(ragged) % 2 == 0 else values[:-2]
            return ",".join(values), key
        if kind == "invalid_date":
            row[_first(contract, "date")] = "1987-02-30"
        elif kind == "invalid_timestamp":
            row[_first(contract, "timestamp")] = "2024-13-45T25:61:00"
        elif kind == "invalid_enum":
            row[_first(contract, "enum")] = "frozen_unknown"
        elif kind == "undecodable_bytes":
            column = _first(contract, "text")
            row[column] = row[column] + "\udcff\udcfe\udcff"
        elif kind == "malformed_json":
            record = export.format_record(row)
            return record[: len(record) // 2], key
        else:
            raise ValueError(f"unknown reject kind {kind}")
        return export.format_record(row), key

    return build


def _older(timestamp: str) -> str:
    # one year earlier: always loses to the original on `order_by`
    older = str(int(timestamp[:4]) - 1) + timestamp[4:]
    return older.replace("-02-29", "-02-28")
