"""DATE_OF_BIRTH: calendar dates (ISO, slashes, 年月日); a birth date only with header evidence."""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer

_PARTS = re.compile(r"(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})")


class DateOfBirthRecognizer(ChineseRecognizer):
    ENTITY = "DATE_OF_BIRTH"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # low score: every date looks like this; the classifier requires the header to agree
        (
            "date",
            r"(?<!\d)(?:19|20)\d{2}(?:[-/.]|年)(?:0?[1-9]|1[0-2])(?:[-/.]|月)(?:0?[1-9]|[12]\d|3[01])日?(?!\d)",
            0.3,
        ),
        ("date_masked", r"(?<!\d)(?:19|20)\d{2}(?:[-/.]|年)\*{1,2}(?:[-/.]|月)\*{1,2}日?", 0.5),
    ]
    CONTEXT: ClassVar[list[str]] = ["出生", "生日", "birth"]

    def validate_result(self, pattern_text: str) -> bool | None:
        if "*" in pattern_text:
            return None
        m = _PARTS.match(pattern_text)
        if not m:
            return False
        try:
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return False
        # a birth date is in the past: a future date is a schedule, not a birthday
        return None if dt.date(1900, 1, 1) <= day <= dt.date.today() else False
