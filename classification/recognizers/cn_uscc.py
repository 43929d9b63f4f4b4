"""CN_USCC: unified social credit codes of organisations (GB 32100-2015 check character)."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def gb32100_check_char(first17: str) -> str:
    total = sum(_ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _ALPHABET[(31 - total % 31) % 31]


class CnUsccRecognizer(ChineseRecognizer):
    ENTITY = "CN_USCC"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # registration authority + type, 6-digit region, 9-char organisation code, check char
        (
            "uscc",
            r"(?<![0-9A-Za-z])[1-9ANYanyY][1-59][0-9]{6}[0-9A-HJ-NP-RT-UW-Ya-hj-np-rt-uw-y]{10}(?![0-9A-Za-z])",
            0.4,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["统一社会信用代码", "uscc"]
    CHECK: ClassVar[str | None] = "GB 32100-2015 check character"

    def check(self, normalised: str) -> bool | None:
        value = normalised.upper()
        if len(value) != 18 or any(c not in _ALPHABET for c in value):
            return False
        return gb32100_check_char(value[:17]) == value[17]
