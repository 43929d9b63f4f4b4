"""Decide a landing file's encoding line by line and transcode it to UTF-8, streamed in chunks.

Each line with non-ASCII bytes is of the first configured strict encoding it decodes under (one C
decode per chunk and encoding, then numpy per line), else undecodable; the file is decided from
those counts: strict or mostly one encoding, "mixed" (each line transcoded from its own encoding),
else a guess. Never the whole file in memory. Transcoding yields UTF-8 chunks cut at line ends;
bytes that do not decode (and NUL bytes) are replaced by U+FFFD and reported as runs with their
offset in the delivered file and the original bytes of their line, so the records holding them
are quarantined one by one, nothing lost, instead of the whole file being re-read as another
encoding and turned into mojibake.
"""

from __future__ import annotations

import base64
import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
from charset_normalizer import from_bytes

# a run of undecodable bytes (lone surrogates under surrogateescape) or of NUL characters
_BAD_RUN = re.compile("[\udc80-\udcff]+|\x00+")
_GUESS_SAMPLE_BYTES = 4 << 20
_LF, _CR = 10, 13


@dataclass(frozen=True)
class EncodingDecision:
    encoding: str  # Python codec name, or "mixed" (then see line_encodings)
    decision: str  # how it was decided, for the reconciliation record
    bom: bool
    # a mixed file: each line is transcoded from the first of these it decodes strictly under
    line_encodings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BadRun:
    """Bytes that could not be taken as text: undecodable in the chosen encoding, or NUL."""

    kind: str  # "undecodable_bytes" or "nul_byte"
    position: int  # byte offset in the transcoded chunk (where U+FFFD now stands)
    byte_offset: int  # offset of the first bad byte in the delivered file
    line_b64: str  # the delivered bytes of its physical line, base64


@dataclass
class TranscodedChunk:
    data: bytes  # UTF-8, CRLF and CR+LF folded to LF; ends at a line end unless it is the last
    bad: list[BadRun]


def _raw_chunks(fh: BinaryIO, chunk_bytes: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) pieces of the file cut after a LF or lone CR, never inside a CRLF."""
    pending = b""
    offset = 0
    while True:
        block = fh.read(chunk_bytes)
        if not block:
            if pending:
                yield offset, pending
            return
        data = pending + block
        cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1))
        if cut < 0:  # one line longer than a chunk: keep reading (bounded by the line)
            pending = data
            continue
        yield offset, data[: cut + 1]
        offset += cut + 1
        pending = data[cut + 1 :]


def _line_starts(text_or_codes: np.ndarray, newline: int) -> np.ndarray:
    """Start index of every line (a line ends after its newline; the last may have none)."""
    starts = np.flatnonzero(text_or_codes == newline) + 1
    starts = np.concatenate(([0], starts[starts < text_or_codes.size]))
    return starts if text_or_codes.size else starts[:0]


def _utf8_undecodable_lines(a: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per line, whether it is not valid UTF-8: a vectorised validator (Python's decoder with
    an error handler calls back for every error run, millions in a GB18030 chunk)."""
    b = np.append(a, np.uint8(_LF))  # a sentinel ends a sequence truncated by the chunk end
    cont = (b & 0xC0) == 0x80
    need = np.zeros(b.size, dtype=np.int8)  # continuation bytes a lead byte announces
    need[(b >= 0xC2) & (b <= 0xDF)] = 1
    need[(b & 0xF0) == 0xE0] = 2
    need[(b >= 0xF0) & (b <= 0xF4)] = 3
    bad = (b >= 0x80) & ~cont & (need == 0)  # C0, C1, F5-FF
    # a continuation byte is expected right after its lead, through continuation bytes only
    # (never across a line end), and must be exactly where expected
    expected = np.zeros(b.size, dtype=bool)
    expected[1:] |= need[:-1] >= 1
    expected[2:] |= (need[:-2] >= 2) & cont[1:-1]
    expected[3:] |= (need[:-3] >= 3) & cont[1:-2] & cont[2:-1]
    bad |= cont != expected
    # second bytes: no overlong three- and four-byte forms, no surrogates, nothing past U+10FFFF
    nxt = np.append(b[1:], np.uint8(0))
    bad |= ((b == 0xE0) & (nxt < 0xA0)) | ((b == 0xED) & (nxt > 0x9F))
    bad |= ((b == 0xF0) & (nxt < 0x90)) | ((b == 0xF4) & (nxt > 0x8F))
    bad[-2] |= bad[-1]
    return np.maximum.reduceat(bad[:-1].view(np.uint8), starts).astype(bool)


