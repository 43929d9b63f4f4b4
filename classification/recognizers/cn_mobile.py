"""CN_MOBILE: mainland mobile numbers in current segments; spaced, dashed, full-width,
+86/0086 forms."""

from __future__ import annotations

import re
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

_D = "[0-9０-９]"


class CnMobileRecognizer(ChineseRecognizer):
    ENTITY = "CN_MOBILE"
    CONTEXT: ClassVar[list[str]] = ["手机", "电话", "mobile"]
    CHECK: ClassVar[str | None] = "a mobile segment of the MIIT numbering plan"

    def __init__(self, settings: RecognizerSettings) -> None:
        self._segments = re.compile("(?:" + "|".join(settings.mobile_prefixes) + r")\d{8}")
        super().__init__(settings)

    def patterns_for(self, settings: RecognizerSettings) -> list[tuple[str, str, float]]:
        # +86 / ＋86 / 0086, bare or bracketed, optionally as an RFC 3966 tel: URI
        country = r"(?:(?:tel:)?(?:[+＋]|00)86[ -]?|[(（](?:[+＋]|00)?86[)）][ -]?)?"
        return [
            (
                "mobile",
                rf"(?<![0-9０-９*]){country}[1１]{_D}{{2}}"
                rf"[ -]?{_D}{{4}}[ -]?{_D}{{4}}(?![0-9０-９*])",
                0.5,
            ),
            (
                "mobile_masked",
                rf"(?<![0-9０-９*]){country}[1１][3-9３-９]{_D}[*＊]{{4}}{_D}{{4}}(?![0-9０-９*])",
                0.85,
            ),
        ]

    def check(self, normalised: str) -> bool | None:
        return self._segments.fullmatch(normalised) is not None
