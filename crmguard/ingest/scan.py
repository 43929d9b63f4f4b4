"""The independent record layout of a landing file, by vectorised byte scans, and the prepared copy.

This is the second, different method reconciliation needs (issue 19): physical lines are found by
a byte scan for LF (no quote rules), and CSV records by quote parity (a record starts at a
non-blank line where the number of quote characters since the file start is even), computed with
numpy over chunks; it shares no code with DuckDB's CSV state machine, which parses the fields.

The scan writes the prepared copy DuckDB reads: UTF-8, one record after the other, each prefixed
with its physical start line and line span (``line,span,`` for CSV, ``line<SOH>`` for JSONL), so
every row DuckDB returns names where it came from and a row that disagrees with the scan (a
boundary the parser saw differently) is found by a column comparison, never by a Python loop.
Records spanning implausibly many physical lines (an unbalanced quote) are not passed on: each
of their lines is quarantined as delivered, so one stray quote cannot swallow later records.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crmguard.ingest.decode import BadRun, EncodingDecision, TranscodedChunk

_LF, _CR = 10, 13
JSON_SEPARATOR = "\x01"  # cannot occur unescaped in valid JSON text

LINE_ROW_SCHEMA = pa.schema(
    [("line", pa.int64()), ("raw_text", pa.string()), ("kind", pa.string()),
     ("reason", pa.string())]
)  # fmt: skip
BAD_RECORD_SCHEMA = pa.schema(
    [("line", pa.int64()), ("kind", pa.string()), ("reason", pa.string()),
     ("raw_bytes_b64", pa.string())]
)  # fmt: skip


@dataclass
class PreparedFile:
    path: Path
    fmt: str  # "csv" or "jsonl"
    header: list[str]
    physical_lines: int
    # one entry per record passed to the parser, in file order
    rec_line: np.ndarray  # physical start line (1-based)
    rec_span: np.ndarray  # physical lines it spans
    rec_pstart: np.ndarray  # byte offset of its prefix in the prepared copy
    size: int  # bytes in the prepared copy
    bad_records: pa.Table  # records holding undecodable or NUL bytes (BAD_RECORD_SCHEMA)
    line_rows: pa.Table  # lines quarantined here, one row each (LINE_ROW_SCHEMA)

    @property
    def counted(self) -> int:
        """Records delivered: passed to the parser, plus lines quarantined one by one."""
        return int(self.rec_line.size + self.line_rows.num_rows)

    def prefix_length(self, idx: np.ndarray) -> np.ndarray:
        """Bytes of the ``line,span,`` (or ``line<SOH>``) prefix of records ``idx``."""
        digits = np.floor(np.log10(self.rec_line[idx])).astype(np.int64) + 1
        if self.fmt == "jsonl":
            return digits + 1
        return digits + np.floor(np.log10(self.rec_span[idx])).astype(np.int64) + 3

    def raw_text(self, lines: np.ndarray) -> pa.Array:
        """The delivered text (transcoded) of the records starting at ``lines``, gathered from
        the prepared copy by byte ranges: no per-record Python."""
        idx = np.searchsorted(self.rec_line, lines)
        if idx.size and (idx.max() >= self.rec_line.size or (self.rec_line[idx] != lines).any()):
            raise ValueError(f"{self.path}: line without a record in the layout")
        starts = self.rec_pstart[idx] + self.prefix_length(idx)
        nxt = np.append(self.rec_pstart, self.size)[idx + 1]
        ends = nxt - 1  # the LF closing the record
        return _gather_strings(self.path, starts, ends)


def _gather_strings(path: Path, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    lengths = (ends - starts).astype(np.int64)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if lengths.size == 0 or offsets[-1] == 0:
        data = np.zeros(0, dtype=np.uint8)
    else:
        mm = np.memmap(path, dtype=np.uint8, mode="r")
        index = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        data = np.asarray(mm[index])
        del mm
    return pa.LargeStringArray.from_buffers(
        lengths.size, pa.py_buffer(offsets), pa.py_buffer(data)
    ).cast(pa.string())


def _strings_from_lines(work: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Line texts (without their LF) as one Arrow array, gathered by byte ranges."""
    lengths = (ends - starts).astype(np.int64)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    index = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    data = work[index] if index.size else np.zeros(0, dtype=np.uint8)
    return pa.LargeStringArray.from_buffers(
        lengths.size, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())
    ).cast(pa.string())


