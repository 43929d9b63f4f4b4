"""CN_RESIDENT_ID: PRC resident identity card numbers (GB 11643-1999, 18 digits; 15-digit
first generation)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_EDGE_L = r"(?<![0-9０-９A-Za-z*])"
_EDGE_R = r"(?![0-9０-９A-Za-z*])"


def gb11643_check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def plausible_birth(yyyymmdd: str) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


class CnResidentIdRecognizer(ChineseRecognizer):
    ENTITY = "CN_RESIDENT_ID"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # region(6) birth date(8) sequence(3) check(1); exports group it 6-8-4 or 6-4-4-4 with
        # spaces or dashes; \d also matches full-width digits, the date and checksum are checked
        # after NFKC
        (
            "resident_id_18",
            _EDGE_L + r"[1-9１-９]\d{5}[ -]?\d{4}[ -]?\d{4}[ -]?\d{3}[\dXxＸｘ]" + _EDGE_R,
            0.5,
        ),
        ("resident_id_15", _EDGE_L + r"[1-9１-９]\d{14}" + _EDGE_R, 0.4),
        # masked, still 18 or 15 characters long (a masked 16- or 19-digit card is not an ID)
        (
            "resident_id_masked",
            _EDGE_L
            + r"(?=[0-9*＊Xx]{18}(?![0-9*＊])|[0-9*＊]{15}(?![0-9*＊Xx]))"
            + r"[1-9]\d{2,5}[*＊]{6,11}\d{2,3}[\dXx]"
            + _EDGE_R,
            0.8,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["身份证", "证件号码", "sfzh", "id_no"]
    CHECK: ClassVar[str | None] = "GB 11643-1999 check character and a plausible birth date"

    def check(self, normalised: str) -> bool | None:
        value = normalised.upper()
        if len(value) == 18:
            return plausible_birth(value[6:14]) and gb11643_check_char(value[:17]) == value[17]
        if len(value) == 15:
            return plausible_birth("19" + value[6:12])
        return False