def _undecodable_lines(raw: bytes, enc: str) -> np.ndarray:
    """Per line of ``raw`` (LF-terminated), whether it fails to decode strictly under ``enc``.

    UTF-8 by a vectorised validator; another encoding by one C decode of the whole chunk with
    surrogateescape, then vectorised: the decoded text as UTF-32 code points, a lone surrogate
    marks an undecodable byte, reduced per line. The decoder never swallows a LF in an error (LF
    is no GB18030 trail byte), so decoded and delivered lines correspond one to one.
    """
    a = np.frombuffer(raw, dtype=np.uint8)
    starts = _line_starts(a, _LF)
    utf8 = codecs.lookup(enc).name == "utf-8"
    try:
        _check_utf8(raw) if utf8 else raw.decode(enc)
        return np.zeros(starts.size, dtype=bool)
    except UnicodeDecodeError:
        pass
    if utf8:
        return _utf8_undecodable_lines(a, starts)
    text = raw.decode(enc, errors="surrogateescape")
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cp_starts = _line_starts(cp, _LF)
    if cp_starts.size != starts.size:  # pragma: no cover - a decoder that merged lines
        return np.ones(starts.size, dtype=bool)
    surrogate = ((cp >= 0xDC80) & (cp <= 0xDCFF)).view(np.uint8)
    return np.maximum.reduceat(surrogate, cp_starts).astype(bool)


