"""LICENSE_PLATE: mainland plates, incl. 8-character new-energy plates (D/F for electric/hybrid)."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

_L = "[A-HJ-NP-Z]"  # plate letters exclude I and O
_LD = "[A-HJ-NP-Z0-9]"


class LicensePlateRecognizer(ChineseRecognizer):
    ENTITY = "LICENSE_PLATE"
    CONTEXT: ClassVar[list[str]] = ["车牌"]

    def patterns_for(self, settings: RecognizerSettings) -> list[tuple[str, str, float]]:
        p = f"[{settings.plate_provinces}]"
        end = "(?![A-Za-z0-9])"
        return [
            ("plate_new_energy", rf"{p}{_L}[·• ]?(?:[DF]{_LD}\d{{4}}|\d{{5}}[DF]){end}", 0.8),
            ("plate_standard", rf"{p}{_L}[·• ]?{_LD}{{4}}[{_LD[1:-1]}挂学警港澳]{end}", 0.7),
            ("plate_masked", rf"{p}{_L}[·• ]?[{_LD[1:-1]}*]{{5,6}}{end}", 0.7),
        ]

    def validate_result(self, pattern_text: str) -> bool | None:
        if "*" in pattern_text:
            # a masked plate must still show some characters
            return None if pattern_text.count("*") < 6 else False
        return None
