"""GEO_LOCATION: latitude/longitude pairs (either order) inside China's bounds, >= 3 decimals."""

from __future__ import annotations

import re
from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer

_NUM = r"-?\d{1,3}\.\d{3,8}"
_PAIR = re.compile(rf"({_NUM})\s*[,，;\s]\s*({_NUM})")


class GeoLocationRecognizer(ChineseRecognizer):
    ENTITY = "GEO_LOCATION"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        ("lat_lng_pair", rf"(?<![0-9.]){_NUM}\s*[,，;\s]\s*{_NUM}(?![0-9.])", 0.5),
        ("lat_lng_masked", r"(?<![0-9.])-?\d{1,3}\.\d\*+\s*[,，;\s]\s*-?\d{1,3}\.\d\*+", 0.8),
    ]
    CONTEXT: ClassVar[list[str]] = ["经纬度", "gps"]
    CHECK: ClassVar[str | None] = "coordinates inside China's bounds"

    def validate_result(self, pattern_text: str) -> bool | None:
        if "*" in pattern_text:
            return None
        m = _PAIR.fullmatch(pattern_text.strip())
        if not m:
            return False
        a, b = float(m.group(1)), float(m.group(2))
        bounds = self.settings.china_bounds
        return bounds.contains(a, b) or bounds.contains(b, a)
