"""Decide a landing file's encoding on the whole file and transcode it to UTF-8, streamed in chunks.

The decision (strict UTF-8, mostly UTF-8, strict GB18030, else a guess) is made by streaming the
whole file through Python's C decoders, never holding it in memory. Transcoding then yields UTF-8
chunks cut at line ends; bytes that do not decode (and NUL bytes) are replaced by U+FFFD and
reported as runs with their offset in the delivered file and the original bytes of their line,
so the records holding them can be quarantined one by one, nothing lost, instead of the whole
file being re-read as another encoding and turned into mojibake.
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
_SURROGATE = re.compile("[\udc80-\udcff]+")
_GUESS_SAMPLE_BYTES = 4 << 20
_LF, _CR = 10, 13


@dataclass(frozen=True)
class EncodingDecision:
    encoding: str  # Python codec name
    decision: str  # how it was decided, for the reconciliation record
    bom: bool


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


def _non_ascii(data: bytes) -> int:
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) > 127))


def decide_encoding(
    open_file,
    strict_encodings: list[str],
    mostly_utf8_min_share: float,
    chunk_bytes: int,
    mixed_utf8_min_share: float | None = None,
) -> EncodingDecision:
    """Stream the whole file once per candidate encoding (each a C decoder) and decide."""
    with open_file() as fh:
        bom = fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    skip = len(codecs.BOM_UTF8) if bom else 0

    def chunks() -> Iterator[bytes]:
        with open_file() as fh:
            fh.seek(skip)
            for _, chunk in _raw_chunks(fh, chunk_bytes):
                yield chunk

    def strict(enc: str) -> tuple[bool, int, int]:
        """(decodes strictly, undecodable bytes, non-ASCII bytes) over the whole file."""
        ok, bad, non_ascii = True, 0, 0
        for chunk in chunks():
            non_ascii += _non_ascii(chunk)
            try:
                chunk.decode(enc)
            except UnicodeDecodeError:
                ok = False
                # bytes dropped by a lenient decode are the undecodable ones (no per-run objects)
                bad += len(chunk) - len(chunk.decode(enc, errors="ignore").encode(enc))
        return ok, bad, non_ascii

    if bom:
        ok, _, _ = strict("utf-8")
        decision = (
            "strict-utf-8 (BOM stripped)"
            if ok
            else "utf-8 by BOM (stripped); records with undecodable bytes quarantined"
        )
        return EncodingDecision("utf-8", decision, True)
    utf8_share = 0.0
    for enc in [codecs.lookup(e).name for e in strict_encodings]:
        ok, bad, non_ascii = strict(enc)
        if ok:
            return EncodingDecision(enc, f"strict-{enc}", False)
        # GB18030 accepts most byte pairs, so UTF-8 text with a few bad bytes would often decode
        # "strictly" as GB18030 into mojibake: an encoding is decided, in the configured order,
        # when the file is overwhelmingly valid in it (counted in bytes), and only the records
        # holding the bad bytes are quarantined; one bad byte never condemns a whole file
        share = (non_ascii - bad) / non_ascii if non_ascii else 1.0
        if enc == "utf-8":
            utf8_share = share
        elif mixed_utf8_min_share is not None and utf8_share >= mixed_utf8_min_share:
            # far more valid UTF-8 than chance gives GB18030 text, far less than a UTF-8 file
            # with a few bad bytes: lines of both encodings. Decoding it all as GB18030 would
            # load the UTF-8 lines as mojibake without a word; decoded as UTF-8, each line that
            # is not is quarantined with its delivered bytes
            return EncodingDecision(
                "utf-8",
                f"mixed ({utf8_share:.0%} of non-ASCII bytes valid utf-8, the rest not; lines "
                "that are not utf-8 quarantined with their bytes)",
                False,
            )
        if share >= mostly_utf8_min_share:
            return EncodingDecision(
                enc,
                f"mostly-{enc} ({bad} undecodable of {non_ascii} non-ASCII bytes; "
                "records holding them quarantined)",
                False,
            )
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
            if removed.size and bad:
                shift = np.searchsorted(removed, [b.position for b in bad])
                bad = [
                    BadRun(b.kind, b.position - int(s), b.byte_offset, b.line_b64)
                    for b, s in zip(bad, shift, strict=True)
                ]
            yield TranscodedChunk(folded, bad)


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
    mostly_utf8_min_share: float,
    chunk_bytes: int = 1 << 20,
) -> DecodedFile:
    """The streamed decision and transcoding applied to bytes in memory."""

    def open_file() -> BinaryIO:
        return io.BytesIO(data)

    decision = decide_encoding(open_file, strict_encodings, mostly_utf8_min_share, chunk_bytes)
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
