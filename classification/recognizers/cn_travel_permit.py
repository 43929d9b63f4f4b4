"""CN_TRAVEL_PERMIT: Hong Kong/Macao and Taiwan travel permits (mainland residents' and HMT
residents')."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

_EDGE_L = r"(?<![0-9A-Za-z*])"
_EDGE_R = r"(?![0-9A-Za-z*])"


class CnTravelPermitRecognizer(ChineseRecognizer):
    ENTITY = "CN_TRAVEL_PERMIT"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # 往来港澳通行证: C + 8 (card), W + 8 (older booklet)
        ("hk_macao_permit", _EDGE_L + r"(?:C[A-HJ-NP-Z0-9]\d{7}|W\d{8})" + _EDGE_R, 0.6),
        # 往来台湾通行证: L + 8; 港澳居民来往内地通行证: H/M + 8 or 10 digits
        ("taiwan_or_return_permit", _EDGE_L + r"(?:L\d{8}|[HM]\d{8}(?:\d{2})?)" + _EDGE_R, 0.6),
        ("permit_masked", _EDGE_L + r"[CWLHM][*＊]{4,7}\d{2,4}" + _EDGE_R, 0.7),
    ]
    CONTEXT: ClassVar[list[str]] = ["通行证", "permit"]

    def __init__(self, settings: RecognizerSettings) -> None:
        super().__init__(settings)
        self.global_regex_flags = 0
