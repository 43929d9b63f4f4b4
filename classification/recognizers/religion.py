"""RELIGION: religious belief words (佛教, 伊斯兰教, ...); the header decides a column."""

from __future__ import annotations

from typing import ClassVar

from classification.recognizers.base import ChineseRecognizer
from classification.settings import RecognizerSettings


class ReligionRecognizer(ChineseRecognizer):
    ENTITY = "RELIGION"
    CONTEXT: ClassVar[list[str]] = ["宗教", "religion"]

    def deny_list_for(self, settings: RecognizerSettings) -> list[str]:
        return settings.religion_values
