"""The form in which rule models compare text and codes: NFKC per character, ASCII case folded.

The rule pack compares words, clauses, codes and names "after NFKC" (compliance-rules spec), but
neither DuckDB (only ``nfc_normalize``) nor Spark has NFKC. The comparison form is therefore
defined by one table, built here from Python's ``unicodedata`` and committed as the dbt macro
``macros/rule_text_table.sql`` (a test checks the file matches this module): every BMP character
whose NFKC form is one single character is replaced by it (full-width ASCII, the ideographic
space and other compatibility spaces, Kangxi radicals, CJK compatibility ideographs, circled
digits, ...); ASCII letters are lower-cased (full-width ones included); then spaces are trimmed.

What it leaves out, on purpose:
- the ~1,160 characters NFKC expands to several (``㈱`` -> ``(株)``, ``½``): ``translate`` maps
  one character to one, and a chain of replaces over every message would be the cost of the rule;
- canonical composition (``e`` + U+0301 -> ``é``): Spark has no NFC, and the two engines must
  give the same answer;
- Unicode case folding beyond ASCII: Java's, DuckDB's and Python's case tables differ, and the
  codes compared (promo codes, regions, channels) are ASCII after NFKC.

Every mapping is one character to one character, so positions in the folded text are positions
in the original: evidence quotes the original spelling (``substr`` at the folded match).
"""

from __future__ import annotations

import argparse
import functools
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from crmguard.paths import layout

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


@dataclass(frozen=True)
class FoldStage:
    """One ``translate``: characters and their replacements (same length)."""

    source: str
    target: str

    def ranges(self) -> list[tuple[int, int]]:
        """The source characters as sorted, merged code point ranges (a regex class)."""
        points = sorted(ord(c) for c in self.source)
        out: list[tuple[int, int]] = []
        for p in points:
            if out and p == out[-1][1] + 1:
                out[-1] = (out[-1][0], p)
            else:
                out.append((p, p))
        return out


@functools.cache
def fold_stages() -> tuple[FoldStage, FoldStage]:
    """(common, rare): ASCII letters, full-width ASCII and compatibility spaces, which Chinese
    text holds all the time; then every other single-character NFKC mapping of the BMP, which
    DuckDB translates only for the rare values that hold one (its ``translate`` builds the map
    per row, so a 1,800-character table on every message would dominate the run)."""
    common_src, common_dst, rare_src, rare_dst = [], [], [], []
    for point in range(0x10000):
        if 0xD800 <= point < 0xE000:
            continue  # surrogates are not characters
        char = chr(point)
        nfkc = unicodedata.normalize("NFKC", char)
        if len(nfkc) != 1:
            continue
        folded = nfkc.translate(_ASCII_LOWER)
        if folded == char:
            continue
        if char in string.ascii_uppercase or 0xFF01 <= point <= 0xFF5E or folded == " ":
            common_src.append(char)
            common_dst.append(folded)
        else:
            rare_src.append(char)
            rare_dst.append(folded)
    return (
        FoldStage("".join(common_src), "".join(common_dst)),
        FoldStage("".join(rare_src), "".join(rare_dst)),
    )


@functools.cache
def fold_table() -> dict[int, str]:
    """Character -> replacement, both stages (``str.translate``)."""
    table: dict[int, str] = {}
    for stage in fold_stages():
        table.update(str.maketrans(stage.source, stage.target))
    return table


def fold(text: str) -> str:
    """The comparison form of ``text`` (what the dbt macro ``rule_text`` computes)."""
    return text.translate(fold_table()).strip(" ")


def look_alike(text: str) -> str:
    """Another spelling of ``text`` with the same comparison form, as CRM exports write it:
    each character's full-width form where there is one, else its compatibility character
    (a Kangxi radical, a compatibility ideograph); ``text`` itself when it has none."""
    common, rare = fold_stages()
    spelling: dict[str, str] = {}
    for source, target in zip(rare.source, rare.target, strict=True):
        spelling.setdefault(target, source)  # the lowest code point
    for source, target in zip(common.source, common.target, strict=True):
        if 0xFF01 <= ord(source) <= 0xFF5E:
            spelling[target] = source  # full-width wins; for letters, the last is lower case
    return "".join(spelling.get(char, char) for char in text)


def _escape(text: str) -> str:
    """A Jinja string literal body: every non-printable-ASCII character as a \\u escape."""
    out = []
    for char in text:
        if char in ("\\", "'"):
            out.append(f"\\u{ord(char):04x}")
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) > 0xFFFF:  # NFKC of a few compatibility ideographs is outside the BMP
            out.append(f"\\U{ord(char):08x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def _regex_class(stage: FoldStage) -> str:
    parts = []
    for lo, hi in stage.ranges():
        parts.append(f"\\\\x{{{lo:04X}}}" if lo == hi else f"\\\\x{{{lo:04X}}}-\\\\x{{{hi:04X}}}")
    return "[" + "".join(parts) + "]"


MACRO_PATH = Path("macros") / "rule_text_table.sql"


def render_macro() -> str:
    """The committed macro file holding the fold table (``python -m crmguard.rule_text``)."""
    common, rare = fold_stages()
    lines = [
        "{# Generated by `python -m crmguard.rule_text` from Python's unicodedata "
        f"(Unicode {unicodedata.unidata_version});",
        "   do not edit: tests/crmguard/test_rule_text.py checks this file matches the module.",
        "   The fold table of macros/rule_text.sql: source and target characters of each stage",
        "   (one character to one), and an RE2 class of the sources (DuckDB's guard). #}",
        "{% macro rule_text_table() -%}",
        "    {{ return({",
    ]
    for name, stage in (("common", common), ("rare", rare)):
        lines += [
            f"        '{name}_source': '{_escape(stage.source)}',",
            f"        '{name}_target': '{_escape(stage.target)}',",
            f"        '{name}_class': '{_regex_class(stage)}',",
        ]
    lines += ["    }) }}", "{%- endmacro %}", ""]
    return "\n".join(lines)


def write_macro(project_dir: Path | None = None) -> Path:
    path = (project_dir or layout().dbt_project) / MACRO_PATH
    path.write_text(render_macro(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write dbt_project/macros/rule_text_table.sql")
    parser.parse_args(argv)
    print(write_macro())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
