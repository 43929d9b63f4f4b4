"""Raw C1 shapes in free text: resident IDs (GB 11643 checksum), Luhn cards, unmasked mobiles.

A value is a leak when any span of it has the shape of a clear C1 identifier and passes that
identifier's own check digit. Spans must stand alone (no letter or digit either side) so that a
64-hex token's digit runs or a longer number never count; a masked span (``*``) never matches.
The checksums are the classifier's (classification/recognizers), one definition each.
"""

from __future__ import annotations

import re

import pandas as pd

from classification.recognizers.bank_card import luhn_valid
from classification.recognizers.base import normalise
from classification.recognizers.cn_resident_id import gb11643_check_char

# no letter, digit or mask character may touch a span (\w would also refuse Han text around it)
_LEFT = r"(?<![0-9０-９A-Za-z*＊])"
_RIGHT = r"(?![0-9０-９A-Za-z*＊])"
_D = "[0-9０-９]"

RESIDENT_ID = re.compile(
    _LEFT + rf"[1-9１-９]{_D}{{5}}[ -]?{_D}{{8}}[ -]?{_D}{{3}}[0-9０-９XxＸｘ]" + _RIGHT
)
BANK_CARD = re.compile(_LEFT + rf"{_D}(?:[ -]?{_D}){{15,18}}" + _RIGHT)
MOBILE = re.compile(
    _LEFT + rf"(?:(?:\+|＋|00)86[ -]?)?[1１][3-9３-９]{_D}[ -]?{_D}{{4}}[ -]?{_D}{{4}}" + _RIGHT
)
# cheap pre-filter: a value without a run of 11 digits (separators allowed) holds none of them
_CANDIDATE = re.compile(rf"{_D}(?:[ -]?{_D}){{10}}")


def _valid_resident_id(span: str) -> bool:
    value = normalise(span).upper()
    return len(value) == 18 and gb11643_check_char(value[:17]) == value[17]


def _valid_card(span: str) -> bool:
    digits = normalise(span)
    return digits.isdigit() and 16 <= len(digits) <= 19 and luhn_valid(digits)


def raw_c1_kinds(text: str | None) -> list[str]:
    """The C1 kinds found in clear in ``text`` (empty when none): resident_id, bank_card, mobile."""
    if not text or not _CANDIDATE.search(text):
        return []
    kinds = []
    if any(_valid_resident_id(m.group()) for m in RESIDENT_ID.finditer(text)):
        kinds.append("resident_id")
    if any(_valid_card(m.group()) for m in BANK_CARD.finditer(text)):
        kinds.append("bank_card")
    if MOBILE.search(text):
        kinds.append("mobile")
    return kinds


def holds_no_raw_c1(values: pd.Series) -> pd.Series:
    """Per value: True when it holds no clear C1 identifier (the expectation's row condition)."""
    text = values.astype("string")
    # only values with an 11-digit run go through the Python checks
    suspects = text.str.contains(_CANDIDATE.pattern, regex=True, na=False)
    result = pd.Series(True, index=values.index)
    if suspects.any():
        result[suspects] = [not raw_c1_kinds(v) for v in text[suspects]]
    return result
