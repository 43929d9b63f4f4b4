"""CN_PASSPORT: PRC passports (E + 8 chars e-passports; G, D, S, P + 8 digits older/official)."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

_EDGE_L = r"(?<![0-9A-Za-z*])"
_EDGE_R = r"(?![0-9A-Za-z*])"


class CnPassportRecognizer(ChineseRecognizer):
    ENTITY = "CN_PASSPORT"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        ("passport", _EDGE_L + r"(?:E[A-HJ-NP-Z0-9]\d{7}|[GDSP]\d{8})" + _EDGE_R, 0.6),
        ("passport_masked", _EDGE_L + r"[EGDSP][*＊]{4,7}\d{2,4}" + _EDGE_R, 0.7),
    ]
    CONTEXT: ClassVar[list[str]] = ["护照", "passport"]

    def __init__(self, settings: RecognizerSettings) -> None:
        super().__init__(settings)
        # passport letters are upper-case: lower-case look-alikes are codes, not passports
        self.global_regex_flags = 0
