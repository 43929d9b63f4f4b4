"""Writing one landing file: header, streamed record chunks, planted rows and their line numbers."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crmguard.demo_data.profile import FileFormat

_NEEDS_QUOTES = (",", '"', "\n", "\r")


def csv_quote(value: str) -> str:
    """RFC 4180 quoting, only where the value needs it."""
    if any(c in value for c in _NEEDS_QUOTES):
        return '"' + value.replace('"', '""') + '"'
    return value


def _quote_column(values: list[str]) -> list[str]:
    # one C-level join tells whether any value of the column needs quoting at all
    joined = "\x00".join(values)
    if any(c in joined for c in _NEEDS_QUOTES):
        return [csv_quote(v) for v in values]
    return values


@dataclass(frozen=True)
class PlantedRow:
    kind: str
    file: str
    key: str | None
    line: int


@dataclass
class ChunkPlan:
    """What to plant in one chunk, by row position within the chunk."""

    # field-level tricks applied to a row that still loads: position -> kinds
    tricky: dict[int, list[str]] = field(default_factory=dict)
    # extra rejected records inserted before the row at a position: position -> kinds
    rejects: dict[int, list[str]] = field(default_factory=dict)


# builds a rejected row's raw record from its host row: (kind, fields) -> (record, key)
RejectBuilder = Callable[[str, dict[str, str]], tuple[str, str | None]]
# mutates a host row's fields in place for a loaded-but-tricky kind
TrickApplier = Callable[[str, dict[str, str]], None]


class ExportFile:
    """One landing file written to ``<name>.tmp`` and renamed into place on :meth:`close`."""

    def __init__(
        self,
        path: Path,
        source: str,
        fmt: FileFormat,
        columns: list[str],
        header: list[str],
        key_column: str,
        json_types: dict[str, str] | None = None,
    ) -> None:
        self.path = path
        self.name = path.name
        self.source = source
        self.fmt = fmt
        self.columns = columns
        self.key_column = key_column
        self.json_types = json_types or {}
        self.records = 0
        self.quarantined = 0
        self.bad: list[PlantedRow] = []
        self.tricky: list[PlantedRow] = []
        self._tmp = path.with_name(path.name + ".tmp")
        self._fh = self._tmp.open("wb")
        # surrogate escapes carry planted undecodable bytes; only UTF-8 files receive them
        self._errors = "surrogateescape" if fmt.encoding != "gb18030" else "strict"
        self._codec = "utf-8" if fmt.encoding == "utf-8-sig" else fmt.encoding
        if fmt.encoding == "utf-8-sig":
            self._fh.write(b"\xef\xbb\xbf")
        self._next_line = 1
        if fmt.format == "csv":
            self._write_text(",".join(csv_quote(h) for h in header) + fmt.line_end)

    def _write_text(self, text: str) -> None:
        self._fh.write(text.encode(self._codec, self._errors))
        self._next_line += text.count("\n")

    def format_record(self, fields: dict[str, str]) -> str:
        if self.fmt.format == "jsonl":
            return json.dumps(
                {c: self._json_value(c, fields.get(c, "")) for c in self.columns},
                ensure_ascii=False,
            )
        return ",".join(csv_quote(fields.get(c, "")) for c in self.columns)

    def _json_value(self, column: str, value: str) -> object:
        if value == "":
            return None
        if self.json_types.get(column) == "integer":
            return int(value)
        return value

    def write_chunk(
        self,
        cols: dict[str, list[str]],
        plan: ChunkPlan | None = None,
        tricks: TrickApplier | None = None,
        rejects: RejectBuilder | None = None,
    ) -> None:
        """Write a chunk of rows (column lists of raw values) with its planted rows."""
        plan = plan or ChunkPlan()
        # rejected rows copy their host as generated, before any loaded-but-tricky change
        hosts = {pos: {c: cols[c][pos] for c in self.columns} for pos in plan.rejects}
        for pos, kinds in plan.tricky.items():
            row = {c: cols[c][pos] for c in self.columns}
            for kind in kinds:
                if kind != "crcrlf_line_end" and tricks is not None:
                    tricks(kind, row)
            for c in self.columns:
                cols[c][pos] = row[c]
        if self.fmt.format == "jsonl":
            ordered = [cols[c] for c in self.columns]
            records = [
                self.format_record(dict(zip(self.columns, vals, strict=True)))
                for vals in zip(*ordered, strict=True)
            ]
        else:
            records = list(
                map(",".join, zip(*(_quote_column(cols[c]) for c in self.columns), strict=True))
            )
        keys = cols[self.key_column]
        term = self.fmt.line_end
        # crcrlf rows: the record itself ends in \r so that, with the terminator, it ends \r\r\n
        for pos, kinds in plan.tricky.items():
            if "crcrlf_line_end" in kinds:
                records[pos] += "\r\r\n"[: 3 - len(term)]
        out: list[str] = []
        marks: list[tuple[int, str, str | None, bool]] = []  # (index in out, kind, key, rejected)
        prev = 0
        for pos in sorted(set(plan.rejects) | set(plan.tricky)):
            out.extend(records[prev:pos])
            prev = pos
            for kind in plan.rejects.get(pos, []):
                if rejects is None:
                    raise ValueError(f"{self.name}: planting {kind} needs a reject builder")
                record, key = rejects(kind, hosts[pos])
                marks.append((len(out), kind, key, True))
                out.append(record)
            for kind in plan.tricky.get(pos, []):
                marks.append((len(out), kind, keys[pos], False))
        out.extend(records[prev:])
        # physical line of each planted record: only planted records span several lines
        extra_newlines = 0
        line_of: dict[int, int] = {}
        for idx in sorted({m[0] for m in marks}):
            line_of[idx] = self._next_line + idx + extra_newlines
            extra_newlines += out[idx].count("\n")
        for idx, kind, key, rejected in marks:
            row = PlantedRow(kind, self.name, key, line_of[idx])
            (self.bad if rejected else self.tricky).append(row)
            self.quarantined += int(rejected)
        if out:
            self._write_text(term.join(out) + term)
        self.records += len(out)

    def add_file_level(self, kind: str) -> None:
        """A loaded-but-tricky property of the whole file (alias headers, extra columns)."""
        self.tricky.append(PlantedRow(kind, self.name, None, 1))

    def close(self) -> None:
        self._fh.close()
        os.replace(self._tmp, self.path)

    def manifest_entry(self) -> dict[str, object]:
        return {
            "source": self.source,
            "format": self.fmt.format,
            "encoding": self.fmt.encoding,
            "records": self.records,
            "expected_loaded": self.records - self.quarantined,
            "expected_quarantined": self.quarantined,
        }
