"""BANK_CARD: payment card numbers, 16-19 digits, Luhn-valid; UnionPay/major-bank BINs score
highest."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings

UNKNOWN_BIN_SCORE = 0.85


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class BankCardRecognizer(ChineseRecognizer):
    ENTITY = "BANK_CARD"
    PATTERNS: ClassVar[list[tuple[str, str, float]]] = [
        # 16-19 digits, optionally grouped by single spaces or dashes; digits run into letters
        # are a code (91110000600037341N), not a card
        (
            "bank_card",
            r"(?<![0-9０-９*A-Za-z])[0-9０-９](?:[ -]?[0-9０-９]){15,18}(?![0-9０-９*A-Za-z])",
            0.3,
        ),
        (
            "bank_card_masked",
            r"(?<![0-9０-９*])[0-9０-９]{4,6}[ -]?[*＊]{4,9}[ -]?[0-9０-９]{4}(?![0-9０-９*])",
            0.75,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["银行卡", "卡号", "card"]
    CHECK: ClassVar[str | None] = "Luhn check digit"

    def __init__(self, settings: RecognizerSettings) -> None:
        super().__init__(settings)
        self._bins = tuple(settings.bank_bin_prefixes)

    def check(self, normalised: str) -> bool | None:
        return normalised.isdigit() and 16 <= len(normalised) <= 19 and luhn_valid(normalised)

    def refine_score(self, normalised: str, score: float) -> float:
        return score if normalised.startswith(self._bins) else min(score, UNKNOWN_BIN_SCORE)