@dataclass
class _Pending:
    """What one chunk leaves to the next: bytes of an incomplete record and its bad runs."""

    data: bytes = b""
    bad: list[BadRun] = field(default_factory=list)
    quoted: bool = False  # inside an over-long quoted record being quarantined line by line
    bad_region_start: int = 0  # its start line, for the reason


class LayoutScanner:
    """Splits transcoded chunks into records and writes the prepared copy."""

    def __init__(
        self,
        out_path: Path,
        fmt: str,
        quote: str,
        delimiter: str,
        escape: str,
        max_record_lines: int,
        encoding: str,
        max_line_bytes: int,
    ) -> None:
        self.path = out_path
        self.max_bytes = max_line_bytes
        self.fmt = fmt
        self.quote = ord(quote) if fmt == "csv" else None
        self.delimiter, self.quote_char, self.escape = delimiter, quote, escape
        self.max_lines = max_record_lines
        self.encoding = encoding
        self.header: list[str] | None = None if fmt == "csv" else []
        self.line_base = 0
        self.out = out_path.open("wb")
        self.out_pos = 0
        self.pending = _Pending()
        self.rec_line: list[np.ndarray] = []
        self.rec_span: list[np.ndarray] = []
        self.rec_pstart: list[np.ndarray] = []
        self.line_rows: list[pa.Table] = []
        self.delim = ord(delimiter)
        self.bad_rows: list[tuple[int, str, str, str]] = []

    # -- driving ---------------------------------------------------------------------------------
    def feed(self, chunks: Iterable[TranscodedChunk]) -> PreparedFile:
        try:
            for chunk in chunks:
                self._process(chunk.data, chunk.bad, final=False)
            self._process(b"", [], final=True)
        finally:
            self.out.close()
        header = self.header if self.header is not None else []
        return PreparedFile(
            path=self.path,
            fmt=self.fmt,
            header=header,
            physical_lines=self.line_base,
            rec_line=_concat(self.rec_line, np.int64),
            rec_span=_concat(self.rec_span, np.int64),
            rec_pstart=_concat(self.rec_pstart, np.int64),
            size=self.out_pos,
            bad_records=pa.Table.from_pylist(
                [dict(zip(BAD_RECORD_SCHEMA.names, r, strict=True)) for r in self.bad_rows],
                schema=BAD_RECORD_SCHEMA,
            ),
            line_rows=pa.concat_tables(self.line_rows)
            if self.line_rows
            else LINE_ROW_SCHEMA.empty_table(),
        )

    def _process(self, data: bytes, bad: list[BadRun], final: bool) -> None:
        pend = self.pending
        shift = len(pend.data)
        work = pend.data + data
        runs = pend.bad + [BadRun(b.kind, b.position + shift, b.byte_offset, b.line_b64)
                           for b in bad]  # fmt: skip
        if final and work and not work.endswith(b"\n"):
            work += b"\n"
        a = np.frombuffer(work, dtype=np.uint8)
        s0 = 1 if pend.quoted else 0
        q = np.flatnonzero(a == self.quote) if self.quote is not None else np.zeros(0, np.int64)
        cr = np.flatnonzero(a == _CR)
        if cr.size:
            # a CR left after folding CRLF ends a line when outside quotes (old Mac line ends);
            # inside quotes it is data
            outside = cr[((s0 + np.searchsorted(q, cr)) & 1) == 0]
            if outside.size:
                a = a.copy()
                a[outside] = _LF
        nl = np.flatnonzero(a == _LF)
        n = nl.size
        line_start = np.concatenate(([0], nl[:-1] + 1)).astype(np.int64) if n else nl
        line_end = nl
        st0 = (s0 + np.searchsorted(q, line_start)) & 1
        st1 = (s0 + np.searchsorted(q, line_end)) & 1
        if self.fmt == "jsonl":
            is_start = _has_non_space(a, line_start, line_end)
            is_end = is_start
        else:
            nonblank = line_end > line_start
            is_start = (st0 == 0) & nonblank
            belongs = is_start | (st0 == 1)
            is_end = belongs & (st1 == 0)
        starts = np.flatnonzero(is_start)
        ends = np.flatnonzero(is_end)
        single: list[tuple[np.ndarray, str]] = []  # (line indices, reason) quarantined singly
        consumed = n  # lines fully dealt with in this call
        next_quoted = False
        region_start = pend.bad_region_start
        if s0 == 1:  # the tail of an over-long quoted record: each line quarantined
            head_end = int(ends[0]) if ends.size else n - 1
            if ends.size:
                ends = ends[1:]
            else:
                next_quoted = not final
            single.append((np.arange(0, head_end + 1), self._unclosed(region_start, final)))
        if starts.size > ends.size:  # the last record is still open at the end of the data
            last = int(starts[-1])
            open_lines = n - last
            starts = starts[:-1]
            if final and open_lines <= self.max_lines:
                starts = np.append(starts, last)
                ends = np.append(ends, n - 1)
            elif open_lines > self.max_lines:
                single.append((np.arange(last, n), self._unclosed(self.line_base + last + 1,
                                                                 final)))  # fmt: skip
                next_quoted = not final
                region_start = self.line_base + last + 1
            else:
                consumed = last
        span = ends - starts + 1
        if self.header is None and starts.size:
            first_start, first_end = int(starts[0]), int(ends[0])
            text = work[line_start[first_start] : line_end[first_end]].decode("utf-8")
            self.header = next(
                csv.reader(
                    io.StringIO(text, newline=""),
                    delimiter=self.delimiter,
                    quotechar=self.quote_char,
                    doublequote=self.escape == self.quote_char,
                    escapechar=None if self.escape == self.quote_char else self.escape,
                ),
                [],
            )
            starts, ends, span = starts[1:], ends[1:], span[1:]
        too_long = span > self.max_lines
        if too_long.any():
            for s, e in zip(starts[too_long], ends[too_long], strict=True):
                single.append(
                    (
                        np.arange(s, e + 1),
                        f"quote opened on line {self.line_base + s + 1} spans {e - s + 1} "
                        f"physical lines (more than {self.max_lines}): each line quarantined "
                        "as delivered",
                    )
                )
            starts, ends, span = starts[~too_long], ends[~too_long], span[~too_long]
        whole: list[tuple[np.ndarray, np.ndarray, str, list[str]]] = []
        size = line_end[ends] - line_start[starts]
        too_big = size > self.max_bytes
        if too_big.any():
            whole.append(
                (
                    starts[too_big],
                    ends[too_big],
                    "malformed_csv" if self.fmt == "csv" else "malformed_json",
                    [
                        f"line size over maximum: record of {n} bytes, more than the "
                        f"configured {self.max_bytes}"
                        for n in size[too_big].tolist()
                    ],
                )
            )
            starts, ends, span = starts[~too_big], ends[~too_big], span[~too_big]
        if self.fmt == "csv" and self.header is not None and starts.size:
            # fields counted by delimiters outside quotes (the parity rule again, not the
            # parser's state machine): DuckDB drops surplus empty fields without a word
            # (all delimiters of the record) - (those between an opening and its closing quote)
            d = np.flatnonzero(a == self.delim)
            r_start, r_end = line_start[starts], line_end[ends]
            found = np.searchsorted(d, r_end) - np.searchsorted(d, r_start) + 1
            if q.size:
                is_opening = ((s0 + np.arange(q.size)) & 1) == 0
                opening = q[is_opening]
                closing = np.append(q, a.size)[np.flatnonzero(is_opening) + 1]
                quoted = np.searchsorted(d, closing) - np.searchsorted(d, opening)
                owner = np.searchsorted(r_start, opening, side="right") - 1
                inside = (owner >= 0) & (opening < r_end[np.maximum(owner, 0)])
                found -= np.bincount(
                    owner[inside], weights=quoted[inside], minlength=starts.size
                ).astype(np.int64)
            expected = len(self.header)
            wrong = found != expected
            if wrong.any():
                whole.append(
                    (
                        starts[wrong],
                        ends[wrong],
                        "ragged_row",
                        [
                            f"{'missing' if n < expected else 'too many'} columns: Expected "
                            f"Number of Columns: {expected} Found: {n}"
                            for n in found[wrong].tolist()
                        ],
                    )
                )
                starts, ends, span = starts[~wrong], ends[~wrong], span[~wrong]
        self._emit_records(a, line_start, line_end, starts, ends, span)
        self._emit_single(a, line_start, line_end, single)
        self._emit_whole(a, line_start, line_end, whole)
        self._attach_bad_runs(runs, nl, consumed, starts, ends, line_end)
        # what is left for the next chunk
        keep_from = int(line_start[consumed]) if consumed < n else (int(nl[-1]) + 1 if n else 0)
        self.line_base += consumed
        self.pending = _Pending(
            data=bytes(a[keep_from:]) if keep_from < a.size else b"",
            bad=[
                BadRun(b.kind, b.position - keep_from, b.byte_offset, b.line_b64)
                for b in runs
                if b.position >= keep_from
            ],
            quoted=next_quoted,
            bad_region_start=region_start,
        )

    def _unclosed(self, start_line: int, final: bool) -> str:
        where = "before the end of the file" if final else f"within {self.max_lines} lines"
        return (
            f"quote opened on line {start_line} is not closed {where}: each line quarantined "
            "as delivered"
        )

    def _emit_records(self, a, line_start, line_end, starts, ends, span) -> None:
        if starts.size == 0:
            return
        seg_start = line_start[starts]
        seg_end = line_end[ends] + 1  # with the closing LF
        lines = self.line_base + starts + 1
        line_text = pc.cast(pa.array(lines), pa.string())
        if self.fmt == "jsonl":
            prefix = pc.binary_join_element_wise(line_text, "", JSON_SEPARATOR)
        else:
            span_text = pc.cast(pa.array(span), pa.string())
            prefix = pc.binary_join_element_wise(line_text, span_text, "", self.delimiter)
        prefix = prefix.combine_chunks() if isinstance(prefix, pa.ChunkedArray) else prefix
        pre_off = np.frombuffer(prefix.buffers()[1], dtype=np.int32)[
            prefix.offset : prefix.offset + len(prefix) + 1
        ].astype(np.int64)
        pre_data = np.frombuffer(prefix.buffers()[2], dtype=np.uint8)[pre_off[0] : pre_off[-1]]
        pre_off -= pre_off[0]
        lengths = seg_end - seg_start
        if (seg_start[1:] == seg_end[:-1]).all():  # records back to back: a view, no copy
            body = a[seg_start[0] : seg_end[-1]]
        else:  # blank lines, the header or quarantined lines in between: keep only records
            marks = np.zeros(a.size + 1, dtype=np.int8)  # segments never overlap: 0 or 1
            marks[seg_start] += 1
            marks[seg_end] -= 1
            body = a[np.cumsum(marks[:-1], dtype=np.int8) > 0]
        body_pos = np.zeros(starts.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=body_pos[1:])
        # prefix and record interleaved by one Arrow kernel over two zero-copy binary arrays
        bodies = pa.Array.from_buffers(
            pa.large_binary(), starts.size, [None, pa.py_buffer(body_pos), pa.py_buffer(body)]
        )
        prefixes = pa.Array.from_buffers(
            pa.large_binary(),
            starts.size,
            [None, pa.py_buffer(pre_off), pa.py_buffer(np.ascontiguousarray(pre_data))],
        )
        joined = pc.binary_join_element_wise(prefixes, bodies, pa.scalar(b"", pa.large_binary()))
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)
        data = joined.buffers()[2]
        first, last = int(offsets[joined.offset]), int(offsets[joined.offset + starts.size])
        self.rec_line.append(lines.astype(np.int64))
        self.rec_span.append(span.astype(np.int64))
        self.rec_pstart.append(self.out_pos + body_pos[:-1] + pre_off[:-1])
        self.out.write(memoryview(data)[first:last])
        self.out_pos += last - first

    def _emit_single(self, a, line_start, line_end, single) -> None:
        for idx, reason in single:
            idx = idx[line_end[idx] > line_start[idx]]  # blank lines are no records
            if idx.size == 0:
                continue
            texts = _strings_from_lines(a, line_start[idx], line_end[idx])
            n = idx.size
            self.line_rows.append(
                pa.table(
                    {
                        "line": pa.array(self.line_base + idx + 1, pa.int64()),
                        "raw_text": texts,
                        "kind": pa.array(["malformed_csv"] * n, pa.string()),
                        "reason": pa.array([reason] * n, pa.string()),
                    },
                    schema=LINE_ROW_SCHEMA,
                )
            )

    def _emit_whole(self, a, line_start, line_end, whole) -> None:
        """Records quarantined here whole (too long, wrong field count), one row each."""
        for s_idx, e_idx, kind, reasons in whole:
            n = s_idx.size
            self.line_rows.append(
                pa.table(
                    {
                        "line": pa.array(self.line_base + s_idx + 1, pa.int64()),
                        "raw_text": _strings_from_lines(a, line_start[s_idx], line_end[e_idx]),
                        "kind": pa.array([kind] * n, pa.string()),
                        "reason": pa.array(reasons, pa.string()),
                    },
                    schema=LINE_ROW_SCHEMA,
                )
            )

    def _attach_bad_runs(self, runs, nl, consumed, starts, ends, line_end) -> None:
        """Bad runs (rare) to the record holding them: one row per record, first run's reason,
        the delivered bytes of every bad line kept."""
        if not runs:
            return
        done = [b for b in runs if consumed > 0 and b.position <= line_end[consumed - 1]]
        if not done or starts.size == 0:
            return
        line_idx = np.searchsorted(nl, [b.position for b in done])
        rec = np.searchsorted(starts, line_idx, side="right") - 1
        by_record: dict[int, list[BadRun]] = {}
        for b, r, li in zip(done, rec, line_idx, strict=True):
            if r >= 0 and ends[r] >= li:
                by_record.setdefault(int(r), []).append(b)
        for r, found in by_record.items():
            first = found[0]
            what = (
                "NUL byte" if first.kind == "nul_byte" else f"undecodable bytes ({self.encoding})"
            )
            b64 = "\n".join(dict.fromkeys(b.line_b64 for b in found))
            self.bad_rows.append(
                (
                    int(self.line_base + starts[r] + 1),
                    first.kind,
                    f"{what} at byte offset {first.byte_offset}",
                    b64,
                )
            )


def _has_non_space(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Lines holding a byte other than space, tab or CR (a JSONL line of blanks is no record)."""
    blank = (a == 32) | (a == 9) | (a == _CR) | (a == _LF)
    filled = np.concatenate(([0], np.cumsum(~blank)))
    return (filled[ends] - filled[starts]) > 0


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def prepare(
    chunks: Iterable[TranscodedChunk],
    out_path: Path,
    fmt: str,
    dialect,
    max_record_lines: int,
    decision: EncodingDecision,
    max_line_bytes: int = 1 << 62,
) -> PreparedFile:
    """Scan transcoded chunks, write the prepared copy, return the layout."""
    scanner = LayoutScanner(
        out_path,
        fmt,
        dialect.quote,
        dialect.delimiter,
        dialect.escape,
        max_record_lines,
        # a mixed file's undecodable lines decode under none of its line encodings
        " or ".join(decision.line_encodings) or decision.encoding,
        max_line_bytes,
    )
    return scanner.feed(chunks)
