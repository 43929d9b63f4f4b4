"""CN_LANDLINE: fixed-line numbers with an area code (010, 02x, 0xxx) and 7-8 digit subscriber."""

from __future__ import annotations

import re
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings


class CnLandlineRecognizer(ChineseRecognizer):
    ENTITY = "CN_LANDLINE"
    CONTEXT: ClassVar[list[str]] = ["固话", "座机", "电话"]

    def __init__(self, settings: RecognizerSettings) -> None:
        self._full = re.compile(
            rf"(?:\+?86)?{settings.landline_area_code}[2-9]\d{{6,7}}(?:\d{{1,4}})?"
        )
        super().__init__(settings)

    def patterns_for(self, settings: RecognizerSettings) -> list[tuple[str, str, float]]:
        area = settings.landline_area_code
        return [
            # separated or bracketed area code: a strong shape
            (
                "landline_separated",
                rf"(?<![0-9*])(?:\({area}\)|（{area}）|{area}[ -])"
                rf"[2-9]\d{{6,7}}(?:-\d{{1,4}})?(?![0-9*])",
                0.7,
            ),
            ("landline_plain", rf"(?<![0-9*]){area}[2-9]\d{{6,7}}(?![0-9*])", 0.4),
            ("landline_masked", rf"(?<![0-9*]){area}[ -]?[*＊]{{4}}\d{{3,4}}(?![0-9*])", 0.7),
        ]

    def check(self, normalised: str) -> bool | None:
        # a plausible number keeps its shape score: landline shapes are less distinctive than IDs
        return None if self._full.fullmatch(normalised) else False