def _classify_lines(raw: bytes, encodings: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(non-ASCII bytes, class, fits) per line of ``raw``: class is the index of the first
    encoding the line decodes strictly under, ``len(encodings)`` when none (ASCII lines get
    class 0); ``fits[i]`` says which lines decode under encoding ``i`` at all."""
    a = np.frombuffer(raw, dtype=np.uint8)
    starts = _line_starts(a, _LF)
    high = np.add.reduceat(a > 127, starts, dtype=np.int64) if a.size else np.zeros(0, np.int64)
    # a loop over the configured encodings, not lines: one whole-chunk pass each
    fits = np.array([~_undecodable_lines(raw, enc) for enc in encodings]).reshape(
        len(encodings), starts.size
    )
    cls = np.where(fits.any(axis=0), fits.argmax(axis=0), len(encodings))
    return high, cls, fits


def decide_encoding(
    open_file,
    strict_encodings: list[str],
    mostly_min_share: float,
    chunk_bytes: int,
) -> EncodingDecision:
    """Stream the whole file once, deciding per line, and decide the file from the line counts.

    A line with non-ASCII bytes belongs to the first configured encoding it decodes strictly
    under (UTF-8 first: GB18030 accepts most byte pairs, so UTF-8 text nearly always decodes as
    GB18030 too, while GB18030 text seldom forms a whole valid UTF-8 line), else it is
    undecodable. Lines, not bytes, are the unit: GB18030 text forms accidental valid UTF-8 byte
    runs, so a byte share calls a GB18030 file with one bad byte "half UTF-8".
    """
    with open_file() as fh:
        bom = fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    skip = len(codecs.BOM_UTF8) if bom else 0
    encodings = [codecs.lookup(e).name for e in strict_encodings]
    counts = np.zeros(len(encodings) + 1, dtype=np.int64)  # non-ASCII lines per class
    high_bytes = np.zeros(len(encodings) + 1, dtype=np.int64)  # their non-ASCII bytes
    decodes = np.zeros(len(encodings), dtype=np.int64)  # non-ASCII lines each encoding decodes
    with open_file() as fh:
        fh.seek(skip)
        for _, chunk in _raw_chunks(fh, chunk_bytes):
            high, cls, fits = _classify_lines(chunk, encodings)
            counts += np.bincount(cls[high > 0], minlength=counts.size)
            decodes += np.count_nonzero(fits & (high > 0), axis=1)
            high_bytes += np.bincount(cls, weights=high, minlength=counts.size).astype(np.int64)
    undecodable = int(counts[-1])
    total = int(counts.sum())
    if bom:
        strict_utf8 = encodings[0] == "utf-8" and counts[0] == total
        decision = (
            "strict-utf-8 (BOM stripped)"
            if strict_utf8
            else "utf-8 by BOM (stripped); records with undecodable bytes quarantined"
        )
        return EncodingDecision("utf-8", decision, True)
    if total == 0:
        return EncodingDecision(encodings[0], f"strict-{encodings[0]}", False)
    decodable = total - undecodable
    # the configured encodings fit when the lines that decode under them hold nearly all the
    # non-ASCII text (weighed in bytes, so a short damaged line in a small file is not enough
    # to call the file foreign, while latin-1 text, decoding line by line only by chance, is)
    if high_bytes[:-1].sum() < mostly_min_share * high_bytes.sum():
        return _guess(open_file)
    for i, enc in enumerate(encodings):
        if counts[i] < mostly_min_share * decodable:
            continue
        # nearly all lines are of this encoding: the whole file is read as it (a line that
        # also decodes as an earlier encoding is one by chance); a few lines of another
        # encoding among them are damaged lines far more often than a second exporter (GB18030
        # accepts most byte pairs): each is quarantined with its delivered bytes
        if decodes[i] == total:
            return EncodingDecision(enc, f"strict-{enc}", False)
        return EncodingDecision(
            enc,
            f"mostly-{enc} ({total - int(decodes[i])} of {total} non-ASCII lines not {enc}; "
            "records holding them quarantined)",
            False,
        )
    parts = [_lines(int(c), e) for e, c in zip(encodings, counts, strict=False) if c]
    if undecodable:
        parts.append(_lines(undecodable, "undecodable (quarantined)"))
    return EncodingDecision(
        "mixed", "mixed: " + ", ".join(parts), False, line_encodings=tuple(encodings)
    )


def _lines(n: int, what: str) -> str:
    return f"{n} line{'' if n == 1 else 's'} {what}"


def _guess(open_file) -> EncodingDecision:
    """Too few lines decode under the configured encodings: charset-normalizer's guess."""
    with open_file() as fh:
        best = from_bytes(fh.read(_GUESS_SAMPLE_BYTES)).best()
    if best is None:
        return EncodingDecision(
            "utf-8", "no encoding fits; utf-8 with undecodable records quarantined", False
        )
    confidence = 1.0 - float(best.chaos)
    return EncodingDecision(
        codecs.lookup(best.encoding).name,
        f"charset-normalizer guess {best.encoding} (confidence {confidence:.2f})",
        False,
    )


class NotStrict(Exception):
    """An optimistic strict decision did not hold for some chunk (the file is decided again)."""


def assumed_strict(open_file, strict_encodings: list[str]) -> EncodingDecision | None:
    """The decision a clean file gets (strict UTF-8, BOM stripped or not), to be confirmed by
    :func:`transcode` with ``require_strict``: most files then take one pass, not two. None when
    UTF-8 is not the first encoding tried."""
    if codecs.lookup(strict_encodings[0]).name != "utf-8":
        return None
    with open_file() as fh:
        bom = fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    decision = "strict-utf-8 (BOM stripped)" if bom else "strict-utf-8"
    return EncodingDecision("utf-8", decision, bom)


def _fold_crlf(data: bytes) -> tuple[bytes, np.ndarray]:
    """CR runs before a LF removed (an exporter's line-end artefact, not data), vectorised.

    Returns the folded bytes and the (sorted) positions of the removed CRs in ``data``.
    """
    if b"\r" not in data:  # a memchr, before any array work
        return data, np.zeros(0, dtype=np.int64)
    a = np.frombuffer(data, dtype=np.uint8)
    cr = np.flatnonzero(a == _CR)
    # runs of consecutive CRs; a run is removed when the byte after it is a LF
    run = np.concatenate(([0], np.cumsum(np.diff(cr) != 1)))
    last = np.flatnonzero(np.append(np.diff(cr) != 1, True))  # the last CR of each run
    after = cr[last] + 1
    followed = np.zeros(after.size, dtype=bool)
    inside = after < a.size
    followed[inside] = a[after[inside]] == _LF
    removed = cr[followed[run]]
    if removed.size == 0:
        return data, removed
    keep = np.ones(a.size, dtype=bool)
    keep[removed] = False
    return a[keep].tobytes(), removed


def transcode(
    open_file, decision: EncodingDecision, chunk_bytes: int, require_strict: bool = False
) -> Iterator[TranscodedChunk]:
    """UTF-8 chunks of the file, line ends folded, bad runs replaced by U+FFFD and reported.
    With ``require_strict``, a chunk that does not decode strictly raises :class:`NotStrict`."""
    skip = len(codecs.BOM_UTF8) if decision.bom else 0
    enc = decision.encoding
    first = True
    with open_file() as fh:
        fh.seek(skip)
        for offset, raw in _raw_chunks(fh, chunk_bytes):
            base = skip + offset
            bad: list[BadRun] = []
            if decision.line_encodings:
                utf8, bad = _transcode_lines(raw, list(decision.line_encodings), base)
                folded, removed = _fold_crlf(utf8)
                yield TranscodedChunk(folded, _shift_bad(bad, removed))
                continue
            fast = enc == "utf-8" and b"\x00" not in raw
            if fast:
                try:
                    _check_utf8(raw)
                    utf8 = raw
                except UnicodeDecodeError:
                    if require_strict:
                        raise NotStrict(decision.decision) from None
                    fast = False
            elif require_strict:
                try:
                    raw.decode(enc)
                except UnicodeDecodeError:
                    raise NotStrict(decision.decision) from None
            if not fast:
                text = raw.decode(enc, errors="surrogateescape")
                if first and text.startswith("\ufeff"):  # a BOM in another encoding
                    text = text[1:]
                    base += len("\ufeff".encode(enc))
                if decision.decision.startswith("strict-") and "\x00" not in text:
                    utf8 = text.encode("utf-8")  # nothing to replace: skip the regex scan
                else:
                    utf8, bad = _replace_bad_runs(text, raw, enc, base)
            first = False
            folded, removed = _fold_crlf(utf8)
            yield TranscodedChunk(folded, _shift_bad(bad, removed))


def _shift_bad(bad: list[BadRun], removed: np.ndarray) -> list[BadRun]:
    """Bad runs' positions moved back past the CRs folded away before them."""
    if not (removed.size and bad):
        return bad
    shift = np.searchsorted(removed, [b.position for b in bad])
    return [
        BadRun(b.kind, b.position - int(s), b.byte_offset, b.line_b64)
        for b, s in zip(bad, shift, strict=True)
    ]


def _transcode_lines(raw: bytes, encodings: list[str], base: int) -> tuple[bytes, list[BadRun]]:
    """A chunk of a mixed file to UTF-8, each line from the encoding it decodes under.

    Lines are classified vectorised; consecutive lines of one encoding (ASCII lines join their
    neighbours) are decoded by one C call, so the loop is over runs of lines, not records (a
    file of two exporters' halves is two runs). A line that decodes under none is transcoded as
    the first encoding, its bad bytes replaced and reported like any other.
    """
    if not raw:
        return raw, []
    a = np.frombuffer(raw, dtype=np.uint8)
    starts = _line_starts(a, _LF)
    high, cls, _ = _classify_lines(raw, encodings)
    non_ascii = high > 0
    cls = np.where(cls == len(encodings), 0, cls)
    # ASCII lines take the class of the line before (forward fill), never splitting a run
    idx = np.where(non_ascii, np.arange(cls.size), 0)
    np.maximum.accumulate(idx, out=idx)
    cls = cls[idx]
    cut = np.flatnonzero(np.diff(cls)) + 1
    run_starts = np.concatenate(([0], cut))
    run_ends = np.append(cut, cls.size)
    byte_ends = np.append(starts[1:], len(raw))
    out: list[bytes] = []
    bad: list[BadRun] = []
    written = 0
    for r0, r1 in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
        lo, hi = int(starts[r0]), int(byte_ends[r1 - 1])
        enc = encodings[int(cls[r0])]
        piece = raw[lo:hi]
        utf8, found = _replace_bad_runs(piece.decode(enc, "surrogateescape"), piece, enc, base + lo)
        bad.extend(BadRun(b.kind, b.position + written, b.byte_offset, b.line_b64) for b in found)
        out.append(utf8)
        written += len(utf8)
    return b"".join(out), bad


def _check_utf8(data: bytes) -> None:
    """Raise UnicodeDecodeError unless ``data`` is valid UTF-8 (Arrow's validator: faster than
    decoding to a str that would be thrown away)."""
    offsets = np.array([0, len(data)], dtype=np.int64)
    value = pa.Array.from_buffers(
        pa.large_string(), 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    try:
        value.validate(full=True)
    except pa.ArrowInvalid:
        data.decode("utf-8")  # raises, naming the position
        raise  # pragma: no cover - Arrow and Python disagree on validity


def _replace_bad_runs(text: str, raw: bytes, enc: str, base: int) -> tuple[bytes, list[BadRun]]:
    """Encode ``text`` to UTF-8 with each bad run as U+FFFD; one entry per run (runs are rare:
    this loop is over bad runs, never over records)."""
    bad: list[BadRun] = []
    parts: list[str] = []
    seen_chars = seen_raw = seen_utf8 = 0
    for m in _BAD_RUN.finditer(text):
        between = text[seen_chars : m.start()]
        seen_raw += len(between.encode(enc, "surrogateescape"))
        seen_utf8 += len(between.encode("utf-8"))
        raw_pos = seen_raw
        line_start = raw.rfind(b"\n", 0, raw_pos) + 1
        line_end = raw.find(b"\n", raw_pos)
        line = raw[line_start : line_end if line_end >= 0 else len(raw)]
        kind = "nul_byte" if m.group()[0] == "\x00" else "undecodable_bytes"
        bad.append(BadRun(kind, seen_utf8, base + raw_pos, base64.b64encode(line).decode("ascii")))
        parts.append(between)
        parts.append("\ufffd")
        seen_raw += len(m.group().encode(enc, "surrogateescape"))
        seen_utf8 += len("\ufffd".encode())
        seen_chars = m.end()
    if not bad:
        return text.encode("utf-8"), bad
    parts.append(text[seen_chars:])
    return "".join(parts).encode("utf-8"), bad


# -- in memory, for a small payload (tests, previews) ---------------------------------------------


@dataclass(frozen=True)
class UndecodableSpan:
    """A run of bytes that the chosen encoding could not decode."""

    line: int  # 1-based physical line
    byte_offset: int  # offset in the delivered file


@dataclass
class DecodedFile:
    text: str  # line ends normalised, undecodable bytes replaced by U+FFFD
    encoding: str
    decision: str
    bom: bool
    undecodable: list[UndecodableSpan] = field(default_factory=list)

    def undecodable_lines(self) -> dict[int, int]:
        """Physical line -> byte offset of its first undecodable byte."""
        lines: dict[int, int] = {}
        for span in self.undecodable:
            lines.setdefault(span.line, span.byte_offset)
        return lines


def decode_file(
    data: bytes,
    strict_encodings: list[str],
    mostly_min_share: float,
    chunk_bytes: int = 1 << 20,
) -> DecodedFile:
    """The streamed decision and transcoding applied to bytes in memory."""

    def open_file() -> BinaryIO:
        return io.BytesIO(data)

    decision = decide_encoding(open_file, strict_encodings, mostly_min_share, chunk_bytes)
    pieces: list[bytes] = []
    spans: list[UndecodableSpan] = []
    lines_before = 0
    for chunk in transcode(open_file, decision, chunk_bytes):
        for b in chunk.bad:
            if b.kind == "undecodable_bytes":
                line = lines_before + chunk.data.count(b"\n", 0, b.position) + 1
                spans.append(UndecodableSpan(line, b.byte_offset))
        lines_before += chunk.data.count(b"\n")
        pieces.append(chunk.data)
    text = b"".join(pieces).decode("utf-8")
    return DecodedFile(text, decision.encoding, decision.decision, decision.bom, spans)


def open_path(path: Path):
    """An opener for :func:`decide_encoding` / :func:`transcode` reading ``path``."""

    def open_file() -> BinaryIO:
        return path.open("rb", buffering=0)

    return open_file
