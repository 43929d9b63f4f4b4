"""Decide a landing file's encoding (strict UTF-8, strict GB18030, else a guess) and decode it.

The decision is made for the whole file, then bytes that do not decode are kept as lone
surrogates (``surrogateescape``) so the records holding them can be quarantined one by one
instead of the whole file being re-read as another encoding and turned into mojibake.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

_SURROGATE = re.compile("[\udc80-\udcff]+")
# a stray CR before the LF is a line-end artefact of some exporters, not data
_CR_BEFORE_LF = re.compile("\r+\n")


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


def _utf8_share(data: bytes) -> tuple[float, int, int]:
    """(share, undecodable, non-ASCII): share of non-ASCII bytes in valid UTF-8 sequences.

    Counted in bytes so that a short file with one bad byte among a few Chinese characters
    still reads as UTF-8; GB18030 text forms valid UTF-8 only by chance (well under half).
    """
    text = data.decode("utf-8", errors="surrogateescape")
    bad = sum(len(m.group()) for m in _SURROGATE.finditer(text))
    non_ascii = sum(1 for b in data if b > 127)
    return ((non_ascii - bad) / non_ascii if non_ascii else 1.0), bad, non_ascii


def decide_encoding(
    data: bytes, strict_encodings: list[str], mostly_utf8_min_share: float
) -> tuple[str, str]:
    """(encoding, how it was decided) for the bytes after any BOM."""
    names = [codecs.lookup(e).name for e in strict_encodings]
    for enc in names:
        try:
            data.decode(enc, errors="strict")
        except UnicodeDecodeError:
            if enc == "utf-8":
                # GB18030 accepts most byte pairs, so UTF-8 text with a few bad bytes would
                # often decode "strictly" as GB18030 into mojibake: decide UTF-8 first if the
                # file is overwhelmingly valid UTF-8 and quarantine only the bad records
                share, bad, non_ascii = _utf8_share(data)
                if share >= mostly_utf8_min_share:
                    return "utf-8", (
                        f"mostly-utf-8 ({bad} undecodable of {non_ascii} non-ASCII bytes; "
                        "records holding them quarantined)"
                    )
            continue
        return enc, f"strict-{enc}"
    best = from_bytes(data).best()
    if best is None:
        return "utf-8", "no encoding fits; utf-8 with undecodable records quarantined"
    confidence = 1.0 - float(best.chaos)
    return best.encoding, f"charset-normalizer guess {best.encoding} (confidence {confidence:.2f})"


def decode_file(
    data: bytes, strict_encodings: list[str], mostly_utf8_min_share: float
) -> DecodedFile:
    """Decode delivered bytes; BOM stripped, undecodable byte runs located by line and offset."""
    bom = data.startswith(codecs.BOM_UTF8)
    offset = len(codecs.BOM_UTF8) if bom else 0
    body = data[offset:]
    if bom:
        encoding, decision = "utf-8", "utf-8 BOM"
        try:
            body.decode("utf-8")
            decision = "strict-utf-8 (BOM stripped)"
        except UnicodeDecodeError:
            decision = "utf-8 by BOM (stripped); records with undecodable bytes quarantined"
    else:
        encoding, decision = decide_encoding(body, strict_encodings, mostly_utf8_min_share)
    text = body.decode(encoding, errors="surrogateescape")
    undecodable: list[UndecodableSpan] = []
    seen_chars, seen_bytes = 0, offset
    for m in _SURROGATE.finditer(text):
        # bytes before this run, counted incrementally so many bad runs stay linear
        seen_bytes += len(text[seen_chars : m.start()].encode(encoding, "surrogateescape"))
        seen_chars = m.start()
        undecodable.append(UndecodableSpan(text.count("\n", 0, m.start()) + 1, seen_bytes))
    if text.startswith("\ufeff"):  # a BOM in a non-UTF-8 encoding decodes to U+FEFF
        text = text[1:]
    text = _SURROGATE.sub("\ufffd", text)
    text = _CR_BEFORE_LF.sub("\n", text)
    return DecodedFile(text, codecs.lookup(encoding).name, decision, bom, undecodable)
