"""CN_LANDLINE: fixed-line numbers with an area code (010, 02x, 0xxx) and 7-8 digit subscriber."""

from __future__ import annotations

import re
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

# subscriber number: 7-8 digits, as written in exports (0755 2345 6789: split before the last 4)
_SUBSCRIBER = r"[2-9]\d{2,3}[ -]?\d{4}"
_EXTENSION = r"(?:-\d{1,4})?"


def international_area(area: str) -> str:
    """The area-code pattern as dialled after +86: the trunk prefix 0 is dropped."""
    if not area.startswith("0"):
        raise ValueError(f"landline_area_code {area!r} must start with the trunk prefix 0")
    return area[1:]


class CnLandlineRecognizer(ChineseRecognizer):
    ENTITY = "CN_LANDLINE"
    CONTEXT: ClassVar[list[str]] = ["固话", "座机", "电话"]

    def __init__(self, settings: RecognizerSettings) -> None:
        area = international_area(settings.landline_area_code)
        # normalised (country code already dropped): with or without the trunk prefix
        self._full = re.compile(rf"0?(?:{area})[2-9]\d{{6,7}}(?:\d{{1,4}})?")
        super().__init__(settings)

    def patterns_for(self, settings: RecognizerSettings) -> list[tuple[str, str, float]]:
        area = settings.landline_area_code
        intl = international_area(area)
        return [
            # separated or bracketed area code, or +86 / tel:+86 with the area code: strong shapes
            (
                "landline_separated",
                rf"(?<![0-9*])(?:\({area}\)[ -]?|（{area}）|{area}[ -]"
                rf"|(?:tel:)?(?:\+|00)86[ -]?(?:{intl})[ -])"
                rf"{_SUBSCRIBER}{_EXTENSION}(?![0-9*])",
                0.7,
            ),
            ("landline_plain", rf"(?<![0-9*]){area}[2-9]\d{{6,7}}(?![0-9*])", 0.4),
            ("landline_masked", rf"(?<![0-9*]){area}[ -]?[*＊]{{4}}\d{{3,4}}(?![0-9*])", 0.7),
        ]

    def check(self, normalised: str) -> bool | None:
        # a plausible number keeps its shape score: landline shapes are less distinctive than IDs
        return None if self._full.fullmatch(normalised) else False
