"""PERSON_NAME: Chinese personal names: single or compound surname plus one or two given
characters."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

_NOT_HAN_L = r"(?<![\u4e00-\u9fff])"
_NOT_HAN_R = r"(?![\u4e00-\u9fff])"
_PLACE_SUFFIXES = "省市区县"


class PersonNameRecognizer(ChineseRecognizer):
    ENTITY = "PERSON_NAME"
    CONTEXT: ClassVar[list[str]] = ["姓名", "name"]

    def patterns_for(self, settings: RecognizerSettings) -> list[tuple[str, str, float]]:
        compound = "|".join(settings.compound_surnames)
        single = f"[{settings.surnames}]"
        given = r"[\u4e00-\u9fff]"
        # a name stands alone: inside running Chinese text the header or context must help
        return [
            ("compound_surname", rf"{_NOT_HAN_L}(?:{compound}){given}{{1,2}}{_NOT_HAN_R}", 0.6),
            ("single_surname", rf"{_NOT_HAN_L}{single}{given}{{1,2}}{_NOT_HAN_R}", 0.5),
            ("name_masked", rf"{_NOT_HAN_L}(?:{compound}|{single})[*＊]{{1,2}}{_NOT_HAN_R}", 0.7),
        ]

    def validate_result(self, pattern_text: str) -> bool | None:
        # 江苏省, 黄石市, 金山区: a surname-initial place name ends in an administrative suffix
        return False if pattern_text[-1] in _PLACE_SUFFIXES else None
