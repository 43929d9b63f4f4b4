"""MARITAL_STATUS: marital status words (已婚, 离异, married, ...); the header decides a column."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings


class MaritalStatusRecognizer(ChineseRecognizer):
    ENTITY = "MARITAL_STATUS"
    CONTEXT: ClassVar[list[str]] = ["婚姻", "marital"]

    def deny_list_for(self, settings: RecognizerSettings) -> list[str]:
        return settings.marital_values
