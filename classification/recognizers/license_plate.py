"""LICENSE_PLATE: mainland plates, incl. 8-character new-energy plates (D/F for electric/hybrid).

Exports write the province part (province + issuing-authority letter) and the number with a
dot (京A·12345), a dash (京A-12345, Faker's zh_CN provider), a space or nothing in between.
"""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

# the issuing-authority letter may be any capital (Faker emits I and O too; 京O is used by police);
# serial characters exclude I and O (read as 1 and 0)
_AUTHORITY = "[A-Z]"
_L = "[A-HJ-NP-Z]"
_LD = "[A-HJ-NP-Z0-9]"
_SEP = "[·•・\\- ]?"


class LicensePlateRecognizer(ChineseRecognizer):
    ENTITY = "LICENSE_PLATE"
    CONTEXT: ClassVar[list[str]] = ["车牌"]

    def patterns_for(self, settings: RecognizerSettings) -> list[tuple[str, str, float]]:
        p = f"[{settings.plate_provinces}]"
        end = "(?![A-Za-z0-9])"
        serial = _LD[1:-1]
        head = f"{p}{_AUTHORITY}{_SEP}"
        return [
            ("plate_new_energy", rf"{head}(?:[DF]{_LD}\d{{4}}|\d{{5}}[DF]){end}", 0.8),
            ("plate_standard", rf"{head}{_LD}{{4}}[{serial}挂学警港澳]{end}", 0.7),
            # 5-6 serial characters of which at least one is masked
            (
                "plate_masked",
                rf"{head}(?=[{serial}*]{{5,6}}{end})[{serial}]{{0,5}}\*[{serial}*]{{0,5}}{end}",
                0.7,
            ),
        ]

    def validate_result(self, pattern_text: str) -> bool | None:
        if "*" in pattern_text:
            # a masked plate must still show some characters
            return None if pattern_text.count("*") < 6 else False
        return None
